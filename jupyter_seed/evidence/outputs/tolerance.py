"""Whether two cells' outputs differ only in numbers, each within a tolerance (float drift).

Used by ``jupyter-seed check --against-stored`` after the exact comparison of
:mod:`.mimebundle` found a difference: the same split (each stream as one text,
the other outputs in order) and the same volatile-text rules, then every text is
cut into numbers and the text between them. The outputs drift when the text
between the numbers is the same (whitespace aside: NumPy pads columns to the
widest number) and every pair of numbers is close in the sense of
``numpy.isclose``: ``|fresh - stored| <= atol + rtol * |stored|``. Images never
drift: their pixels are equal or the cell changed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .mimebundle import IMAGE_TYPES, WIDGET_VIEW, _split_streams, image_difference
from .text_rules import Rules, normalize_text, terminal_text
from .values import first_difference

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-8
"""numpy.isclose's defaults: a number printed to 16 digits may move in its last 11."""

_NUMBER = re.compile(r"(?<![\w.])-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?!\w)")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Drift:
    """Every difference is a number within tolerance; the largest ones, and where the largest is."""

    max_abs: float
    max_rel: float | None
    """``None`` when the largest absolute difference is from a stored zero."""
    where: str
    numbers: int
    """How many numbers differ."""

    def __str__(self) -> str:
        relative = "" if self.max_rel is None else f", relative {self.max_rel:.3g}"
        plural = "s" if self.numbers != 1 else ""
        return (
            f"{self.numbers} number{plural} moved, largest absolute difference {self.max_abs:.3g}{relative}"
        )


class _Tally:
    def __init__(self, rtol: float, atol: float) -> None:
        self.rtol, self.atol = rtol, atol
        self.max_abs, self.where, self.numbers = 0.0, "", 0
        self.max_rel_seen: float | None = None

    def numbers_close(self, fresh: float, stored: float, where: str) -> bool:
        if fresh == stored or (math.isnan(fresh) and math.isnan(stored)):
            return True
        difference = abs(fresh - stored)
        if not difference <= self.atol + self.rtol * abs(stored):  # NaN against a number fails too
            return False
        self.numbers += 1
        relative = difference / abs(stored) if stored else None
        if relative is not None and (self.max_rel_seen is None or relative > self.max_rel_seen):
            self.max_rel_seen = relative
        if difference > self.max_abs or not self.where:
            self.max_abs, self.where = difference, where
        return True

    def texts_close(self, fresh: str, stored: str, where: str) -> bool:
        if fresh == stored:
            return True
        numbers_fresh, numbers_stored = _NUMBER.findall(fresh), _NUMBER.findall(stored)
        if len(numbers_fresh) != len(numbers_stored) or _skeleton(fresh) != _skeleton(stored):
            return False
        return all(
            text_a == text_b or self.numbers_close(float(text_a), float(text_b), where)
            for text_a, text_b in zip(numbers_fresh, numbers_stored, strict=True)
        )

    def values_close(self, fresh: Any, stored: Any, where: str, depth: int = 0) -> bool:
        """JSON-like values (``application/json`` data): numbers with tolerance, the rest exactly."""
        if depth > 20:
            return bool(fresh == stored)
        numeric = (int, float)
        if isinstance(fresh, numeric) and isinstance(stored, numeric) and not isinstance(fresh, bool):
            return not isinstance(stored, bool) and self.numbers_close(float(fresh), float(stored), where)
        if isinstance(fresh, dict) and isinstance(stored, dict):
            return fresh.keys() == stored.keys() and all(
                self.values_close(fresh[key], stored[key], where, depth + 1) for key in fresh
            )
        if isinstance(fresh, list) and isinstance(stored, list):
            return len(fresh) == len(stored) and all(
                self.values_close(a, b, where, depth + 1) for a, b in zip(fresh, stored, strict=True)
            )
        return bool(fresh == stored)


def _skeleton(text: str) -> str:
    return _SPACE.sub("", _NUMBER.sub("#", text))


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def outputs_drift(
    fresh: list[dict[str, Any]],
    stored: list[dict[str, Any]],
    rules: Rules | None = None,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> Drift | None:
    """The drift when ``fresh`` and ``stored`` differ only in numbers within tolerance, else ``None``.

    ``None`` also when they differ in nothing at all that is a number (call it only
    after an exact comparison found a difference).
    """
    tally = _Tally(rtol, atol)
    streams_fresh, others_fresh = _split_streams(fresh)
    streams_stored, others_stored = _split_streams(stored)
    for name in sorted(set(streams_fresh) | set(streams_stored)):
        text_fresh = normalize_text(terminal_text(streams_fresh.get(name, "")), rules)
        text_stored = normalize_text(terminal_text(streams_stored.get(name, "")), rules)
        if not tally.texts_close(text_fresh, text_stored, name):
            return None
    if len(others_fresh) != len(others_stored):
        return None
    for (position, left), (_, right) in zip(others_fresh, others_stored, strict=True):
        if not _output_close(tally, left, right, f"output {position}", rules):
            return None
    if not tally.numbers:
        return None
    return Drift(tally.max_abs, tally.max_rel_seen, tally.where, tally.numbers)


def _output_close(
    tally: _Tally, fresh: dict[str, Any], stored: dict[str, Any], where: str, rules: Any
) -> bool:
    kind = fresh.get("output_type")
    if kind != stored.get("output_type"):
        return False
    if kind == "error":
        return tally.texts_close(
            normalize_text(f"{fresh.get('ename')}: {fresh.get('evalue')}", rules),
            normalize_text(f"{stored.get('ename')}: {stored.get('evalue')}", rules),
            f"{where} error",
        )
    bundle_fresh, bundle_stored = fresh.get("data", {}), stored.get("data", {})
    if bundle_fresh.keys() != bundle_stored.keys():
        return False
    for mime in sorted(bundle_fresh):
        a, b = bundle_fresh[mime], bundle_stored[mime]
        place = f"{where} {mime}"
        if mime in IMAGE_TYPES:
            close = image_difference(a, b, place) is None
        elif isinstance(a, (str, list)) and isinstance(b, (str, list)) and mime != "application/json":
            text_a, text_b = _text(a), _text(b)
            if mime == "text/plain":
                text_a, text_b = terminal_text(text_a), terminal_text(text_b)
            close = tally.texts_close(normalize_text(text_a, rules), normalize_text(text_b, rules), place)
        elif mime == WIDGET_VIEW and isinstance(a, dict) and isinstance(b, dict):
            close = (
                first_difference(
                    {k: v for k, v in a.items() if k != "model_id"},
                    {k: v for k, v in b.items() if k != "model_id"},
                )
                is None
            )
        else:
            close = tally.values_close(a, b, place)
        if not close:
            return False
    return True
