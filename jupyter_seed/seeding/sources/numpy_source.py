"""NumPy's legacy global ``RandomState`` (what ``np.random.rand`` and friends use).

Generators from ``np.random.default_rng()`` are independent of it; see
:mod:`jupyter_seed.seeding.default_rng_patch` and :func:`jupyter_seed.rng`.
"""

from __future__ import annotations

import sys
from typing import Any

from .base import RandomSource


class NumpySource(RandomSource):
    name = "numpy"
    label = "NumPy (global RandomState)"
    # numpy imports numpy.random lazily, and importing it costs ~9 ms and most of
    # a load's memory; its global state is seeded when it is first imported.
    module = "numpy.random"

    def version(self) -> str | None:
        return getattr(sys.modules.get("numpy"), "__version__", None)

    def seed(self, seed: int) -> None:
        sys.modules["numpy.random"].seed(seed)

    def get_state(self) -> Any:
        return sys.modules["numpy.random"].get_state(legacy=False)

    def set_state(self, state: Any) -> None:
        sys.modules["numpy.random"].set_state(state)
