"""The one place where what a source adapter returns is checked and coerced.

Adapters include third-party code from the ``jupyter_seed.sources`` entry-point
group, so any call may raise or return an odd type (an object, NaN, a set, a
``str`` where a list belongs). Everything the seeder reports goes through here:
a misbehaving source is named in the warnings, its odd values become ``None``
or text, and ``state()`` stays strict JSON.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from .messages import describe_error, short_text
from .sources.base import DeterministicMode, RandomSource

LINE_LIMIT = 500
"""Longest warning or value text reported from a source, in characters."""

def short_line(text: str, limit: int = LINE_LIMIT) -> str:
    return short_text(" ".join(text.split()), limit)


def is_loaded(source: RandomSource) -> bool:
    try:
        return source.is_loaded() is True
    except Exception:  # noqa: BLE001 - a broken check means "not live", never a crash
        return False


def is_installed(source: RandomSource) -> bool:
    try:
        return source.is_installed() is True
    except Exception:  # noqa: BLE001
        return False


def note_lines(value: object) -> list[str]:
    """A list of one-line texts from what ``warnings()`` or ``*_deterministic()`` returned."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError(f"expected a list of str, got {type(value).__name__}")
    return [short_line(item if isinstance(item, str) else repr_line(item)) for item in value]


def deterministic_notes(source: RandomSource, mode: DeterministicMode, *, prepare: bool) -> list[str]:
    """What switching ``mode`` on ``source`` could not do, one line each; never raises.

    ``prepare`` also sets what must precede the import (env vars); the flags of the
    loaded library are switched when it is loaded.
    """
    notes: list[str] = []
    try:
        if prepare:
            notes += note_lines(source.prepare_deterministic(mode))
        if is_loaded(source):
            notes += note_lines(source.apply_deterministic(mode))
    except Exception as error:  # noqa: BLE001 - one source must not stop the others
        notes.append(f"{source.name}: deterministic mode failed: {describe_error(error)}")
    return notes


def repr_line(value: object) -> str:
    try:
        return short_line(repr(value))
    except Exception:  # noqa: BLE001
        return f"<{type(value).__name__}>"


def _text_or_none(value: object) -> str | None:
    """Text on one line, or ``None``; text that is only whitespace says nothing, so it is ``None`` too."""
    if value is None or isinstance(value, str):
        return (short_line(value) or None) if value is not None else None
    raise TypeError(f"expected a str or None, got {type(value).__name__}")


def _seed_or_none(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise TypeError(f"expected an int or None, got {type(value).__name__}")
    seed = operator.index(value)  # type: ignore[arg-type]
    if not 0 <= seed < 2**64:
        raise ValueError("expected a seed in [0, 2**64)")
    return seed


def _scalar(value: object) -> bool | int | float | str | None:
    if value is None or isinstance(value, (bool, str)):
        return value if not isinstance(value, str) else short_line(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    return repr_line(value)


def _flags(value: object) -> dict[str, bool | int | float | str | None]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a dict, got {type(value).__name__}")
    return {(key if isinstance(key, str) else repr_line(key)): _scalar(item) for key, item in list(value.items())}


def _ask(source_name: str, what: str, call: Callable[[], Any], coerce: Callable[[Any], Any], problems: list[str]) -> Any:
    try:
        return coerce(call())
    except Exception as error:  # noqa: BLE001 - named in the warnings, never raised
        problems.append(f"source {short_line(source_name, 60)!r}: {what} failed: {describe_error(error)}")
        return None


def label_of(source: RandomSource, problems: list[str]) -> str:
    label = _ask(source.name, "label", lambda: source.label, _text_or_none, problems)
    return label or source.name


def version_of(source: RandomSource) -> str | None:
    """The loaded library's version as text, or ``None`` (a failing ``version()`` included)."""
    return _ask(source.name, "version()", source.version, _text_or_none, [])  # type: ignore[no-any-return]


def describe_source(
    source: RandomSource, *, last_seeded: int | None, error: str | None
) -> tuple[dict[str, Any], list[str]]:
    """The status entry of one source and its warnings; every value is JSON-safe."""
    problems: list[str] = []
    loaded = is_loaded(source)
    entry: dict[str, Any] = {
        "name": source.name,
        "label": label_of(source, problems),
        "loaded": loaded,
        "version": None,
        "seeded": False,
        "seeded_with": None,
        "global_state": source.has_global_state,
        "determinism": {},
        "error": error,
    }
    warnings: list[str] = []
    if loaded:
        entry["version"] = _ask(source.name, "version()", source.version, _text_or_none, problems)
        if source.has_global_state:
            reported = _ask(source.name, "read_seed()", lambda: source.read_seed(last_seeded), _seed_or_none, problems)
            entry["seeded_with"] = reported
            entry["seeded"] = last_seeded is not None and reported == last_seeded
        entry["determinism"] = _ask(source.name, "determinism()", source.determinism, _flags, problems) or {}
        warnings = _ask(source.name, "warnings()", source.warnings, note_lines, problems) or []
    if problems and entry["error"] is None:
        entry["error"] = problems[0]
    return entry, warnings + problems
