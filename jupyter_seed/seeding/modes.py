"""The seeder's modes: per-cell reseeding, deterministic algorithms, worker seeding, and their spellings."""

from __future__ import annotations

from typing import Literal

from .sources.base import DeterministicMode

PerCellMode = Literal["off", "same", "derived"]
PER_CELL_MODES: tuple[PerCellMode, ...] = ("off", "same", "derived")
DETERMINISTIC_MODES: tuple[DeterministicMode, ...] = ("off", "strict", "warn")


def normalize_deterministic(value: object) -> DeterministicMode:
    if value is True:
        return "strict"
    if value is False:
        return "off"
    if isinstance(value, str) and value in DETERMINISTIC_MODES:
        return value  # type: ignore[return-value]
    raise ValueError(f"deterministic must be True, False, 'strict', 'warn' or 'off', got {value!r}")


def normalize_per_cell(value: object) -> PerCellMode:
    if value is True:
        return "same"
    if value is False or value is None:
        return "off"
    if isinstance(value, str) and value in PER_CELL_MODES:
        return value  # type: ignore[return-value]
    raise ValueError(f"per-cell mode must be 'same', 'derived' or 'off', got {value!r}")


def normalize_workers(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"workers must be True or False, got {value!r}")
    return value
