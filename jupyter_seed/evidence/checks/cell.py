"""``%%seed --check``: run a cell K times from the same seed and say whether it reproduces.

Each run's stdout, displayed data, new matplotlib figures, last expression value
and the values of the names the cell assigns are recorded and compared with the
first run exactly (:mod:`jupyter_seed.evidence.outputs.values`). Before every run after the first,
the names the cell touches are put back as they were before the check (one
``copy.deepcopy`` of all of them together, so shared references stay shared): a
cell that builds on its own previous run (``x += 1``, training a model in place)
is then reported as *stateful*, and any difference left is real nondeterminism.
The namespace after the check is the last run's.
"""

from __future__ import annotations

import ast
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

from ...seeding.seeder import Seeder
from ..cell_names import analyze_cell
from ..harness import NamespaceSnapshot, RunRecord, run_once
from ..options import validate_runs
from ..outputs.mimebundle import mimebundle_difference, text_difference
from ..outputs.text_rules import normalize_text, terminal_text
from ..outputs.values import Difference, first_difference, short_repr
from .cell_doctor import diagnose_cell

Verdict = Literal["reproducible", "stateful", "nondeterministic", "failed"]


# ------------------------------------------------------------------- report
_LISTED_RUNS = 3
@dataclass
class CellCheckReport:
    seed: int | None
    runs: int
    differences: list[tuple[int, Difference]]
    stateful: list[str]
    causes: list[str]
    unrestorable: dict[str, str]
    errors: list[str | None]
    compared_names: list[str]
    clock_names: list[str] = field(default_factory=list)
    divergence: Any = None
    """With ``--localize``: where two traced runs part (``localize.compare.Divergence``), or None."""
    """Names the cell sets from a clock: timings, not compared (as durations in outputs are masked)."""

    @property
    def verdict(self) -> Verdict:
        if all(self.errors) and len(set(self.errors)) == 1:
            return "failed"
        if self.differences:
            # With names it could not put back, the check cannot tell state from nondeterminism.
            return "stateful" if self.unrestorable else "nondeterministic"
        return "stateful" if self.stateful else "reproducible"

    @property
    def ok(self) -> bool:
        return self.verdict == "reproducible"

    def __str__(self) -> str:
        what = "stdout, displays, figures, value" + (
            f" and {', '.join(self.compared_names)}" if self.compared_names else ""
        )
        verdict = self.verdict
        under = "without a seed" if self.seed is None else f"under seed {self.seed}"
        lines: list[str] = []
        if verdict == "reproducible":
            lines.append(f"Reproducible: {self.runs} runs {under} gave identical {what}.")
        elif verdict == "failed":
            lines.append(f"Every run {under} raised {self.errors[0]}.")
        elif verdict == "nondeterministic":
            lines.append(f"NOT reproducible: {self.runs} runs {under} differ.")
        else:
            lines.append(
                f"STATEFUL: the cell depends on its own previous run ({self.runs} runs {under})."
            )
        for run, difference in self.differences[:_LISTED_RUNS]:
            lines.append(f"  run {run} vs run 1: {difference}")
        if len(self.differences) > _LISTED_RUNS:
            lines.append(f"  … {len(self.differences) - _LISTED_RUNS} more runs differ from run 1")
        agreeing = self.runs - 1 - len(self.differences)
        if self.differences and agreeing:
            lines.append(f"  {agreeing} other run{'s' if agreeing > 1 else ''} matched run 1")
        for note in self.stateful:
            lines.append(f"  stateful: {note}")
        if verdict == "stateful" and not self.differences:
            lines.append(
                "  The check restored those names before every run and the runs agree; "
                "running the cell again by hand will not repeat its result."
            )
        if self.clock_names:
            listed = ", ".join(repr(name) for name in self.clock_names)
            lines.append(f"  not compared: {listed}, set from a clock (timings, like durations in outputs)")
        for name, error in self.unrestorable.items():
            lines.append(f"  could not snapshot {name!r}: {error}")
        if self.differences and self.divergence is not None:
            lines.append(f"  {self.divergence}")
        if self.differences and self.causes:
            lines += [f"  cause {rank}: {cause}" for rank, cause in enumerate(self.causes, 1)]
        elif self.differences and verdict == "nondeterministic":
            lines.append(
                "  cause: none found by the doctor (it saw no unseeded generator, entropy or clock call)"
            )
        return "\n".join(lines)


def compare_runs(first: RunRecord, other: RunRecord) -> Difference | None:
    """The first difference between two runs, under the output rules of ``jupyter-seed check``.

    Printed and displayed text is compared as JupyterLab shows it, with the volatile parts
    masked (durations, ``%timeit`` loop counts, progress redraws, addresses): one set of
    output rules serves every check. Values and assigned names are compared exactly.
    """
    errors = [None if text is None else normalize_text(text) for text in (first.error_text, other.error_text)]
    if errors[0] != errors[1]:
        return Difference("error", short_repr(first.error_text), short_repr(other.error_text))
    found = text_difference(
        normalize_text(terminal_text(first.stdout)), normalize_text(terminal_text(other.stdout)), "stdout"
    )
    if found is not None:
        return found
    if len(first.displayed) != len(other.displayed):
        return Difference("number of displays", str(len(first.displayed)), str(len(other.displayed)))
    for index, (a, b) in enumerate(zip(first.displayed, other.displayed, strict=False), start=1):
        found = mimebundle_difference(a, b, f"display {index}")
        if found is not None:
            return found
    found = first_difference(first.figures, other.figures, "figures")
    if found is not None:
        return found
    found = first_difference(first.value, other.value, "value")
    if found is not None:
        return found
    for name in sorted(set(first.names) | set(other.names)):
        if name not in first.names or name not in other.names:
            return Difference(
                name,
                "assigned" if name in first.names else "not assigned",
                "assigned" if name in other.names else "not assigned",
            )
        found = first_difference(first.names[name], other.names[name], name)
        if found is not None:
            return found
    return None


_CLOCKS = frozenset(
    {
        "time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns",
        "process_time", "process_time_ns", "thread_time", "thread_time_ns", "default_timer",
        "now", "utcnow", "today",
    }
)
"""Functions of ``time``, ``timeit`` and ``datetime`` (or pandas' ``Timestamp``) that read a clock."""


def clock_names(source: str) -> frozenset[str]:
    """Top-level names the cell sets to a clock reading or to arithmetic on clock readings.

    ``t0 = time.perf_counter()``, ``elapsed = time.perf_counter() - t0``, ``ms = elapsed * 1e3``:
    a timing, which legitimately differs between runs as the durations masked in outputs
    do. Anything else built from a clock (``seed = int(time.time())``) is not one of them:
    it stays compared.
    """
    found: set[str] = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return frozenset()

    def is_timing(node: ast.AST) -> bool:
        if isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            return name in _CLOCKS and not node.args and not node.keywords
        if isinstance(node, ast.BinOp):
            return (is_timing(node.left) or is_timing(node.right)) and all(
                is_timing(side) or _is_constant_or(side, found) for side in (node.left, node.right)
            )
        if isinstance(node, ast.UnaryOp):
            return is_timing(node.operand)
        return isinstance(node, ast.Name) and node.id in found

    for statement in tree.body:
        if isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets):
            targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            if is_timing(statement.value):
                found.update(targets)
            else:
                found.difference_update(targets)
    return frozenset(found)


def _is_constant_or(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) or (
        isinstance(node, ast.Name) and node.id in names
    )


# -------------------------------------------------------------------- check
def check_cell(
    shell: Any, seeder: Seeder, cell: str, seed: int | None, runs: int = 2, localize: bool = False
) -> tuple[CellCheckReport, RunRecord]:
    """Run ``cell`` ``runs`` times under ``seed``; return the report and the last run.

    ``seed=None`` runs the cell as it is, unseeded, so any randomness it draws shows
    as a difference. The last run's outputs are shown as a normal run's would be;
    earlier runs are silent. Only the first run's record and the current one are
    kept, so memory does not grow with ``runs``.
    """
    validate_runs(runs)
    source = shell.transform_cell(cell)
    names = analyze_cell(source)  # SyntaxError here, before anything ran
    namespace = shell.user_ns
    snapshot = NamespaceSnapshot(namespace, set(names.assigned | names.read))
    # A name the cell overwrites before reading it needs no snapshot: only the others can carry state.
    carried = names.read_before_assigned | (names.read - names.assigned)
    unrestorable = {n: e for n, e in snapshot.unrestorable.items() if n in carried}
    timings = clock_names(source)
    compared = frozenset(names.assigned - timings)
    read_only = {n for n in names.read - names.assigned if n in snapshot.saved}
    stateful = [
        f"reads {name!r} before assigning it"
        for name in sorted(names.read_before_assigned)
        if name in namespace and name not in snapshot.unrestorable
    ]
    first: RunRecord | None = None
    record = RunRecord()
    differences: list[tuple[int, Difference]] = []
    errors: list[str | None] = []
    for index in range(runs):
        last = index == runs - 1
        if index > 0:
            snapshot.restore(namespace)
        seeded = seeder.seeded(seed) if seed is not None else nullcontext()
        record = run_once(shell, cell, seeded, assigned=compared, show=last, keep_figures=last)
        errors.append(record.error_text)
        if first is None:
            first = record
            for name in sorted(read_only):
                if (
                    name in namespace
                    and first_difference(snapshot.saved[name], namespace[name], name) is not None
                ):
                    stateful.append(f"changes {name!r} in place, which it also reads")
        elif (found := compare_runs(first, record)) is not None:
            differences.append((index + 1, found))

    causes: list[str] = []
    if differences and not unrestorable:
        # The doctor: an experiment, not a guess from the cell's text (see cell_doctor).
        diagnosed = diagnose_cell(
            shell,
            cell,
            lambda: seeder.seeded(seed) if seed is not None else nullcontext(),
            snapshot,
            compared,
            lambda a, b: compare_runs(a, b) is None,
        )
        causes = [str(cause) for cause in diagnosed]
        if seed is None and not diagnosed:
            causes = ["the cell draws random numbers and no seed was given (`%%seed --check N` or `%seed N`)"]
    divergence = None
    if localize and differences and not unrestorable:
        from .localize.in_kernel import localize_in_kernel

        divergence = localize_in_kernel(
            shell,
            cell,
            lambda: seeder.seeded(seed) if seed is not None else nullcontext(),
            lambda: snapshot.restore(namespace),
        )
    report = CellCheckReport(
        seed=seed,
        runs=runs,
        differences=differences,
        stateful=stateful,
        causes=causes,
        unrestorable=unrestorable,
        errors=errors,
        compared_names=sorted(record.names),
        clock_names=sorted(timings & names.assigned),
        divergence=divergence,
    )
    return report, record
