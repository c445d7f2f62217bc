"""Python's ``random`` module global generator."""

from __future__ import annotations

import sys
from typing import Any

from .base import RandomSource


class PythonRandomSource(RandomSource):
    name = "random"
    label = "Python random"
    module = "random"

    def version(self) -> str | None:
        return sys.version.split()[0]

    def seed(self, seed: int) -> None:
        sys.modules["random"].seed(seed)  # a lookup, not an import statement: this is the hot path

    def get_state(self) -> Any:
        import random

        return random.getstate()

    def set_state(self, state: Any) -> None:
        import random

        random.setstate(state)
