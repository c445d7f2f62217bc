"""The doctor: find why a notebook cell differs between runs, by experiment, at a small cost.

Runs only when the check found a difference. Every run is a fresh kernel, and a round
runs its kernels side by side (as many at a time as the check did) on the notebook's
prefix up to the last cell still to explain (:mod:`.doctor_runs`).

1. ``entropy`` (``seed`` first under ``--mode asis``): two pairs of kernels whose probes
   replace every unseeded generator, entropy and clock call of the user's code by a
   stand-in and fill the memory ``np.empty`` / ``torch.empty`` hand it, each pair with
   its own stand-ins (a dose). The probes also record what each cell calls: clocks,
   pools, ``np.empty``, frameworks. A cell that starts a pool itself (its code says so:
   that fixes only the order of experiments, never a cause) gets ``workers' entropy``
   first, side by side in this round (:func:`.doctor_plan.first_experiments`).
2. Then, for the cells still unexplained, the experiments their observations call for,
   side by side: ``hash seed`` (``PYTHONHASHSEED`` 1, 2, 3), ``workers' entropy`` (the
   user's pools run their tasks in the kernel, entropy replaced: a child's entropy is then
   in reach), ``one worker``, ``one thread`` (only when the check's kernels had more than
   one math thread), ``deterministic ops`` (only when torch or TensorFlow was imported).
3. Experiments without doses confirm on repeated pairs only, with baseline pairs beside them.

A change is confirmed only on the evidence :mod:`.doctor_plan` accepts: one lucky pair
never confirms, and the probability that any experiment is confirmed for a cell though
it does nothing stays at most 1 %. A value printed verbatim from a clock is located,
hence confirmed, by observation. What is not confirmed is reported as observed
(``uninitialised memory``, ``completion order``, ``timing``) or as ``intermittent`` /
``cause not found``, with the pairs it rests on. The doctor stops when every cell has a
confirmed cause or its budget (default 1.5x the check's time) would be overrun; the
first round always runs, and what was not tried is listed.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clock_readings import clocks_shown_in
from .doctor_causes import Cause, decisive_cause, fix_for, summary_causes
from .doctor_plan import (
    DoctorBudget,
    decisive_bound,
    first_experiments,
    follow_up,
    pairs_needed,
    repeated_bound,
    share,
)
from .doctor_runs import CallbackRuns, DoctorRuns, Variant, median_cell_seconds, reordered
from .probes import FRAMEWORK_KIND, LOG_DIRECTORY_VARIABLE, read_log, setup_code
from .runner import THREAD_VARIABLES, NotebookCheckError, code_cells

__all__ = ["Cause", "Diagnosis", "diagnose", "fix_for"]

DOSED = ("seed", "entropy", "hash seed", "workers' entropy")
"""Experiments with doses: each pair gets its own seed, so a real cause gives each pair its own output."""


@dataclass
class Diagnosis:
    causes: dict[int, list[Cause]]
    """Per differing cell (1-based notebook index): causes, confirmed first."""
    experiments: list[str]
    """What ran, with how many pairs each and how long (or why it could not run)."""
    seconds: float
    untried: list[str] = field(default_factory=list)
    """Experiments the budget left out."""


@dataclass
class _Cell:
    index: int
    baseline: list[Any]
    """Runs without a change whose outputs the experiments are compared with."""
    distinct: bool
    differed: int
    pairs: int
    plan: list[str] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    unaffected: int = 0
    """Pairs under a change whose output did not follow its dose: baseline pairs in effect."""
    agreed: dict[str, int] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    want: dict[str, int] = field(default_factory=dict)
    """Pairs an experiment still needs for this cell."""
    want_baseline: int = 0
    """Baseline pairs the repeated evidence still needs."""


class _Doctor:
    def __init__(self, runs: DoctorRuns, notebook: Any, seed: int | None, logs: Path, budget: float) -> None:
        self.runs, self.notebook, self.seed, self.logs, self.budget = runs, notebook, seed, logs, budget
        self.started = time.perf_counter()
        self.ids = {cell.get("id"): index for index, cell in code_cells(notebook)}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.done: list[str] = []
        self.untried: list[str] = []
        self.wave_seconds: float | None = None
        self.cell_seconds: list[float] | None = None
        """Per notebook cell, what it took in the first round's kernels: a shorter prefix costs less."""
        self.doses: dict[str, int] = {}

    # ------------------------------------------------------------ kernels
    def variant(self, experiment: str, dose: int) -> Variant:
        folder = self.logs / experiment.replace(" ", "-").replace("'", "")
        folder.mkdir(exist_ok=True)
        env = {LOG_DIRECTORY_VARIABLE: str(folder)}
        record = setup_code(replace=False)
        if experiment == "seed":
            return Variant(experiment, dose, env, f"%load_ext jupyter_seed\n%seed {dose} --quiet\n{record}")
        if experiment in ("entropy", "workers' entropy"):
            return Variant(experiment, dose, env, setup_code(True, dose, experiment != "entropy"))
        if experiment == "hash seed":
            return Variant(experiment, dose, {**env, "PYTHONHASHSEED": str(dose)}, record)
        if experiment == "one worker":
            return Variant(experiment, dose, env, setup_code(False, 0, True))
        if experiment == "one thread":
            threads = dict.fromkeys((*THREAD_VARIABLES, "TF_NUM_INTEROP_THREADS"), "1")
            return Variant(experiment, dose, {**env, **threads}, record)
        if experiment == "deterministic ops":
            load = "%load_ext jupyter_seed\n" if self.seed is None else ""
            seed = "" if self.seed is None else self.seed
            return Variant(
                experiment, dose, env, f"{load}%seed {seed} --deterministic warn --quiet\n{record}"
            )
        return Variant("baseline", dose, env, record)

    def wave(self, last_cell: int | None = None) -> float:
        """A wave's seconds on the prefix up to ``last_cell``: first round's start-up share plus the cells' times."""
        measured = self.wave_seconds or 0.0
        cells = self.cell_seconds
        if cells is None or last_cell is None:
            return measured
        start_up = max(0.0, measured - sum(cells))
        return min(measured, start_up + sum(cells[:last_cell]))

    def over_budget(self, kernels: int, last_cell: int | None = None) -> bool:
        estimate = math.ceil(kernels / self.runs.concurrency) * self.wave(last_cell)
        return time.perf_counter() - self.started + estimate > self.budget

    def round(
        self, requests: dict[str, int], last_cell: int, first: bool = False
    ) -> dict[str, list[list[Any]]]:
        """Run ``requests`` (experiment → pairs) side by side; pairs per experiment, in dose order."""
        while not first and requests and self.over_budget(2 * sum(requests.values()), last_cell):
            name = list(requests)[-1]  # the plan's last experiments give way first
            pairs = requests.pop(name)
            self.untried.append(f"{name} ({pairs} pair{'s' if pairs != 1 else ''})")
        if not requests:
            return {}
        variants: list[Variant] = []
        for name, pairs in requests.items():
            for _ in range(pairs):
                dose = self.doses[name] = self.doses.get(name, 0) + 1
                variants += [self.variant(name, dose)] * 2
        started = time.perf_counter()
        try:
            copies = self.runs.run(variants, last_cell)
        except NotebookCheckError as error:  # e.g. an op that refuses to run deterministically
            self.done.append(f"{', '.join(requests)}: could not run: {error}")
            return {}
        seconds = time.perf_counter() - started
        if first:
            self.wave_seconds = seconds / math.ceil(len(variants) / self.runs.concurrency)
            self.cell_seconds = median_cell_seconds(copies)
        side = f", side by side with {len(requests) - 1} more" if len(requests) > 1 else ""
        for name, pairs in requests.items():
            doses = " at different doses" if name in DOSED and pairs > 1 else ""
            self.done.append(
                f"{name} ({pairs} pair{'s' if pairs != 1 else ''}{doses}, {seconds:.1f} s{side})"
            )
        found: dict[str, list[list[Any]]] = {}
        for variant, copy_ in zip(variants, copies, strict=True):
            pairs_of = found.setdefault(variant.experiment, [])
            if not pairs_of or len(pairs_of[-1]) == 2:
                pairs_of.append([])
            pairs_of[-1].append(copy_)
        for name in requests:
            folder = self.logs / name.replace(" ", "-").replace("'", "")
            for path in sorted(folder.glob("*.jsonl")):
                for event in read_log(str(path)):
                    event["index"] = self.ids.get(event.get("cell"))
                    event["log"] = f"{name}/{path.name}"  # one kernel: readings are paired within it
                    if "defined_in" in event:
                        event["defined_index"] = self.ids.get(event["defined_in"])
                    self.events.setdefault(name, []).append(event)
                path.unlink()
        return found

    # ---------------------------------------------------------- judging
    def judge(self, cell: _Cell, name: str, pairs: list[list[Any]]) -> None:
        differs = self.runs.differs
        index = cell.index
        if any(differs(a, b, index) for a, b in pairs):
            cell.failed.add(name)
            cell.want.pop(name, None)
            return
        position = cell.plan.index(name) if name in cell.plan else 0
        allowed = share(position, len(cell.plan))
        if name not in DOSED:
            if name == "baseline":
                return
            cell.agreed[name] = cell.agreed.get(name, 0) + len(pairs)
            agreed = cell.agreed[name]
            if cell.differed == cell.pairs and repeated_bound(cell.differed, agreed) <= allowed:
                cell.causes += decisive_cause(name, index, self.events, f"{_repeated(cell, agreed)}")
                cell.want.clear()
            else:
                more = follow_up(cell.differed, agreed, allowed) if cell.differed == cell.pairs else None
                if more is None:  # an intermittent cell, or too many pairs: observed only
                    cell.want.pop(name, None)
                    cell.failed.add(name)
                else:
                    cell.want_baseline = max(cell.want_baseline, more[0])
                    cell.want[name] = more[1]
            return
        outputs = [a for a, _ in pairs]
        distinct = all(differs(x, y, index) for k, x in enumerate(outputs) for y in outputs[k + 1 :])
        unseen = all(differs(x, base, index) for x in outputs for base in cell.baseline)
        if not distinct:  # the output did not follow the doses: the change does not decide this cell
            cell.unaffected += len(pairs)
            cell.failed.add(name)
            cell.want.pop(name, None)
            return
        runs = len(cell.baseline)
        if cell.distinct and unseen and decisive_bound(runs, len(pairs)) <= allowed:
            bound = decisive_bound(runs, len(pairs))
            evidence = (
                f"the cell differed in {runs} of {runs} runs without it and agreed in {len(pairs)} of "
                f"{len(pairs)} pairs with it, each dose with its own output (chance of this without a "
                f"cause: {bound:.2%})"
            )
            cell.causes += decisive_cause(name, index, self.events, evidence)
            cell.want.clear()
        elif cell.distinct and unseen:
            cell.want[name] = pairs_needed(runs, allowed) - len(pairs)
        else:
            cell.failed.add(name)


def _repeated(cell: _Cell, agreed: int) -> str:
    bound = repeated_bound(cell.differed, agreed)
    return (
        f"it differed in {cell.differed} of {cell.pairs} pairs without it and agreed in {agreed} of "
        f"{agreed} with it (chance of this without a cause: {bound:.2%})"
    )


def diagnose(
    notebook: Any,
    differing: list[int],
    run: Any = None,
    still_differs: Any = None,
    seed: int | None = None,
    checked: dict[int, tuple[int, int]] | None = None,
    *,
    runs: DoctorRuns | None = None,
    baseline: list[Any] | None = None,
    budget: DoctorBudget | None = None,
    check_seconds: float = 0.0,
    threads_per_kernel: int | None = 1,
) -> Diagnosis:
    """Run the experiments for the cells at ``differing`` (1-based indices) until all are explained.

    ``runs`` (or the older ``run`` and ``still_differs`` callables) executes kernels;
    ``baseline``: the check's first two executed copies (else two recording runs are added);
    ``checked``: per cell, ``(pairs that differed, pairs compared)`` in the check itself;
    ``threads_per_kernel``: the check's math threads per kernel (1: ``one thread`` changes nothing).
    """
    runner: DoctorRuns = runs if runs is not None else CallbackRuns(notebook, run, still_differs)
    limit = (budget or DoctorBudget()).limit(check_seconds)
    with tempfile.TemporaryDirectory(prefix="jupyter-seed-doctor-") as logs:
        doctor = _Doctor(runner, notebook, seed, Path(logs), limit)
        firsts = first_experiments(seed, {index: _source(notebook, index) for index in differing})
        requests = dict.fromkeys(firsts.values(), 2)
        if baseline is None:
            requests["baseline"] = 1
        found = doctor.round(requests, max(differing), first=True)
        base = baseline if baseline is not None else found.pop("baseline", [[]])[0]
        cells = [_cell(runner, index, base, (checked or {}).get(index, (1, 1))) for index in differing]
        for cell in cells:
            first = firsts[cell.index]
            cell.plan = _plan(cell.index, seed, doctor.events, threads_per_kernel, first)
            cell.causes += clocks_shown_in(runner, cell.index, doctor.events, found.get(first, []))
            for name in [name for name in cell.plan if name in found]:  # in the cell's own order
                if not _confirmed(cell):
                    doctor.judge(cell, name, found[name])
        _tensorflow_hook(doctor, cells)
        for _ in range(4):  # rounds: next experiments, then more pairs for those that need them
            open_cells = [cell for cell in cells if not _confirmed(cell)]
            requests = _requests(open_cells)
            if not requests:
                break
            last = max(cell.index for cell in open_cells)
            found = doctor.round(requests, last)
            for name, pairs in found.items():
                for cell in open_cells:
                    if name == "baseline":
                        cell.pairs += len(pairs)
                        cell.differed += sum(runner.differs(a, b, cell.index) for a, b in pairs)
                    elif name in cell.plan and name not in cell.failed and not _confirmed(cell):
                        doctor.judge(cell, name, pairs)
            if not found:
                break
        causes = {cell.index: _final(cell, doctor) for cell in cells}
        untried = doctor.untried
        if untried:
            doctor.done.append(f"not tried (budget {limit:.1f} s): {', '.join(dict.fromkeys(untried))}")
        return Diagnosis(causes, doctor.done, time.perf_counter() - doctor.started, untried)


def _tensorflow_hook(doctor: _Doctor, cells: list[_Cell]) -> None:
    """TensorFlow's own diagnosis under op determinism (:mod:`.doctor_tensorflow`): one kernel, in the budget."""
    from .doctor_tensorflow import imports_tensorflow, tensorflow_causes

    open_cells = [cell for cell in cells if not _confirmed(cell)]
    if not open_cells or not imports_tensorflow(doctor.notebook) or doctor.over_budget(1):
        return
    started = time.perf_counter()
    found = tensorflow_causes(doctor.notebook, [cell.index for cell in open_cells], doctor.runs)
    doctor.done.append(f"TensorFlow op determinism (1 run, {time.perf_counter() - started:.1f} s)")
    for cell in open_cells:
        cell.causes += found.get(cell.index, [])


def _cell(runner: DoctorRuns, index: int, baseline: list[Any], checked: tuple[int, int]) -> _Cell:
    distinct = len(baseline) >= 2 and all(
        runner.differs(a, b, index) for k, a in enumerate(baseline) for b in baseline[k + 1 :]
    )
    return _Cell(index, baseline, distinct, checked[0], checked[1])


def _plan(
    index: int, seed: int | None, events: dict[str, list[dict[str, Any]]], threads: int | None, first: str
) -> list[str]:
    """The experiments this cell's observations call for, likeliest first (``first`` was fixed before)."""
    seen = [e for found in events.values() for e in found if (e.get("index") or 0) <= index]
    plan = ["seed", "entropy"] if seed is None else ["entropy"]
    plan.append("hash seed")
    if first == "workers' entropy" or any(e["kind"] == "worker pool" for e in seen):
        plan += ["workers' entropy", "one worker"]
    if threads != 1:
        plan.append("one thread")
    if any(e["kind"] == FRAMEWORK_KIND for e in seen):
        plan.append("deterministic ops")
    return [first, *(name for name in plan if name != first)]


def _source(notebook: Any, index: int) -> str:
    source = notebook.cells[index - 1].get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _confirmed(cell: _Cell) -> bool:
    return any(cause.confirmed for cause in cell.causes)


def _requests(cells: list[_Cell]) -> dict[str, int]:
    requests: dict[str, int] = {}
    for cell in cells:
        for name, pairs in cell.want.items():
            if pairs > 0:
                requests[name] = max(requests.get(name, 0), pairs)
        if cell.want:
            if cell.want_baseline:
                requests["baseline"] = max(requests.get("baseline", 0), cell.want_baseline)
                cell.want_baseline = 0
            continue
        tried = set(cell.agreed) | cell.failed
        for name in cell.plan:
            if name in tried or name in ("seed", "entropy"):
                continue
            requests[name] = max(
                requests.get(name, 0),
                pairs_needed(len(cell.baseline), share(1, len(cell.plan))) if name in DOSED else 1,
            )
    return {name: pairs for name, pairs in requests.items() if pairs > 0}


def _final(cell: _Cell, doctor: _Doctor) -> list[Cause]:
    return summary_causes(
        cell.index,
        cell.causes,
        doctor.events,
        differed=cell.differed,
        pairs=cell.pairs + cell.unaffected,
        always=cell.differed == cell.pairs and not cell.unaffected,
        tried=[entry.split(" (")[0] for entry in doctor.done if not entry.startswith("not tried")],
        agreed=cell.agreed,
        reordered=reordered(doctor.runs, cell.baseline, cell.index),
    )
