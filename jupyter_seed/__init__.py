"""jupyter-seed: one command to seed every random source in a Jupyter kernel.

``%load_ext jupyter_seed`` then ``%seed 3407``. Without IPython, use
:func:`seed_everything`, :func:`seeded` and :func:`state`.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .seeding.error_root import JupyterSeedError
from .seeding.process_settings import normalize_processes
from .seeding.processes import follow as _follow_processes
from .seeding.seeder import SeedReport, get_seeder
from .seeding.seeds import MAX_SEED, derive_seed
from .seeding.sources import RandomSource

_seeder = get_seeder()  # the process-wide seeder; seed_everything is timed against bare reseeds
_follow_processes(_seeder)  # pools, executors, joblib and spawned ranks follow its seed

if TYPE_CHECKING:
    from .evidence.sweeps.compare import compare
    from .evidence.sweeps.search import compare_top
    from .evidence.sweeps.sweep import sweep
    from .seeding.generators import jax_key, rng, torch_generator
    from .seeding.task_seed import task_seed
    from .seeding.workers import worker_init_fn

__all__ = [
    "MAX_SEED",
    "JupyterSeedError",
    "RandomSource",
    "SeedReport",
    "__version__",
    "compare",
    "compare_top",
    "derive_seed",
    "jax_key",
    "load_ipython_extension",
    "load_state",
    "rng",
    "save_state",
    "seed_everything",
    "seeded",
    "state",
    "sweep",
    "task_seed",
    "torch_generator",
    "unload_ipython_extension",
    "worker_init_fn",
]


def seed_everything(
    seed: int,
    *,
    deterministic: bool | str | None = None,
    workers: bool | None = None,
    processes: bool | None = None,
) -> SeedReport:
    """Seed every loaded random source with ``seed`` (an int in ``[0, 2**32-1]``).

    Sources imported later are seeded when they are imported. ``deterministic``:
    ``None`` leaves the mode alone, ``True``/``"strict"`` or ``"warn"`` switch the
    frameworks' deterministic algorithms on, ``False``/``"off"`` switch them off;
    what cannot take effect is listed in the report's ``warnings``. ``workers``:
    ``True`` gives every DataLoader created afterwards without its own
    ``worker_init_fn``/``generator`` ours, ``False`` stops, ``None`` leaves it alone.
    ``processes`` (on unless turned off): tasks of ``multiprocessing.Pool``,
    ``ProcessPoolExecutor`` and ``joblib.Parallel`` start seeded from
    :func:`task_seed` ``(submission, index)``, ranks of ``torch.multiprocessing.spawn``
    and launched interpreters from ``task_seed("rank", rank)``; ``False`` stops.
    """
    if deterministic is None and workers is None and processes is None:
        return _seeder.seed_everything(seed)  # keyword arguments cost ~0.2 µs: most calls have none
    enable = None if processes is None else normalize_processes(processes)  # refused before any change
    report = _seeder.seed_everything(seed, deterministic=deterministic, workers=workers)
    if enable is not None:
        _seeder.set_processes(enable)
    return report


def save_state(path: str | os.PathLike[str]) -> list[str]:
    """Write every loaded source's full generator state to ``path`` (NumPy ``.npz``, no pickle).

    Returns the names of the sources saved. CUDA states are saved only when CUDA
    is initialised.
    """
    from .seeding.checkpoint import save_state as save

    return save(path)


def load_state(path: str | os.PathLike[str]) -> list[str]:
    """Restore the generator states written by :func:`save_state`, all of them or none.

    Refuses (``ValueError``, one line) a corrupt file, a file from another
    version of a framework, or one naming a framework that is not loaded.
    """
    from .seeding.checkpoint import load_state as load

    return load(path)


def seeded(seed: int) -> AbstractContextManager[SeedReport]:
    """Run a block under ``seed``; every source's state is restored on exit."""
    return get_seeder().seeded(seed)


def state() -> dict[str, Any]:
    """A JSON-serialisable snapshot of the seeding state and its risks (see docs/ARCHITECTURE.md).

    The same dict the toolbar receives and ``%seed`` shows: it fits ``definitions/state``
    of ``jupyter_seed/kernel/protocol.schema.json``; ``protocol`` names the version.
    """
    from .kernel.state_contract import build_state  # the contract lives with the comm

    return build_state(get_seeder())


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt toolbar extension (shipped in the wheel)."""
    return [{"src": "labextension", "dest": "jupyter-seed"}]


# Imported on first use: loading the extension needs none of them.
_LAZY = {
    "sweep": ".evidence.sweeps.sweep",
    "compare": ".evidence.sweeps.compare",
    "compare_top": ".evidence.sweeps.search",
    "rng": ".seeding.generators",
    "jax_key": ".seeding.generators",
    "torch_generator": ".seeding.generators",
    "worker_init_fn": ".seeding.workers",
    "task_seed": ".seeding.task_seed",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def load_ipython_extension(ipython: Any) -> None:
    from .kernel.extension import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .kernel.extension import unload

    unload(ipython)
