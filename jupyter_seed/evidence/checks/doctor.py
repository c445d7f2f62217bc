"""The doctor: find why a notebook cell differs between runs, by experiment.

Runs only when the check found a difference. It re-runs the notebook (two fresh
kernels each time) under one controlled change at a time and keeps the change that
makes a cell's difference go away, with what the probes saw at run time:

1. ``entropy``: probes record every unseeded generator, OS-entropy and clock call a
   cell makes, and replace them by deterministic stand-ins;
2. ``hash seed``: both kernels get ``PYTHONHASHSEED=0``;
3. ``one thread``: one math thread per kernel (OpenMP, MKL, OpenBLAS, torch, TF);
4. ``deterministic ops``: ``%seed --deterministic warn``; the ops that warned are listed.

Experiments stop as soon as every differing cell is explained. A cause is named only
with evidence from these runs: a confirming experiment, or a call the probes saw.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .probes import LOG_DIRECTORY_VARIABLE, setup_code
from .runner import THREAD_VARIABLES, NotebookCheckError, code_cells

CLOCK_FIX = "a clock value in an output: leave it out, --ignore it, or tag the cell jupyter-seed-skip"
# kind → the fix to offer; keys ending in "." match by prefix.
FIXES: dict[str, str] = {
    "numpy.random.default_rng()": "numpy.random.default_rng() without a seed ignores %seed: pass a seed, "
    "use jupyter_seed.rng(), or run `%seed --patch-default-rng`",
    "numpy.random.SeedSequence()": "pass the entropy: numpy.random.SeedSequence(seed)",
    "random.Random()": "pass a seed: random.Random(seed)",
    "os.urandom()": "OS entropy cannot be seeded: draw the bytes from a seeded generator "
    "(random.Random(seed).randbytes(n)) or tag the cell jupyter-seed-skip",
    "random.SystemRandom()": "random.SystemRandom cannot be seeded: use random.Random(seed)",
    "uuid.uuid4()": "uuid.uuid4() is OS entropy: derive ids from a seeded generator "
    "(uuid.UUID(int=random.getrandbits(128), version=4)) or tag the cell jupyter-seed-skip",
    "secrets.": "the secrets module cannot be seeded: draw what a result depends on from a seeded generator",
    "tf.random.Generator.from_non_deterministic_state()": "use tf.random.Generator.from_seed(seed)",
    "time.time()": CLOCK_FIX,
    "time.time_ns()": CLOCK_FIX,
    "id()": "id() is a memory address: do not print it or key results by it",
    "DataLoader workers without worker_init_fn or generator": "pass worker_init_fn=jupyter_seed."
    "worker_init_fn and generator=jupyter_seed.torch_generator() to the DataLoader",
    "tf.data shuffle without a seed": "pass seed= to Dataset.shuffle",
    "cudnn.benchmark on": "torch.backends.cudnn.benchmark = False, or `%seed N --deterministic`",
    "TF32 on": "set torch.backends.cuda.matmul.allow_tf32 and cudnn.allow_tf32 to False, "
    "or `%seed N --deterministic`",
}
HASH_FIX = (
    "run the notebook on `jupyter-seed kernelspec` (fixes PYTHONHASHSEED), or sort sets of str before output"
)
SEED_FIX = "seed the notebook: `%seed N` in its first cell, or run it on `jupyter-seed kernelspec --seed N`"
THREAD_FIX = "set OMP_NUM_THREADS=1 (or torch.set_num_threads(1)) before the computation"
OPS_FIX = "run `%seed N --deterministic` (deterministic algorithms in torch and TensorFlow)"


@dataclass(frozen=True)
class Cause:
    """One reason a cell differs, with the evidence from this doctor's runs."""

    kind: str
    evidence: str
    fix: str
    confirmed: bool
    """An experiment made the difference go away (else: observed, not confirmed)."""

    def __str__(self) -> str:
        label = "confirmed" if self.confirmed else "observed"
        return f"[{label}] {self.kind}: {self.evidence}; fix: {self.fix}"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "evidence": self.evidence, "fix": self.fix, "confirmed": self.confirmed}


@dataclass
class Experiment:
    name: str
    env: dict[str, str]
    setup: str
    deterministic: bool = False


def fix_for(kind: str) -> str:
    for key, fix in FIXES.items():
        if kind == key or (key.endswith(".") and kind.startswith(key)):
            return fix
    return "make it deterministic or leave it out of the outputs"


def _experiments(log_directory: str, seeded: bool) -> list[Experiment]:
    probes_env = {LOG_DIRECTORY_VARIABLE: log_directory}
    # Under --mode asis the first question is whether a seed alone is enough.
    first = [] if seeded else [Experiment("seed", {}, "%load_ext jupyter_seed\n%seed 0 --quiet")]
    return first + [
        Experiment("entropy", probes_env, setup_code(replace=True)),
        Experiment("hash seed", {"PYTHONHASHSEED": "0"}, ""),
        Experiment("one thread", dict.fromkeys((*THREAD_VARIABLES, "TF_NUM_INTEROP_THREADS"), "1"), ""),
        Experiment("deterministic ops", probes_env, setup_code(replace=False), deterministic=True),
    ]


RunNotebook = Callable[..., list[Any]]
"""``execute_runs`` with the check's notebook, runs and mode bound; takes ``env`` and ``setup_extra``."""

CompareCell = Callable[[list[Any], int], bool]
"""Whether the cell at a notebook index still differs between the executed copies."""


@dataclass
class Diagnosis:
    causes: dict[int, list[Cause]]
    """Per differing cell (1-based notebook index): causes, confirmed first."""
    experiments: list[str]
    seconds: float


def diagnose(
    notebook: Any, differing: list[int], run: RunNotebook, still_differs: CompareCell, seed: int | None
) -> Diagnosis:
    """Run the experiments for the cells at ``differing`` (1-based indices) until all are explained."""
    started = time.perf_counter()
    ids = {cell.get("id"): index for index, cell in code_cells(notebook)}
    causes: dict[int, list[Cause]] = {index: [] for index in differing}
    observed: list[dict[str, Any]] = []
    unexplained = list(differing)
    done: list[str] = []
    with tempfile.TemporaryDirectory(prefix="jupyter-seed-doctor-") as log_directory:
        for experiment in _experiments(log_directory, seeded=seed is not None):
            if not unexplained:
                break
            setup = experiment.setup
            if experiment.deterministic:
                load = "%load_ext jupyter_seed\n" if seed is None else ""  # --mode asis loads nothing
                setup = f"{load}%seed {'' if seed is None else seed} --deterministic warn --quiet\n{setup}"
            try:
                executed = run(env=experiment.env, setup_extra=setup)
            except NotebookCheckError as error:  # e.g. an op that refuses to run deterministically
                done.append(f"{experiment.name} (could not run: {error})")
                _read_events(Path(log_directory), ids)
                continue
            done.append(experiment.name)
            events = _read_events(Path(log_directory), ids)
            observed += events
            fixed = [index for index in unexplained if not still_differs(executed, index)]
            for index in fixed:
                causes[index] += _confirmed(experiment.name, index, events)
            unexplained = [index for index in unexplained if index not in fixed]
    for index in differing:
        seen = {cause.kind for cause in causes[index]}
        causes[index] += [cause for cause in _observed(index, observed) if cause.kind not in seen]
    return Diagnosis(causes, done, time.perf_counter() - started)


def _read_events(directory: Path, ids: dict[Any, int]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            event["index"] = ids.get(event.get("cell"))
            events.append(event)
        path.unlink()
    return events


def _located(events: list[dict[str, Any]], index: int) -> list[tuple[str, int, int | None]]:
    """``(kind, cell index, line)`` of calls in the cell or before it, nearest cell first, once each."""
    found: dict[tuple[str, int, int | None], None] = {}
    for event in sorted(
        (e for e in events if e.get("index") is not None and e["index"] <= index and "op" not in e),
        key=lambda e: (-e["index"], e.get("line") or 0),
    ):
        found.setdefault((event["kind"], event["index"], event.get("line")), None)
    return list(found)


def _where(cell: int, line: int | None) -> str:
    return f"cell {cell}" + (f" line {line}" if line else "")


def _confirmed(experiment: str, index: int, events: list[dict[str, Any]]) -> list[Cause]:
    if experiment == "entropy":
        located = _located(events, index)
        calls = [call for call in located if call[1] == index] or located  # this cell's own calls first
        if not calls:
            return [Cause("unseeded entropy", "with entropy and clocks made deterministic the cell "
                          "reproduces (the call was not located)", fix_for(""), True)]
        by_kind: dict[str, list[str]] = {}
        for kind, cell, line in calls:
            by_kind.setdefault(kind, []).append(_where(cell, line))
        return [
            Cause(kind, f"called at {', '.join(places[:3])}; made deterministic, the cell reproduces",
                  fix_for(kind), True)
            for kind, places in by_kind.items()
        ]
    if experiment == "seed":
        return [Cause("no seed", "with `%seed 0` at the start the cell reproduces", SEED_FIX, True)]
    if experiment == "hash seed":
        return [Cause("hash randomisation", "with PYTHONHASHSEED=0 in both kernels the cell reproduces",
                      HASH_FIX, True)]
    if experiment == "one thread":
        evidence = "with one intra-op thread per kernel the cell reproduces"
        return [Cause("math threads", evidence, THREAD_FIX, True)]
    ops = sorted({e["op"] for e in events if "op" in e})
    listed = f"; ops that warned: {' | '.join(ops[:3])}" if ops else ""
    return [Cause("nondeterministic framework ops",
                  f"with deterministic algorithms the cell reproduces{listed}", OPS_FIX, True)]


def _observed(index: int, events: list[dict[str, Any]]) -> list[Cause]:
    causes = [
        Cause(kind, f"called at {_where(cell, line)} (not confirmed by experiment)", fix_for(kind), False)
        for kind, cell, line in _located(events, index)
        if cell == index  # unconfirmed: only what this very cell called
    ]
    ops = sorted({e["op"] for e in events if "op" in e and e.get("index") == index})
    if ops:
        warned = f"warned: {' | '.join(ops[:3])}"
        causes.append(Cause("nondeterministic framework ops", warned, OPS_FIX, False))
    return causes
