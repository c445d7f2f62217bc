"""``jupyter-seed check NOTEBOOK.ipynb``: run a notebook K times and compare every code cell.

The runs come from :mod:`.notebook_runner` (fresh kernels through nbclient);
outputs are compared with :func:`.difference.outputs_difference`: images by
decoded pixels, text after the volatile-text rules. The report's renderings
(text, JSON, Markdown) live in :mod:`jupyter_seed.views.notebook_report`.

Exit codes: 0 every cell reproduces, 1 some cell differs, 2 the notebook could
not be run (missing file, bad JSON, a cell error, a timeout, bad arguments).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ...seeding.seeds import validate_seed
from ..options import (
    DEFAULT_CHECK_MODE,
    DEFAULT_SEED,
    CheckMode,
    resolve_mode,
    validate_parallel,
    validate_runs,
    validate_timeout,
)
from ..outputs.mimebundle import outputs_difference
from ..outputs.text_rules import volatile_rules
from ..outputs.values import Difference
from .confidence import Confidence, run_vs_run
from .doctor import Cause
from .localize.compare import Divergence
from .runner import NotebookCheckError, code_cells, execute_runs, for_each_run, load_notebook

EXIT_REPRODUCIBLE = 0
EXIT_DIFFERENT = 1
EXIT_NOT_RUN = 2
EXIT_INTERRUPTED = 130
Format = Literal["text", "json", "markdown"]

SKIP_TAGS = frozenset({"jupyter-seed-skip", "nbval-ignore-output"})
"""Cell tags whose outputs are not compared (the cell still runs); nbval's tag is honoured too."""
EXPECT_DIFFER_TAG = "jupyter-seed-expect-differ"
"""A cell that differs on purpose (it shows what is not seeded): compared and reported, never
counted against the verdict and not diagnosed; one that reproduces after all is reported too."""

__all__ = ["CellReport", "NotebookCheckError", "NotebookReport", "check_notebook", "execute_runs"]


# --------------------------------------------------------------------- report
@dataclass
class CellReport:
    index: int
    """1-based position of the cell in the notebook (markdown cells count)."""
    cell_id: str | None
    source: str
    difference: Difference | None = None
    run: int | None = None
    """The run (2..K) that first differed from run 1."""
    causes: list[Cause] = field(default_factory=list)
    """From the doctor: confirmed causes first, each with its evidence and fix."""
    skipped: bool = False
    """Tagged ``jupyter-seed-skip``: run, not compared."""
    divergence: Divergence | None = None
    """With ``localize``: where two traced runs first part (:mod:`.localize`)."""
    expected_to_differ: bool = False
    """Tagged ``jupyter-seed-expect-differ``: a difference is what the notebook says it shows."""

    @property
    def reproducible(self) -> bool:
        return self.difference is None

    @property
    def first_line(self) -> str:
        lines = self.source.strip().splitlines()
        text = lines[0] if lines else ""
        return text if len(text) <= 60 else text[:59] + "…"


@dataclass
class NotebookReport:
    path: str
    seed: int | None
    per_cell: str | None
    runs: int
    seconds: float
    cells: list[CellReport] = field(default_factory=list)
    mode: CheckMode = DEFAULT_CHECK_MODE
    doctor_seconds: float | None = None
    """Time the doctor's diagnostic runs took (None: it did not run)."""
    doctor_experiments: list[str] = field(default_factory=list)
    """What the doctor ran (pairs, seconds) and what its budget left out."""

    @property
    def mode_text(self) -> str:
        """Which mode ran, in words, for every rendering."""
        if self.mode == "asis":
            return "mode asis: the notebook as it is, no seed added"
        if self.mode == "once":
            return f"mode once: %seed {self.seed} at the start"
        return f"mode per-cell: %seed {self.seed} --per-cell {self.per_cell}"

    @property
    def differing(self) -> list[CellReport]:
        """The cells that differ against the verdict (not those tagged to differ)."""
        return [cell for cell in self.cells if not cell.reproducible and not cell.expected_to_differ]

    @property
    def differing_as_tagged(self) -> list[CellReport]:
        return [cell for cell in self.cells if not cell.reproducible and cell.expected_to_differ]

    @property
    def ok(self) -> bool:
        return not self.differing

    @property
    def exit_code(self) -> int:
        return EXIT_REPRODUCIBLE if self.ok else EXIT_DIFFERENT

    @property
    def confidence(self) -> Confidence | None:
        """What the clean cells' verdict rests on (``None`` when no cell was compared clean)."""
        if not any(cell.reproducible and not cell.skipped for cell in self.cells):
            return None
        return run_vs_run(self.runs)

    def summary(self) -> str:
        tagged = len(self.differing_as_tagged)
        as_tagged = (
            f"as its {EXPECT_DIFFER_TAG} tag says" if tagged == 1 else f"as their {EXPECT_DIFFER_TAG} tags say"
        )
        if self.ok:
            if tagged:
                rest = "the other one differs" if tagged == 1 else f"the other {tagged} differ"
                return f"{len(self.cells) - tagged} of {len(self.cells)} code cells reproduce; {rest}, {as_tagged}"
            return f"all {len(self.cells)} code cells reproduce"
        also = f" (and {tagged} more, {as_tagged})" if tagged else ""
        return f"{len(self.differing)} of {len(self.cells)} code cells differ{also}"

    def render(self, format: Format) -> str:
        from ...views.notebook_report import render

        return render(self, format)


# -------------------------------------------------------------------- check
def check_notebook(
    path: str | os.PathLike[str],
    *,
    seed: int = DEFAULT_SEED,
    per_cell: str | None = None,
    runs: int = 2,
    timeout: float | None = None,
    ignore: Sequence[str] = (),
    parallel: int | None = None,
    mode: str | None = None,
    doctor: bool = True,
    doctor_budget: Any = None,
    localize: bool = False,
) -> NotebookReport:
    """Run the notebook ``runs`` times and compare every code cell's outputs.

    ``mode``: ``"asis"`` (no seed added), ``"once"`` (``%seed seed`` at the start, the
    default) or ``"per-cell"`` (``%seed seed --per-cell per_cell``; given ``per_cell``
    alone selects it). ``localize``: for each differing cell, trace two more runs up to it and
    report where they first part (``CellReport.divergence``; verdicts unchanged). Raises
    :class:`NotebookCheckError` (one line) when it cannot be run; bad arguments raise ``ValueError`` before any kernel starts.
    """
    seed = validate_seed(seed)
    chosen, per_cell = resolve_mode(mode, per_cell)
    validate_runs(runs)
    validate_parallel(parallel)
    validate_timeout(timeout)
    from .doctor_plan import parse_doctor_budget

    budget = None if doctor_budget is None else parse_doctor_budget(doctor_budget, "doctor_budget")
    rules = volatile_rules(ignore)
    notebook = load_notebook(path)
    started = time.perf_counter()
    run_args: dict[str, Any] = {
        "seed": None if chosen == "asis" else seed,
        "per_cell": per_cell,
        "cwd": str(Path(path).resolve().parent),
        "timeout": timeout,
        "parallel": parallel,
    }
    cells: list[CellReport] = []
    for index, cell in code_cells(notebook):
        cell_report = CellReport(index, cell.get("id"), cell.source)
        tags = set(cell.get("metadata", {}).get("tags", []))
        cell_report.skipped = bool(SKIP_TAGS & tags)
        cell_report.expected_to_differ = EXPECT_DIFFER_TAG in tags
        cells.append(cell_report)
    first_run: list[Any] = []
    kept_for_doctor: list[Any] = []  # the first two runs: the doctor's baseline (memory stays constant)

    def compare_with_first(run: int, executed: Any) -> None:
        # Each run is compared as it finishes and then let go: memory does not grow with --runs.
        if doctor and len(kept_for_doctor) < 2:
            kept_for_doctor.append(executed)
        if not first_run:
            first_run.append(executed)
            return
        for cell_report in cells:
            if cell_report.skipped or cell_report.difference is not None:
                continue
            found = cell_difference(first_run[0], executed, cell_report.index, notebook, rules)
            if found is not None:
                cell_report.difference = found
                cell_report.run = run

    for_each_run(notebook, runs=runs, on_run=compare_with_first, **run_args)
    first_run.clear()
    seconds = time.perf_counter() - started
    applied = None if chosen == "asis" else seed
    report = NotebookReport(str(path), applied, per_cell, runs, seconds, cells=cells, mode=chosen)
    if doctor and report.differing:
        _diagnose(report, notebook, rules, run_args, kept_for_doctor, budget)
    kept_for_doctor.clear()
    if localize and report.differing:
        _localize(report, notebook, run_args)
    _environment_first(report, notebook)
    return report


def _environment_first(report: NotebookReport, notebook: Any) -> None:
    """Put what changed since the notebook recorded its environment first among the causes."""
    from ...seeding.provenance import environment_changes
    from .doctor import Cause

    changes = environment_changes(notebook.get("metadata", {}))
    fix = "install the recorded versions, or re-record the notebook in this environment"
    for cell in report.differing:
        cell.causes = [Cause("environment changed", change, fix, False) for change in changes] + cell.causes


def cell_difference(first: Any, second: Any, index: int, notebook: Any, rules: Any) -> Difference | None:
    """How notebook cell ``index`` (1-based) differs between two executed copies (setup cell or not)."""
    position = index - 1 + len(first.cells) - len(notebook.cells)
    found = outputs_difference(first.cells[position].outputs, second.cells[position].outputs, "", rules)
    if found is None:
        return None
    return Difference(found.where.strip() or "outputs", found.first, found.second)


def _localize(report: NotebookReport, notebook: Any, run_args: dict[str, Any]) -> None:
    from .localize.notebook_run import localize_cells

    found = localize_cells(notebook, [cell.index for cell in report.differing], run_args)
    for cell in report.differing:
        cell.divergence = found.get(cell.index)


def _diagnose(
    report: NotebookReport, notebook: Any, rules: Any, run_args: dict[str, Any], baseline: list[Any], budget: Any
) -> None:
    from .doctor import diagnose
    from .doctor_runs import NotebookRuns
    from .runner import threads_per_kernel

    runs = NotebookRuns(notebook, run_args, lambda a, b: outputs_difference(a, b, "", rules) is not None)
    try:
        checked = {c.index: (1, (c.run or 2) - 1) for c in report.differing}  # the check's own pairs
        differing = [c.index for c in report.differing]
        threads = threads_per_kernel(min(report.runs, runs.concurrency))
        diagnosis = diagnose(
            notebook,
            differing,
            seed=report.seed,
            checked=checked,
            runs=runs,
            baseline=baseline[:2],
            budget=budget,
            check_seconds=report.seconds,
            threads_per_kernel=threads,
        )
    except NotebookCheckError:
        return  # a diagnostic run failed: report the difference without causes rather than guess
    report.doctor_seconds = diagnosis.seconds
    report.doctor_experiments = diagnosis.experiments
    for cell in report.differing:
        cell.causes = diagnosis.causes.get(cell.index, [])
