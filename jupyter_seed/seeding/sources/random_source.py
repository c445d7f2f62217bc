"""Python's ``random`` module global generator."""

from __future__ import annotations

from typing import Any

from .base import RandomSource


class PythonRandomSource(RandomSource):
    name = "random"
    label = "Python random"
    module = "random"

    def version(self) -> str | None:
        import sys

        return sys.version.split()[0]

    def seed(self, seed: int) -> None:
        import random

        random.seed(seed)

    def get_state(self) -> Any:
        import random

        return random.getstate()

    def set_state(self, state: Any) -> None:
        import random

        random.setstate(state)
