"""One notebook's outcome in a collection: a verdict, what the summary shows, and the full report.

An outcome is plain data (str, int, float, bool) so that it crosses to and from a Dask worker
and into the cache as JSON, the same everywhere. :func:`check_one` makes one from the single
check, unchanged: :func:`~jupyter_seed.evidence.checks.notebook.check_notebook`, or
:func:`~jupyter_seed.evidence.checks.against_stored.check_against_stored` with ``--against-stored``.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from ...seeding.messages import short_text
from ..checks.against_stored import StoredCellReport, StoredReport, check_against_stored
from ..checks.notebook import (
    EXIT_DIFFERENT,
    EXIT_INTERRUPTED,
    EXIT_NOT_RUN,
    EXIT_REPRODUCIBLE,
    NotebookCheckError,
    NotebookReport,
    check_notebook,
)
from ..options import DEFAULT_RUNS

__all__ = [
    "AGAINST_STORED",
    "VERDICTS",
    "NotebookOutcome",
    "Verdict",
    "check_arguments_known",
    "check_one",
    "interrupted",
    "kernels_per_check",
    "worst_exit_code",
]

AGAINST_STORED = "against_stored"
"""The argument that says which single check runs: ``check_against_stored`` when true."""

Verdict = Literal["reproducible", "differs", "not run", "interrupted"]
VERDICTS: dict[str, int] = {
    "reproducible": EXIT_REPRODUCIBLE,
    "differs": EXIT_DIFFERENT,
    "not run": EXIT_NOT_RUN,
    "interrupted": EXIT_INTERRUPTED,
}


@dataclass(frozen=True)
class NotebookOutcome:
    notebook: str
    """The notebook as it was named (relative paths stay relative)."""
    verdict: Verdict
    cells: int = 0
    """Code cells compared (0 when it did not run)."""
    differing: int = 0
    first_cause: str = ""
    """The first differing cell's first cause, or why the notebook did not run."""
    seconds: float = 0.0
    cached: bool = False
    """A clean verdict taken from ``--cache``: nothing ran."""
    text: str = ""
    """The single check's report (text), or its one-line error."""
    markdown: str = ""
    json: str = ""

    @property
    def exit_code(self) -> int:
        return VERDICTS[self.verdict]

    @property
    def verdict_text(self) -> str:
        return "reproducible (cached)" if self.cached else self.verdict

    def same_verdict(self, other: NotebookOutcome) -> bool:
        """Equal in everything but time and where it ran (the reports carry their seconds)."""
        return (self.notebook, self.verdict, self.cells, self.differing, self.first_cause) == (
            other.notebook,
            other.verdict,
            other.cells,
            other.differing,
            other.first_cause,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NotebookOutcome:
        known = {field.name for field in fields(cls)}
        outcome = cls(**{key: value for key, value in data.items() if key in known})
        if outcome.verdict not in VERDICTS:
            raise ValueError(f"not a verdict: {short_text(repr(outcome.verdict))}")
        return outcome

    def as_cached(self) -> NotebookOutcome:
        return replace(self, cached=True, seconds=0.0)


def _first_cause(report: NotebookReport | StoredReport) -> str:
    """The first differing cell's first cause; against stored outputs, its class first."""
    for cell in report.differing:
        kind = f"{cell.kind}: " if isinstance(cell, StoredCellReport) else ""
        if cell.causes:
            return short_text(f"cell {cell.index}: {kind}{cell.causes[0].kind} [{cell.causes[0].label}]", 120)
        if isinstance(cell, StoredCellReport) and cell.kind != "nondeterministic":
            detail = cell.changes[0] if cell.changes else cell.difference.where if cell.difference else ""
            return short_text(f"cell {cell.index}: {cell.kind}" + (f" ({detail})" if detail else ""), 120)
        where = cell.difference.where if cell.difference is not None else "outputs"
        found = "cause not found" if report.doctor_seconds is not None else "doctor off"
        return short_text(f"cell {cell.index}: {kind}differs at {where} ({found})", 120)
    return ""


def from_report(report: NotebookReport | StoredReport, name: str, seconds: float) -> NotebookOutcome:
    report.path = name  # the report names the notebook as the person named it, wherever it ran
    return NotebookOutcome(
        notebook=name,
        verdict="reproducible" if report.ok else "differs",
        cells=len(report.cells),
        differing=len(report.differing),
        first_cause=_first_cause(report),
        seconds=seconds,
        text=report.render("text"),
        markdown=report.render("markdown"),
        json=report.render("json"),
    )


def not_run(name: str, reason: str, seconds: float = 0.0) -> NotebookOutcome:
    line = f"{name}: not run: {reason}"
    return NotebookOutcome(name, "not run", first_cause=short_text(reason, 120), seconds=seconds, text=line)


def interrupted(name: str, seconds: float = 0.0) -> NotebookOutcome:
    line = f"{name}: interrupted before its check finished"
    return NotebookOutcome(name, "interrupted", first_cause="interrupted", seconds=seconds, text=line)


def _check_of(arguments: Mapping[str, Any]) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The single check the arguments are for, and its keyword arguments (``against_stored`` popped)."""
    keywords = dict(arguments)
    return (check_against_stored if keywords.pop(AGAINST_STORED, False) else check_notebook), keywords


def check_arguments_known(arguments: Mapping[str, Any]) -> None:
    """ValueError naming the first argument the check does not take, before any notebook runs."""
    check, keywords = _check_of(arguments)
    taken = inspect.signature(check).parameters
    for key in keywords:
        if key == "path" or key not in taken:
            raise ValueError(f"{check.__name__} takes no option {short_text(repr(key))}")


def kernels_per_check(arguments: Mapping[str, Any]) -> int:
    """Kernels one notebook's check runs at a time: its runs (against stored: one, unless ``runs``)."""
    runs = arguments.get("runs")
    return int(runs) if runs else 1 if arguments.get(AGAINST_STORED) else DEFAULT_RUNS


def check_one(path: str | os.PathLike[str], name: str, arguments: Mapping[str, Any]) -> NotebookOutcome:
    """Check one notebook with the single check; ``name`` is how the reports name it.

    ``arguments``: the single check's keyword arguments, ``doctor`` included; with
    ``against_stored`` true those of ``check_against_stored`` (:func:`~jupyter_seed.cli_collection.check_arguments`
    builds them from the flags). A notebook that cannot be run is an outcome (``not run``, its
    one-line reason), not an error: the collection goes on. KeyboardInterrupt goes through.
    """
    started = time.perf_counter()
    check, keywords = _check_of(arguments)
    try:
        report = check(path, **keywords)
    except (NotebookCheckError, ValueError) as error:
        reason = str(error)
        prefix = f"{path}: "
        reason = reason[len(prefix) :] if reason.startswith(prefix) else reason
        return not_run(name, reason, time.perf_counter() - started)
    return from_report(report, name, time.perf_counter() - started)


def worst_exit_code(outcomes: list[NotebookOutcome]) -> int:
    """The collection's exit status: its worst verdict (130 when it was interrupted)."""
    return max((outcome.exit_code for outcome in outcomes), default=EXIT_REPRODUCIBLE)
