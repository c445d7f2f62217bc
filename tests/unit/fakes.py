"""Fake random sources over private ``random.Random`` instances: no framework needed."""

from __future__ import annotations

import random
from typing import Any

from jupyter_seed.seeding.sources.base import DeterministicMode, Flags, RandomSource


class FakeSource(RandomSource):
    """A library whose global generator is a private ``random.Random``."""

    def __init__(self, name: str, module: str | None = None, *, fail: bool = False) -> None:
        self.name = name
        self.label = f"Fake {name}"
        self.module = module
        self.generator = random.Random()
        self.fail = fail
        self.imported = 0
        self.flag = False
        self.flag_before: bool | None = None

    def seed(self, seed: int) -> None:
        if self.fail:
            raise RuntimeError("generator exploded\nwith a second line")
        self.generator.seed(seed)

    def draws(self, count: int = 3) -> list[float]:
        return [self.generator.random() for _ in range(count)]

    def get_state(self) -> Any:
        return self.generator.getstate()

    def set_state(self, state: Any) -> None:
        self.generator.setstate(state)

    def on_import(self) -> None:
        self.imported += 1

    def apply_deterministic(self, mode: DeterministicMode) -> list[str]:
        if mode == "off":
            self.detach()
        else:
            if self.flag_before is None:
                self.flag_before = self.flag
            self.flag = True
        return []

    def determinism(self) -> Flags:
        return {"flag": self.flag}

    def detach(self) -> None:
        if self.flag_before is not None:
            self.flag, self.flag_before = self.flag_before, None


def expected(seed: int, count: int = 3) -> list[float]:
    generator = random.Random(seed)
    return [generator.random() for _ in range(count)]
