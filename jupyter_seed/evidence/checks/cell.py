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

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

from .cell_doctor import diagnose_cell
from ..cell_names import analyze_cell
from ..harness import NamespaceSnapshot, RunRecord, run_once, validate_runs
from ..outputs.values import Difference, first_difference, short_repr
from ..outputs.mimebundle import mimebundle_difference, text_difference
from ..outputs.text_rules import ADDRESS_RULES, normalize_text
from ...seeding.seeder import Seeder

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
        for name, error in self.unrestorable.items():
            lines.append(f"  could not snapshot {name!r}: {error}")
        if self.differences and self.causes:
            lines += [f"  cause {rank}: {cause}" for rank, cause in enumerate(self.causes, 1)]
        elif self.differences and verdict == "nondeterministic":
            lines.append(
                "  cause: none found by the doctor (it saw no unseeded generator, entropy or clock call)"
            )
        return "\n".join(lines)


# Only memory addresses: in one kernel a timestamp or duration that changes is the nondeterminism.
_ADDRESSES = ADDRESS_RULES


def compare_runs(first: RunRecord, other: RunRecord) -> Difference | None:
    if first.error_text != other.error_text:
        return Difference("error", short_repr(first.error_text), short_repr(other.error_text))
    found = text_difference(
        normalize_text(first.stdout, _ADDRESSES), normalize_text(other.stdout, _ADDRESSES), "stdout"
    )
    if found is not None:
        return found
    if len(first.displayed) != len(other.displayed):
        return Difference("number of displays", str(len(first.displayed)), str(len(other.displayed)))
    for index, (a, b) in enumerate(zip(first.displayed, other.displayed), start=1):
        found = mimebundle_difference(a, b, f"display {index}", rules=_ADDRESSES)
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


# -------------------------------------------------------------------- check
def check_cell(
    shell: Any, seeder: Seeder, cell: str, seed: int | None, runs: int = 2
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
        record = run_once(shell, cell, seeded, assigned=names.assigned, show=last, keep_figures=last)
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
    if differences and not snapshot.unrestorable:
        # The doctor: an experiment, not a guess from the cell's text (see cell_doctor).
        found = diagnose_cell(
            shell,
            cell,
            lambda: seeder.seeded(seed) if seed is not None else nullcontext(),
            snapshot,
            names.assigned,
            lambda a, b: compare_runs(a, b) is None,
        )
        causes = [str(cause) for cause in found]
        if seed is None and not found:
            causes = ["the cell draws random numbers and no seed was given (`%%seed --check N` or `%seed N`)"]
    report = CellCheckReport(
        seed=seed,
        runs=runs,
        differences=differences,
        stateful=stateful,
        causes=causes,
        unrestorable=snapshot.unrestorable,
        errors=errors,
        compared_names=sorted(record.names),
    )
    return report, record
