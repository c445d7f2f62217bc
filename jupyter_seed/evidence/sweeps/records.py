"""One line of a sweep store, read strictly: every field checked, every refusal one line.

Seeds follow the rules of ``%seed`` (an integer in ``[0, MAX_SEED]``: no bool, float
or string); metrics are a number or a dict of numbers (non-finite values written as
the strings ``"nan"``, ``"inf"``, ``"-inf"``); numbers are bounded, so a hostile
line cannot overflow a float or take long to parse.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ...seeding.error_root import JupyterSeedError
from ...seeding.messages import short_text
from ...seeding.seeds import validate_seed

MAX_LINE_CHARACTERS = 1_000_000
MAX_NUMBER_DIGITS = 308
"""An integer with more digits than this does not fit a float (10**308 is close to the largest)."""
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
KINDS = ("header", "code", "run")
FORMAT = 1
ENVIRONMENT_PACKAGES = ("numpy", "torch", "tensorflow", "keras", "jax", "scikit-learn", "jupyter-seed")


class RecordError(JupyterSeedError, ValueError):
    """One line that is not a valid sweep record (the store adds the file and the line number)."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise RecordError(f"a number with {len(text.lstrip('-'))} digits (at most {MAX_NUMBER_DIGITS})")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > 2 * MAX_NUMBER_DIGITS:
        raise RecordError(f"a number written with {len(text)} characters")
    value = float(text)
    if not math.isfinite(value):
        raise RecordError(f"the number {short_text(text, 20)} is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise RecordError(f"{name} is not strict JSON (write it as the string {name.lower()!r})")


def parse_line(line: str) -> dict[str, Any]:
    """The record on one line, checked; raises :class:`RecordError` in one line."""
    if len(line) > MAX_LINE_CHARACTERS:
        raise RecordError(f"the line has {len(line)} characters (at most {MAX_LINE_CHARACTERS})")
    try:
        record = json.loads(
            line, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    except RecursionError:
        raise RecordError("nested too deeply") from None
    except RecordError:
        raise
    except ValueError as error:
        raise RecordError(f"not JSON ({short_text(str(error), 80)})") from None
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    kind = record.get("kind")
    if kind not in KINDS:
        raise RecordError(f"unknown kind {short_text(repr(kind), 40)} (expected one of {', '.join(KINDS)})")
    if kind == "header":
        _check_header(record)
    elif kind == "code":
        _check_code(record)
    else:
        _check_run(record)
    return record


def _text(record: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = record.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{key!r} must be text, got {type(value).__name__} {short_text(repr(value), 40)}")
    return value


def _check_header(record: dict[str, Any]) -> None:
    environment = record.get("environment", {})
    if not isinstance(environment, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in environment.items()
    ):
        raise RecordError("'environment' must map package names to version texts")


def _check_code(record: dict[str, Any]) -> None:
    variant(record)
    _text(record, "name")
    digest = _text(record, "hash")
    if not digest or not digest.startswith("sha256:"):
        raise RecordError(f"'hash' must start with 'sha256:', got {short_text(repr(digest), 40)}")
    for key in ("parts",):
        parts = record.get(key, {})
        if not isinstance(parts, dict) or not all(isinstance(v, str) for v in parts.values()):
            raise RecordError(f"{key!r} must map labels to digests")
    uncovered = record.get("uncovered", [])
    if not isinstance(uncovered, list) or not all(isinstance(v, str) for v in uncovered):
        raise RecordError("'uncovered' must be a list of texts")


def variant(record: dict[str, Any]) -> str | None:
    name = record.get("variant")
    if name is not None and (not isinstance(name, str) or not name):
        raise RecordError(f"'variant' must be null or a non-empty text, got {short_text(repr(name), 40)}")
    return name


def seed(record: dict[str, Any]) -> int:
    value = record.get("seed")
    try:
        return validate_seed(value)
    except (TypeError, ValueError) as error:
        raise RecordError(str(error)) from None


def _number(value: object, what: str) -> float:
    if isinstance(value, str) and value in NON_FINITE:
        return NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecordError(
            f"{what} must be a number, got {type(value).__name__} {short_text(repr(value), 40)}"
        )
    return float(value)


def metrics(record: dict[str, Any]) -> dict[str, float] | None:
    """``None`` for a failed seed; else ``{name: float}`` (a bare number is the metric ``value``)."""
    from .engine import SCALAR_METRIC

    value = record.get("metrics")
    if value is None:
        return None
    if isinstance(value, dict):
        if not value:
            raise RecordError("'metrics' is an empty dict")
        return {name: _number(item, f"metric {short_text(repr(name), 40)}") for name, item in value.items()}
    if isinstance(value, list) or (isinstance(value, str) and value not in NON_FINITE):
        raise RecordError(
            f"'metrics' must be a number or a dict of numbers, got {type(value).__name__} "
            f"{short_text(repr(value), 40)}"
        )
    return {SCALAR_METRIC: _number(value, "'metrics'")}


def _check_run(record: dict[str, Any]) -> None:
    variant(record)
    seed(record)
    found = metrics(record)
    error = _text(record, "error", optional=True)
    if (found is None) == (error is None):
        raise RecordError("a run has either metrics or an error, not both and not neither")
    seconds = record.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
        raise RecordError(f"'seconds' must be a number >= 0, got {short_text(repr(seconds), 40)}")


def new_header() -> dict[str, Any]:
    from datetime import datetime, timezone

    return {
        "kind": "header",
        "format": FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": environment(),
    }


def environment() -> dict[str, str]:
    """Python and the installed framework versions, as recorded in the file's header."""
    import platform
    from importlib import metadata

    found = {"python": platform.python_version()}
    for package in ENVIRONMENT_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found
