"""Framework probes, applied when NumPy's random module, TensorFlow or torch finishes importing.

No probe imports a framework: :class:`.probes.Probes` calls these from its import hook,
or at install time for a framework already loaded.
"""

from __future__ import annotations

import random
import sys
from typing import Any

from .probe_sites import ProbeHost

MEMORY_KINDS = frozenset({"numpy.empty()", "numpy.empty_like()", "torch.empty()"})
"""Calls that hand out memory as it is: values no generator produced."""


FILL_PATTERN_BYTES = 1 << 16
"""Length of a dose's fill pattern, repeated over a larger array (memory is filled, never doubled)."""


def record_memory(probes: ProbeHost, owner: Any, name: str, kind: str) -> None:
    """Record calls of ``owner.name`` from the user's code (``np.empty``): uninitialised memory.

    With stand-ins (``replace``) the memory handed to the user's code is filled with the
    dose's own bytes: a cell whose output shows it then agrees within a dose and differs
    between doses, which confirms the cause by experiment like any entropy call.
    """
    original = getattr(owner, name)

    def probe(*args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1)
        result = original(*args, **kwargs)
        # Compiled code (a Generator method, a ufunc) calls it too without a Python frame of its own:
        # only a caller whose code names the function called it itself.
        if name in caller.f_code.co_names:
            site = probes.sites.locate(caller)
            if site is not None:
                probes.record(kind, site)
                if probes.replace:
                    _fill(result, probes.next_seed())
        return result

    probe.__name__ = probe.__qualname__ = name
    probes.patch(owner, name, probe)


def _fill(memory: Any, seed: int) -> None:
    """Overwrite an array's or tensor's bytes with ``seed``'s pattern; leave what has no plain bytes."""
    pattern = random.Random(seed).randbytes(FILL_PATTERN_BYTES)
    if type(memory).__module__.startswith("torch"):
        import torch  # only reached with torch loaded: it made this tensor

        if not memory.is_contiguous() or memory.is_complex() or memory.dtype == torch.bool:
            return
        flat = memory.view(-1).view(torch.uint8)
        source = torch.frombuffer(bytearray(pattern), dtype=torch.uint8)
        repeats = -(-flat.numel() // FILL_PATTERN_BYTES)
        with torch.no_grad():
            flat.copy_(source.repeat(max(repeats, 1))[: flat.numel()])
        return
    dtype = getattr(memory, "dtype", None)
    if dtype is None or dtype.hasobject:  # object arrays hold references (None), not raw memory
        return
    try:
        view = memoryview(memory).cast("B")
    except (TypeError, ValueError):  # not contiguous: left as it is
        return
    import numpy  # only reached with numpy loaded: it made this array

    flat = numpy.frombuffer(view, dtype=numpy.uint8)
    tile = numpy.frombuffer(pattern, dtype=numpy.uint8)
    whole = flat.size // FILL_PATTERN_BYTES * FILL_PATTERN_BYTES
    flat[:whole].reshape(-1, FILL_PATTERN_BYTES)[:] = tile  # broadcast: no copy of the array's size
    flat[whole:] = tile[: flat.size - whole]


def wrap_numpy_memory(probes: ProbeHost, numpy: Any) -> None:
    record_memory(probes, numpy, "empty", "numpy.empty()")
    record_memory(probes, numpy, "empty_like", "numpy.empty_like()")


def wrap_numpy(probes: ProbeHost, module: Any) -> None:
    probes.patch(module, "RandomState", probes.seeded_class(module.RandomState, "numpy.random.RandomState()"))
    probes.patch(
        module, "default_rng", probes.unseeded_call(module.default_rng, "numpy.random.default_rng()")
    )
    probes.patch(
        module, "SeedSequence", probes.seeded_class(module.SeedSequence, "numpy.random.SeedSequence()")
    )


def wrap_tensorflow(probes: ProbeHost, tf: Any) -> None:
    generator = tf.random.Generator
    original = generator.from_non_deterministic_state.__func__

    def from_non_deterministic_state(cls: Any, alg: Any = None) -> Any:
        site = probes.sites.locate(sys._getframe(1))
        if site is not None:
            probes.record("tf.random.Generator.from_non_deterministic_state()", site)
            if probes.replace:
                return cls.from_seed(probes.next_seed(), alg)
        return original(cls, alg)

    probes.patch(generator, "from_non_deterministic_state", classmethod(from_non_deterministic_state))
    dataset = tf.data.Dataset
    shuffle = dataset.shuffle

    def probe_shuffle(data: Any, buffer_size: Any, seed: Any = None, *args: Any, **kwargs: Any) -> Any:
        site = probes.sites.locate(sys._getframe(1))
        if seed is None and site is not None:
            probes.record("tf.data shuffle without a seed", site)
        return shuffle(data, buffer_size, seed, *args, **kwargs)

    probes.patch(dataset, "shuffle", probe_shuffle)


def wrap_dataloader(probes: ProbeHost, torch: Any) -> None:
    record_memory(probes, torch, "empty", "torch.empty()")
    loader = torch.utils.data.DataLoader
    initialise = loader.__init__

    def probe_init(data_loader: Any, *args: Any, **kwargs: Any) -> None:
        initialise(data_loader, *args, **kwargs)
        if (
            data_loader.num_workers > 0
            and data_loader.worker_init_fn is None
            and data_loader.generator is None
            and (site := probes.sites.locate(sys._getframe(1))) is not None
        ):
            probes.record("DataLoader workers without worker_init_fn or generator", site)

    probes.patch(loader, "__init__", probe_init)
