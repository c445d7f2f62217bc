"""DataLoader worker seeding without code changes (``%seed N --workers``).

torch seeds each worker's torch, NumPy and ``random`` from ``base_seed +
worker_id``, with ``base_seed`` drawn each epoch from the loader's generator, or
from the global torch stream when it has none. Two things still go wrong
without a ``worker_init_fn`` and a ``generator`` (Lightning#20412,
pytorch#5059): distributed ranks seeded alike give every rank's workers the
same streams, and a global stream reset between cells (per-cell reseeding)
repeats one epoch per cell. :class:`DataLoaderPatch` fills both arguments in
for DataLoaders created while it is installed; :func:`worker_init_fn` is what
workers run.

This module never imports torch itself: the patch is installed by the seeder
once torch is in ``sys.modules``, and workers import torch before they call us.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

_WORKER_SEED_TAG = 0x6A535744  # keeps worker streams apart from rng() streams
_MARK = "__jupyter_seed_workers__"


def worker_init_fn(worker_id: int) -> None:
    """Seed a DataLoader worker's torch, NumPy and ``random`` from its own stream.

    The worker's torch seed (``base_seed + worker_id``, where the DataLoader
    draws ``base_seed`` afresh each epoch), the worker id and the distributed
    rank go through one ``SeedSequence``, as in Lightning's
    ``pl_worker_init_function``: workers differ from each other, from epoch to
    epoch and from rank to rank, and all of it repeats when the run repeats.
    """
    import random

    import torch

    info = torch.utils.data.get_worker_info()
    worker_seed = (info.seed if info is not None else torch.initial_seed()) & 0xFFFFFFFFFFFFFFFF
    rank = distributed_rank(torch)
    try:
        import numpy as np
    except ImportError:  # torch runs without NumPy; str seeds hash with SHA-512, not hash()
        random.seed(f"jupyter-seed/worker/{worker_seed}/{worker_id}/{rank}")
        torch.manual_seed(random.getrandbits(64))
        return
    sequence = np.random.SeedSequence([worker_seed, worker_id, rank, _WORKER_SEED_TAG])
    numpy_sequence, torch_sequence, python_sequence = sequence.spawn(3)
    np.random.seed(numpy_sequence.generate_state(4))
    torch.manual_seed(int(torch_sequence.generate_state(1, dtype=np.uint64)[0]))
    high, low = (int(word) for word in python_sequence.generate_state(2, dtype=np.uint64))
    random.seed((high << 64) | low)


def distributed_rank(torch: Any) -> int:
    """The global rank in an initialised process group, else the launcher's ``RANK``, else 0."""
    distributed = getattr(torch, "distributed", None)
    if distributed is not None and distributed.is_available() and distributed.is_initialized():
        return int(distributed.get_rank())
    import os

    try:
        return int(os.environ.get("RANK", "0"))
    except ValueError:
        return 0


class DataLoaderPatch:
    """Wraps ``torch.utils.data.DataLoader.__init__``; :meth:`uninstall` puts it back exactly."""

    def __init__(self) -> None:
        self._original: Any = None
        self._loader_class: Any = None

    @property
    def installed(self) -> bool:
        return self._original is not None

    def install(self) -> None:
        """Patch the DataLoader class, once torch is imported; otherwise do nothing."""
        if self._original is not None or "torch" not in sys.modules:
            return
        import inspect  # deferred: the extension's load imports only what it must

        import torch.utils.data  # torch is loaded, so this is a dictionary lookup

        loader_class = torch.utils.data.DataLoader
        original = loader_class.__init__
        if getattr(original, _MARK, False):
            return
        signature = inspect.signature(original)
        generator_from_global_stream = _generator_factory(torch)

        @functools.wraps(original)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            given = signature.bind_partial(self, *args, **kwargs).arguments
            if _left_to_us("worker_init_fn", given, kwargs):
                kwargs["worker_init_fn"] = worker_init_fn
            if _left_to_us("generator", given, kwargs):
                kwargs["generator"] = generator_from_global_stream()
            original(self, *args, **kwargs)

        setattr(__init__, _MARK, True)
        loader_class.__init__ = __init__  # type: ignore[method-assign]  # the patch is the point
        self._original, self._loader_class = original, loader_class

    def uninstall(self) -> None:
        """Restore the original ``__init__`` (only if ours is still the one in place)."""
        if self._original is None:
            return
        if getattr(self._loader_class.__dict__.get("__init__"), _MARK, False):
            self._loader_class.__init__ = self._original
        self._original = self._loader_class = None


def _left_to_us(name: str, given: dict[str, Any], kwargs: dict[str, Any]) -> bool:
    # Missing, or passed by keyword as None (the default); a positional None stays.
    return name not in given or (given[name] is None and name in kwargs)


def _generator_factory(torch: Any) -> Any:
    def generator_from_global_stream() -> Any:
        # One draw from the global generator, which %seed seeds: loaders created
        # in sequence get different generators, a re-run gets the same ones, and
        # each loader's epochs keep advancing its own generator even when the
        # per-cell hook reseeds the global one between cells.
        seed = int(torch.empty((), dtype=torch.int64).random_().item())
        generator = torch.Generator()
        generator.manual_seed(seed)
        return generator

    return generator_from_global_stream
