"""Clock readings that reach an output: a value printed as read, or the time between two readings.

Shared by the notebook doctor (:mod:`.doctor`) and the cell doctor (:mod:`.cell_doctor`).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from .doctor_causes import CLOCK_KINDS, Cause, clock_value_shown, fix_for, where

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_SHOWN_DIGITS = 6
"""Significant digits a printed number needs before it counts as an elapsed time: with fewer, some
difference of a few dozen readings would match it by chance."""
_SCALES = (1.0, 1e3, 1e6, 1e-3, 1e-6, 1e-9)
"""Units an elapsed time is printed in: as read, milli and micro (``* 1000``), and ns clocks in s or ms."""


def _printed_numbers(text: str) -> list[tuple[float, int]]:
    """Numbers in ``text`` with enough significant digits, each with its count of decimals."""
    found = []
    for token in _NUMBER.findall(text):
        mantissa = token.lower().partition("e")[0].lstrip("+-")
        digits = len(mantissa.replace(".", "").lstrip("0"))
        if digits >= _SHOWN_DIGITS:
            decimals = len(mantissa.partition(".")[2]) if "e" not in token.lower() else -1
            found.append((float(token), decimals))
    return found


def _matches(elapsed: float, number: float, decimals: int) -> bool:
    for scale in _SCALES:
        value = elapsed * scale
        if value == number or (decimals >= 0 and round(value, decimals) == number):
            return True
        if decimals < 0 and abs(value - number) <= 1e-9 * abs(number):  # printed with an exponent
            return True
    return False


def elapsed_shown(readings: list[dict[str, Any]], text: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Two readings of one clock in one run whose difference is printed in ``text``: where they were made.

    ``readings``: the probe's events of one clock kind in one kernel (each with the first values it
    returned at its site). The time a benchmark loop took is the usual case (``perf_counter() - start``).
    """
    numbers = _printed_numbers(text)
    if not numbers:
        return None
    values = [(event, value) for event in readings for value in event.get("values") or []]
    for (first, a), (second, b) in itertools.permutations(values, 2):
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b <= a:
            continue
        if any(_matches(b - a, number, decimals) for number, decimals in numbers):
            return first, second
    return None


def two_places(first: dict[str, Any], second: dict[str, Any], cell: int | None = None) -> str:
    """``cell 1 lines 7 and 9, reached from cell 3``: where two calls were made, said once."""
    a, b = where(first, cell), where(second, cell)
    if a == b:
        return a
    suffix = ""
    head, sep, tail = a.rpartition(", reached from ")
    if sep and b.endswith(sep + tail):
        suffix, a, b = sep + tail, head, b[: -len(sep + tail)]
    prefix_a, _, line_a = a.rpartition(" line ")
    prefix_b, _, line_b = b.rpartition(" line ")
    if prefix_a and prefix_a == prefix_b and line_a.isdigit() and line_b.isdigit():
        return f"{prefix_a} lines {line_a} and {line_b}{suffix}"
    return f"{a}{suffix} and {b}{suffix}"


def clocks_shown(index: int, events: list[dict[str, Any]], texts: list[str]) -> list[Cause]:
    """Clock reads of this cell whose value appears verbatim in its output: located, so confirmed."""
    causes: list[Cause] = []
    for event in events:
        if event.get("index") != index or event["kind"] not in CLOCK_KINDS:
            continue
        if any(cause.kind == event["kind"] for cause in causes):
            continue
        sites = [
            e
            for e in events
            if e.get("index") == index
            and e["kind"] == event["kind"]
            and e.get("line") == event.get("line")
            and e.get("module_line") == event.get("module_line")
        ]
        by_run: dict[Any, list[dict[str, Any]]] = {}
        for other in events:
            if other.get("index") == index and other["kind"] == event["kind"]:
                by_run.setdefault(other.get("log"), []).append(other)
        cause = clock_cause(event, sites, list(by_run.values()), texts, index)
        if cause is not None:
            causes.append(cause)
    return causes


def clock_cause(
    event: dict[str, Any],
    sites: list[dict[str, Any]],
    runs: list[list[dict[str, Any]]],
    texts: list[str],
    cell: int | None = None,
) -> Cause | None:
    """The confirmed cause when a reading at ``sites`` is printed as read, or the time between two
    readings of one kernel (``runs``: its readings, per kernel) is; ``None`` when neither is."""
    shown = sum(any(clock_value_shown(site, text) for site in sites) for text in texts)
    evidence = f"called at {where(event, cell)}; the value it returned is printed in the output"
    if not shown:
        shown, evidence = _elapsed_evidence(runs, texts, cell)
    if not shown:
        return None
    return Cause(event["kind"], f"{evidence} (in {shown} of {len(texts)} runs)", fix_for(event["kind"]), True)


def _elapsed_evidence(runs: list[list[dict[str, Any]]], texts: list[str], cell: int | None) -> tuple[int, str]:
    """In how many of ``texts`` the time between two readings of one kernel is printed."""
    shown, places = 0, None
    for text in texts:
        for readings in runs:
            pair = elapsed_shown(readings, text)
            if pair is not None:
                shown += 1
                places = places or pair
                break
    if places is None:
        return 0, ""
    return shown, f"called at {two_places(*places, cell)}; the time between two readings is printed in the output"


def clocks_shown_in(
    runner: Any, index: int, events: dict[str, list[dict[str, Any]]], pairs: list[list[Any]]
) -> list[Cause]:
    """:func:`clocks_shown` over the executed copies of a round's ``pairs`` (a :class:`.doctor_runs.DoctorRuns`)."""
    from .doctor_runs import output_text

    texts = [output_text(runner.outputs(copy_, index)) for pair in pairs for copy_ in pair]
    return clocks_shown(index, [e for found in events.values() for e in found], texts)
