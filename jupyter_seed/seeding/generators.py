"""Generators and worker seeding derived from the active seed."""

from __future__ import annotations

from typing import Any

from .seeder import get_seeder

_WORKER_SEED_TAG = 0x6A535744  # keeps worker streams apart from rng() streams


def rng() -> Any:
    """A fresh ``numpy.random.Generator`` drawn from the active seed.

    The k-th call after a (re)seed returns
    ``Generator(PCG64(SeedSequence(seed, spawn_key=(k,))))``: calls are independent
    of each other and the sequence restarts at every reseed, so a cell that calls
    ``rng()`` gives the same numbers whenever it runs under the same seed.
    """
    return get_seeder().rng()


def jax_key(*, impl: str | None = None) -> Any:
    """``jax.random.key(active seed)``; raise a clear error when JAX is missing."""
    seed = get_seeder().applied_seed
    if seed is None:
        raise RuntimeError("no active seed: run `%seed N` or jupyter_seed.seed_everything(N) first")
    try:
        import jax
    except ImportError:
        raise RuntimeError("jax_key() needs JAX, which is not installed (pip install jax)") from None
    return jax.random.key(seed, impl=impl)


def torch_generator(device: str = "cpu") -> Any:
    """A ``torch.Generator`` seeded from the active seed, for ``DataLoader(generator=...)``.

    The DataLoader draws each epoch's shuffling and worker base seeds from it, so
    epochs differ from each other and a re-run repeats them exactly.
    """
    seed = get_seeder().applied_seed
    if seed is None:
        raise RuntimeError("no active seed: run `%seed N` or jupyter_seed.seed_everything(N) first")
    import torch

    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def worker_init_fn(worker_id: int) -> None:
    """``DataLoader(worker_init_fn=jupyter_seed.worker_init_fn)``: seed a worker's
    Python ``random`` and NumPy global state.

    torch seeds each worker's torch generator with ``base_seed + worker_id``, where
    the DataLoader draws ``base_seed`` afresh each epoch from its generator; but it
    leaves ``random`` and NumPy alone, so without this every worker (and, with
    fork, every epoch) repeats the parent's NumPy stream. We feed torch's
    per-worker seed, the worker id and the distributed rank through a
    ``SeedSequence``, so workers differ from each other and from epoch to epoch,
    and all of it repeats when the run is repeated.
    """
    import random

    import numpy as np
    import torch

    info = torch.utils.data.get_worker_info()
    worker_seed = info.seed if info is not None else torch.initial_seed()
    rank = _distributed_rank(torch)
    sequence = np.random.SeedSequence([worker_seed & 0xFFFFFFFFFFFFFFFF, worker_id, rank, _WORKER_SEED_TAG])
    numpy_seed, python_seed = sequence.generate_state(2, dtype=np.uint64)
    np.random.seed(int(numpy_seed) & 0xFFFFFFFF)
    random.seed(int(python_seed))


def _distributed_rank(torch: Any) -> int:
    distributed = getattr(torch, "distributed", None)
    if distributed is not None and distributed.is_available() and distributed.is_initialized():
        return int(distributed.get_rank())
    return 0
