"""Datasets for DataLoader worker tests; importable, so spawned workers can unpickle them."""

from __future__ import annotations

import random

import numpy as np
import torch
from torch.utils.data import Dataset


class RandomDraws(Dataset):
    """Each item: which worker drew it and one draw from NumPy, ``random`` and torch."""

    def __init__(self, size: int = 8) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[int, int, float, float, float]:
        info = torch.utils.data.get_worker_info()
        worker = -1 if info is None else info.id
        return index, worker, float(np.random.random()), random.random(), float(torch.rand(()))
