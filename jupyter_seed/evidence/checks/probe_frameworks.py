"""Framework probes, applied when NumPy's random module, TensorFlow or torch finishes importing.

No probe imports a framework: :class:`.probes.Probes` calls these from its import hook,
or at install time for a framework already loaded.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .probes import Probes


def wrap_numpy(probes: Probes, module: Any) -> None:
    probes.patch(
        module, "default_rng", probes.unseeded_call(module.default_rng, "numpy.random.default_rng()")
    )
    probes.patch(
        module, "SeedSequence", probes.seeded_class(module.SeedSequence, "numpy.random.SeedSequence()")
    )


def wrap_tensorflow(probes: Probes, tf: Any) -> None:
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


def wrap_dataloader(probes: Probes, torch: Any) -> None:
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
