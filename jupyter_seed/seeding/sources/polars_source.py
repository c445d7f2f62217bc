"""polars: its own global generator, behind ``sample``, ``shuffle`` and friends.

polars does not draw from NumPy, so ``np.random.seed`` leaves ``df.sample()``
unseeded; ``pl.set_random_seed`` is its only switch. polars offers no way to
read that generator's state back, so blocks (``%%seed``) and checkpoints cannot
put it back; they reseed it instead.
"""

from __future__ import annotations

import sys

from .base import RandomSource


class PolarsSource(RandomSource):
    name = "polars"
    label = "polars"
    module = "polars"

    def seed(self, seed: int) -> None:
        sys.modules["polars"].set_random_seed(seed)
