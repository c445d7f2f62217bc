"""``jupyter-seed check NB --against-stored``: does the notebook still give the outputs it shows?

One fresh run, the way the outputs were made (the configuration recorded in
``metadata.jupyter_seed``, else the notebook as it is), compared cell by cell with
the stored outputs under the run-vs-run check's output rules. Only when a cell
differs beyond tolerance is a second fresh run spent, to tell a cell that cannot
be expected to repeat from one that reproduces here and differs from the file.
Every code cell gets one class:

``matches``, ``float-drift`` (every difference a number within ``rtol``/``atol``),
``nondeterministic`` (two fresh runs differ too; the doctor names the cause),
``environment`` (reproduces here; the recorded provenance differs in something that
can change results), ``changed`` (reproduces here; same or unrecorded environment),
and, for a cell that cannot be compared, ``no-stored-output`` (never run or cleared)
or ``skipped`` (tagged ``jupyter-seed-skip``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...seeding.provenance import provenance_changes, recorded_provenance
from ...seeding.seeds import validate_seed
from ..options import resolve_mode, validate_parallel, validate_runs, validate_timeout, validate_tolerance
from ..outputs.mimebundle import outputs_difference
from ..outputs.text_rules import volatile_rules
from ..outputs.tolerance import DEFAULT_ATOL, DEFAULT_RTOL, Drift, outputs_drift
from ..outputs.values import Difference
from .confidence import Confidence, against_stored
from .doctor import Cause
from .notebook import EXPECT_DIFFER_TAG, SKIP_TAGS
from .runner import NotebookCheckError, code_cells, execute_runs, for_each_run, load_notebook
from .stored_runs import (
    RunConfiguration,
    executed_cell,
    provenance_of,
    recorded_configuration,
    with_provenance_cell,
)

CLASSES = ("matches", "float-drift", "nondeterministic", "environment", "changed")
NOT_COMPARED = ("no-stored-output", "skipped")
GIVES_STORED = frozenset({"matches", "float-drift", *NOT_COMPARED})
NO_PROVENANCE = "no provenance stored: an environment change cannot be told apart"
ALREADY_LOADED = (
    r"The jupyter_seed extension is already loaded\. To reload it, use:\n[ \t]*%reload_ext jupyter_seed\n?"
)
"""What IPython prints at a notebook's own ``%load_ext jupyter_seed`` after the check's setup cell
loaded it: an artefact of the check, absent from outputs stored where the notebook loaded it first."""

__all__ = ["CLASSES", "StoredCellReport", "StoredReport", "check_against_stored"]


@dataclass
class StoredCellReport:
    index: int
    cell_id: str | None
    source: str
    kind: str = "matches"
    """One of :data:`CLASSES` or :data:`NOT_COMPARED` (``cells[i].class`` in JSON)."""
    difference: Difference | None = None
    """The first difference between the first fresh run and the stored outputs."""
    drift: Drift | None = None
    run_difference: Difference | None = None
    """Between two fresh runs (``nondeterministic``)."""
    run: int | None = None
    changes: list[str] = field(default_factory=list)
    """What the recorded environment changed, ``from → to`` (``environment``)."""
    causes: list[Cause] = field(default_factory=list)
    note: str = ""
    expected_to_differ: bool = False
    """Tagged ``jupyter-seed-expect-differ``: differing between fresh runs is what it shows on purpose."""

    @property
    def excused(self) -> bool:
        """A tagged cell that differs between fresh runs: reported, not counted against the verdict."""
        return self.expected_to_differ and self.kind == "nondeterministic"

    @property
    def first_line(self) -> str:
        lines = self.source.strip().splitlines()
        text = lines[0] if lines else ""
        return text if len(text) <= 60 else text[:59] + "…"

    @property
    def details(self) -> list[str]:
        """What the class rests on, one line each, for every rendering."""
        if self.kind == "float-drift" and self.drift is not None:
            return [f"{self.drift} (at {self.drift.where})"]
        lines = [] if self.difference is None else [f"stored vs fresh: {self.difference}"]
        if self.kind == "nondeterministic" and self.run_difference is not None:
            lines.append(f"fresh run {self.run} vs fresh run 1: {self.run_difference}")
            lines += [f"cause {rank}: {cause}" for rank, cause in enumerate(self.causes, 1)]
        if self.note:
            lines.append(self.note)
        return lines


@dataclass
class StoredReport:
    path: str
    configuration: RunConfiguration
    fresh_runs: int
    seconds: float
    rtol: float
    atol: float
    cells: list[StoredCellReport] = field(default_factory=list)
    provenance: Mapping[str, Any] | None = None
    """As recorded in the notebook (``None``: not recorded)."""
    current: Mapping[str, Any] | None = None
    """The first fresh run's kernel's provenance."""
    changes: list[str] = field(default_factory=list)
    doctor_seconds: float | None = None
    doctor_experiments: list[str] = field(default_factory=list)
    """What the doctor ran, with pairs and seconds, and what its budget left out."""

    @property
    def differing(self) -> list[StoredCellReport]:
        return [cell for cell in self.cells if cell.kind not in GIVES_STORED and not cell.excused]

    @property
    def ok(self) -> bool:
        return not self.differing

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def count(self, kind: str) -> int:
        return sum(cell.kind == kind for cell in self.cells)

    @property
    def confidence(self) -> Confidence | None:
        """What a clean result rests on (``None`` when no cell was compared clean)."""
        if not any(cell.kind in ("matches", "float-drift") for cell in self.cells):
            return None
        return against_stored(self.fresh_runs)

    def summary(self) -> str:
        counts = [f"{self.count(kind)} {kind}" for kind in (*CLASSES, *NOT_COMPARED) if self.count(kind)]
        counts = [text.replace("no-stored-output", "no stored output") for text in counts]
        differing = len(self.differing)
        verdict = (
            "every cell gives its stored outputs"
            if self.ok
            else f"{differing} of {len(self.cells)} code cells differ from their stored outputs"
        )
        excused = sum(cell.excused for cell in self.cells)
        if excused:
            verdict += f"; {excused} more differ{'s' if excused == 1 else ''}, as tagged {EXPECT_DIFFER_TAG}"
        return f"{verdict} ({', '.join(counts) or 'no code cells'})"

    def render(self, format: str) -> str:
        from ...views.stored_report import render

        return render(self, format)


def _configuration(
    seed: int | None, mode: str | None, per_cell: str | None, notebook: Any
) -> RunConfiguration:
    """The options' configuration when any was given, else the notebook's, else the notebook as it is."""
    if seed is None and mode is None and per_cell is None:
        recorded = recorded_configuration(notebook)
        return recorded or RunConfiguration("asis", None, None, origin="none recorded")
    chosen, per_cell = resolve_mode(mode, per_cell)
    seed = validate_seed(0 if seed is None else seed)
    return RunConfiguration(chosen, None if chosen == "asis" else seed, per_cell)


def _stored_outputs(cell: Any) -> list[Any] | None:
    """The stored outputs, or ``None`` when the cell was never run or was cleared."""
    outputs = list(cell.get("outputs", []))
    return outputs if outputs or cell.get("execution_count") is not None else None


def check_against_stored(
    path: str | os.PathLike[str],
    *,
    seed: int | None = None,
    mode: str | None = None,
    per_cell: str | None = None,
    runs: int | None = None,
    timeout: float | None = None,
    ignore: Sequence[str] = (),
    parallel: int | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    doctor: bool = True,
    doctor_budget: Any = None,
) -> StoredReport:
    """Compare a fresh run of the notebook with its stored outputs and classify every code cell.

    ``seed``/``mode``/``per_cell`` override the configuration recorded in the notebook
    (none given: the recorded one, else the notebook as it is). ``runs``: fresh runs
    every time (default: one, and a second only when a cell differs beyond tolerance).
    ``doctor_budget``: as the run-vs-run check's (seconds, ``"2x"`` the check's time).
    Raises :class:`NotebookCheckError` (one line) when the notebook cannot be run.
    """
    from .doctor_plan import parse_doctor_budget

    budget = None if doctor_budget is None else parse_doctor_budget(doctor_budget, "doctor_budget")
    if runs is not None:
        validate_runs(runs)
    validate_parallel(parallel)
    validate_timeout(timeout)
    rtol, atol = validate_tolerance(rtol, "--rtol"), validate_tolerance(atol, "--atol")
    rules = volatile_rules(ignore)
    notebook = load_notebook(path)
    configuration = _configuration(seed, mode, per_cell, notebook)
    if configuration.seed is not None:
        rules.append((re.compile(ALREADY_LOADED), ""))
    started = time.perf_counter()
    cells: list[StoredCellReport] = []
    stored: dict[int, list[Any]] = {}
    for index, cell in code_cells(notebook):
        cell_report = StoredCellReport(index, cell.get("id"), cell.source)
        outputs = _stored_outputs(cell)
        tags = set(cell.get("metadata", {}).get("tags", []))
        cell_report.expected_to_differ = EXPECT_DIFFER_TAG in tags
        if SKIP_TAGS & tags:
            cell_report.kind = "skipped"
        elif outputs is None:
            cell_report.kind = "no-stored-output"
        else:
            stored[index] = outputs
        cells.append(cell_report)
    by_index = {cell.index: cell for cell in cells}
    run_args: dict[str, Any] = {
        "seed": configuration.seed,
        "per_cell": configuration.per_cell,
        "cwd": str(Path(path).resolve().parent),
        "timeout": timeout,
        "parallel": parallel,
        "setup_extra": configuration.setup_extra(),
    }
    augmented = with_provenance_cell(notebook)
    first: list[Any] = []

    def compare(run: int, executed: Any) -> None:
        if not first:
            first.append(executed)
            for index, outputs in stored.items():
                _against_stored(
                    by_index[index],
                    executed_cell(executed, notebook, index).outputs,
                    outputs,
                    rules,
                    rtol,
                    atol,
                )
            return
        for index in stored:
            cell = by_index[index]
            if cell.run_difference is None:
                found = outputs_difference(
                    executed_cell(first[0], notebook, index).outputs,
                    executed_cell(executed, notebook, index).outputs,
                    "",
                    rules,
                )
                if found is not None:
                    cell.run_difference = Difference(
                        found.where.strip() or "outputs", found.first, found.second
                    )
                    cell.run = run

    fresh_runs = runs or 1
    for_each_run(augmented, runs=fresh_runs, on_run=compare, **run_args)
    if fresh_runs < 2 and any(cell.difference is not None and cell.drift is None for cell in cells):
        for_each_run(augmented, runs=1, on_run=lambda _n, copy_: compare(2, copy_), **run_args)
        fresh_runs = 2
    current = provenance_of(first[0])
    first.clear()
    recorded = recorded_provenance(notebook.get("metadata", {}))
    changes = provenance_changes(recorded, current) if recorded is not None and current is not None else []
    for cell in cells:
        _classify(cell, recorded is not None, changes, fresh_runs)
    report = StoredReport(
        str(path),
        configuration,
        fresh_runs,
        time.perf_counter() - started,
        rtol,
        atol,
        cells,
        provenance=recorded,
        current=current,
        changes=changes,
    )
    for cell in cells:
        if cell.excused:
            cell.note = f"differs, as its {EXPECT_DIFFER_TAG} tag says" + (f"; {cell.note}" if cell.note else "")
    nondeterministic = [cell for cell in cells if cell.kind == "nondeterministic" and not cell.excused]
    if doctor and nondeterministic:
        _diagnose(report, nondeterministic, notebook, rules, run_args, budget)
    return report


def _against_stored(
    cell: StoredCellReport, fresh: list[Any], stored: list[Any], rules: Any, rtol: float, atol: float
) -> None:
    found = outputs_difference(stored, fresh, "", rules)
    if found is None:
        return
    cell.difference = Difference(found.where.strip() or "outputs", found.first, found.second)
    cell.drift = outputs_drift(fresh, stored, rules, rtol=rtol, atol=atol)


def _classify(cell: StoredCellReport, recorded: bool, changes: list[str], fresh_runs: int) -> None:
    if cell.kind in NOT_COMPARED:
        return
    if cell.difference is None:
        cell.kind = "nondeterministic" if cell.run_difference is not None else "matches"
        if cell.run_difference is not None:
            cell.note = "matched the stored outputs in fresh run 1 only"
        return
    if cell.drift is not None:
        cell.kind = "float-drift"
        return
    if cell.run_difference is not None:
        cell.kind = "nondeterministic"
        return
    agree = f"{fresh_runs} fresh runs agree"
    if recorded and changes:
        cell.kind, cell.changes = "environment", list(changes)
        cell.note = f"reproduces here ({agree}); the recorded environment differs: " + "; ".join(changes)
    elif recorded:
        cell.kind, cell.note = (
            "changed",
            f"reproduces here ({agree}) in the environment the notebook recorded",
        )
    else:
        cell.kind, cell.note = "changed", f"reproduces here ({agree}); {NO_PROVENANCE}"


def _diagnose(
    report: StoredReport,
    cells: list[StoredCellReport],
    notebook: Any,
    rules: Any,
    run_args: dict[str, Any],
    budget: Any,
) -> None:
    from .doctor import diagnose

    def run(env: dict[str, str], setup_extra: str, runs: int = 2) -> list[Any]:
        extra = "\n".join(code for code in (run_args["setup_extra"], setup_extra) if code)
        return execute_runs(notebook, runs=runs, **{**run_args, "setup_extra": extra}, env=env)

    def still_differs(executed: list[Any], index: int) -> bool:
        a, b = (executed_cell(copy_, notebook, index).outputs for copy_ in executed[:2])
        return outputs_difference(a, b, "", rules) is not None

    checked = {cell.index: (1, (cell.run or 2) - 1) for cell in cells}
    try:
        diagnosis = diagnose(
            notebook,
            [c.index for c in cells],
            run,
            still_differs,
            report.configuration.seed,
            checked,
            budget=budget,
            check_seconds=report.seconds,  # its fresh runs: the doctor's default budget is 1.5x that
        )
    except NotebookCheckError:
        return  # a diagnostic run failed: report the class without causes rather than guess
    report.doctor_seconds = diagnosis.seconds
    report.doctor_experiments = list(diagnosis.experiments)
    for cell in cells:
        cell.causes = diagnosis.causes.get(cell.index, [])
