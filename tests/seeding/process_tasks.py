"""Task functions for tests/seeding/test_processes.py: importable by spawned and forkserver workers."""

from __future__ import annotations

import random
from typing import Any

import numpy as np


def draw(key: Any) -> tuple[Any, float, float]:
    """What a task draws from Python's and NumPy's global generators."""
    return key, random.random(), float(np.random.rand())


def draw_pair(left: Any, right: Any) -> tuple[Any, float, float]:
    return draw((left, right))


def draw_with_torch(key: Any) -> tuple[Any, float, float, float]:
    import torch

    return (*draw(key), float(torch.rand(())))


def rank_draws(rank: int, folder: str) -> None:
    """A torch.multiprocessing.spawn entry point: writes what rank ``rank`` drew."""
    import json

    import torch

    with open(f"{folder}/rank{rank}.json", "w", encoding="utf-8") as handle:
        json.dump([rank, random.random(), float(np.random.rand()), float(torch.rand(()))], handle)


def process_draws(path: str) -> None:
    """A multiprocessing.Process target: writes what the process drew."""
    import json

    with open(path, "w", encoding="utf-8") as handle:
        json.dump(list(draw(path)[1:]), handle)


def hash_seed_for_children(key: Any) -> tuple[Any, str | None]:
    """What a task's own child processes would get as ``PYTHONHASHSEED``."""
    import os

    return key, os.environ.get("PYTHONHASHSEED")
