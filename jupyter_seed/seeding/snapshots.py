"""Snapshots of every source's generator state, for blocks that must leave no trace."""

from __future__ import annotations

from typing import Any

from .messages import describe_error
from .sources.base import RandomSource


def take_snapshots(sources: list[RandomSource], errors: dict[str, str]) -> dict[str, Any]:
    """Each source's full state by name; a source that cannot tell is noted in ``errors``."""
    snapshots: dict[str, Any] = {}
    for source in sources:
        if source.has_global_state:
            try:
                snapshots[source.name] = source.get_state()
            except Exception as error:  # noqa: BLE001 - one source must not stop the others
                errors[source.name] = f"state snapshot failed: {describe_error(error)}"
    return snapshots


def restore_snapshots(sources: list[RandomSource], snapshots: dict[str, Any], errors: dict[str, str]) -> None:
    """Put back what :func:`take_snapshots` took, for the sources it took it from."""
    for source in sources:
        if source.name in snapshots:
            try:
                source.set_state(snapshots[source.name])
            except Exception as error:  # noqa: BLE001
                errors[source.name] = f"state restore failed: {describe_error(error)}"


def seed_arrivals(arrivals: list[RandomSource], seed: int, errors: dict[str, str], seeded_with: dict[str, int]) -> None:
    """Sources first imported inside a ``seeded()`` block get what an import outside would have given."""
    for source in arrivals:
        if not source.has_global_state:
            continue
        try:
            source.seed(seed)
        except Exception as error:  # noqa: BLE001
            errors[source.name] = describe_error(error)
        else:
            seeded_with[source.name] = seed
