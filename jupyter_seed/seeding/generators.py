"""Generators derived from the active seed: NumPy streams, JAX keys, torch generators (workers: see workers.py)."""

from __future__ import annotations

from typing import Any

from .seeder import get_seeder


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
