"""The doctor: find why a notebook cell differs between runs, by experiment, on repeated pairs.

Runs only when the check found a difference. Every run is a pair of fresh kernels.

0. ``baseline``: :data:`BASELINE_PAIRS` pairs as the check ran them, with probes that
   record (and change nothing): does the difference repeat, and what does each cell
   call? A clock value printed verbatim is located there.
1. ``seed`` (mode asis only), ``entropy`` (probes replace every unseeded generator,
   entropy and clock call by a deterministic stand-in), ``hash seed``
   (``PYTHONHASHSEED=0``), ``one thread`` (one math thread per kernel),
   ``deterministic ops`` (``%seed --deterministic warn``; the ops that warned are listed).

An experiment confirms a cause only when the cell differed in every baseline pair
and agrees in each of :data:`PAIRS` pairs with the change, or when the probes located
the responsible call in the cell and the change made it agree in every pair. One pair
that happens to agree confirms nothing: a cell that differs in some pairs only is
reported as "intermittent: differed in X of Y pairs; cause not found". Each cause
says how many pairs it rests on.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .doctor_causes import (
    CLOCK_KINDS,
    HASH_FIX,
    OPS_FIX,
    SEED_FIX,
    THREAD_FIX,
    Cause,
    clock_value_shown,
    fix_for,
    intermittent,
    not_found,
    pairs_text,
    where,
)
from .probes import LOG_DIRECTORY_VARIABLE, read_log, setup_code
from .runner import THREAD_VARIABLES, NotebookCheckError, code_cells

__all__ = ["Cause", "Diagnosis", "diagnose", "fix_for"]

PAIRS = 4
"""Pairs that must all agree under a change before it confirms a cause."""
BASELINE_PAIRS = 3
"""The doctor's own pairs without a change: the difference must show in every one to be confirmed."""


@dataclass
class Experiment:
    name: str
    env: dict[str, str]
    setup: str
    deterministic: bool = False


def _experiments(probes_env: dict[str, str], seeded: bool) -> list[Experiment]:
    # Under --mode asis the first question is whether a seed alone is enough.
    first = [] if seeded else [Experiment("seed", {}, "%load_ext jupyter_seed\n%seed 0 --quiet")]
    return first + [
        Experiment("entropy", probes_env, setup_code(replace=True)),
        Experiment("hash seed", {"PYTHONHASHSEED": "0"}, ""),
        Experiment("one thread", dict.fromkeys((*THREAD_VARIABLES, "TF_NUM_INTEROP_THREADS"), "1"), ""),
        Experiment("deterministic ops", probes_env, setup_code(replace=False), deterministic=True),
    ]


RunNotebook = Callable[..., list[Any]]
"""``execute_runs`` with the check's notebook and mode bound; takes ``env``, ``setup_extra`` and ``runs``."""

CompareCell = Callable[[list[Any], int], bool]
"""Whether the cell at a notebook index differs between the first two executed copies given."""


@dataclass
class Diagnosis:
    causes: dict[int, list[Cause]]
    """Per differing cell (1-based notebook index): causes, confirmed first."""
    experiments: list[str]
    """What ran, with how many pairs each (or why it could not run)."""
    seconds: float


@dataclass
class _Tally:
    differed: int = 0
    pairs: int = 0

    def add(self, differs: bool) -> None:
        self.differed += differs
        self.pairs += 1

    @property
    def always(self) -> bool:
        return self.pairs > 0 and self.differed == self.pairs


@dataclass
class _Session:
    notebook: Any
    run: RunNotebook
    still_differs: CompareCell
    log_directory: Path
    ids: dict[Any, int] = field(default_factory=dict)

    def pairs(self, count: int, env: dict[str, str], setup: str) -> list[list[Any]]:
        executed = self.run(env=env, setup_extra=setup, runs=2 * count)
        return [executed[k : k + 2] for k in range(0, 2 * count, 2)]

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for path in sorted(self.log_directory.glob("*.jsonl")):
            for event in read_log(str(path)):
                event["index"] = self.ids.get(event.get("cell"))
                events.append(event)
            path.unlink()
        return events

    def cell_text(self, executed: Any, index: int) -> str:
        position = index - 1 + len(executed.cells) - len(self.notebook.cells)
        return _output_text(executed.cells[position].get("outputs", []))


def diagnose(
    notebook: Any,
    differing: list[int],
    run: RunNotebook,
    still_differs: CompareCell,
    seed: int | None,
    checked: dict[int, tuple[int, int]] | None = None,
) -> Diagnosis:
    """Run the experiments for the cells at ``differing`` (1-based indices) until all are explained.

    ``checked``: per cell, ``(pairs that differed, pairs compared)`` in the check itself
    (default: one pair, which differed); they count towards the pairs reported.
    """
    started = time.perf_counter()
    causes: dict[int, list[Cause]] = {index: [] for index in differing}
    done: list[str] = []
    with tempfile.TemporaryDirectory(prefix="jupyter-seed-doctor-") as log_directory:
        session = _Session(notebook, run, still_differs, Path(log_directory))
        session.ids = {cell.get("id"): index for index, cell in code_cells(notebook)}
        probes_env = {LOG_DIRECTORY_VARIABLE: log_directory}
        baseline = {index: _Tally(*(checked or {}).get(index, (1, 1))) for index in differing}
        observed_pairs = session.pairs(BASELINE_PAIRS, probes_env, setup_code(replace=False))
        for pair in observed_pairs:
            for index in differing:
                baseline[index].add(still_differs(pair, index))
        done.append(f"baseline ({BASELINE_PAIRS} pairs)")
        observed = session.events()
        copies = [copy for pair in observed_pairs for copy in pair]
        for index in differing:
            causes[index] += _clocks_shown(session, index, observed, copies)
        del observed_pairs, copies
        unexplained = [index for index in differing if not causes[index]]
        for experiment in _experiments(probes_env, seeded=seed is not None):
            candidates = [
                index
                for index in unexplained
                if baseline[index].always or (experiment.name == "entropy" and _own_calls(observed, index))
            ]
            if not candidates:
                continue
            fixed, tried = _try(session, experiment, candidates, seed)
            done.append(f"{experiment.name} ({tried})")
            events = session.events()
            if experiment.name != "entropy":
                observed += [e for e in events if "op" in e]
            for index, pairs in fixed.items():
                causes[index] += _confirmed(experiment.name, index, events, pairs, baseline[index])
            unexplained = [index for index in unexplained if index not in fixed]
    for index in differing:
        tally = baseline[index]
        seen = {cause.kind for cause in causes[index]}
        extra = [cause for cause in _observed(index, observed, tally) if cause.kind not in seen]
        if not causes[index]:
            clocks = sorted(
                {e["kind"] for e in observed if e.get("index") == index and e["kind"] in CLOCK_KINDS}
            )
            summary = (
                not_found(tally.differed, tally.pairs, done[1:], clocks)
                if tally.always
                else intermittent(tally.differed, tally.pairs)
            )
            causes[index] = [summary]
        causes[index] += extra
    return Diagnosis(causes, done, time.perf_counter() - started)


def _try(
    session: _Session, experiment: Experiment, candidates: list[int], seed: int | None
) -> tuple[dict[int, int], str]:
    """The candidates that agree in every one of :data:`PAIRS` pairs under the experiment's change."""
    setup = experiment.setup
    if experiment.deterministic:
        load = "%load_ext jupyter_seed\n" if seed is None else ""  # --mode asis loads nothing
        setup = f"{load}%seed {'' if seed is None else seed} --deterministic warn --quiet\n{setup}"
    agreeing = list(candidates)
    ran = 0
    try:
        # One pair first: a change that fixes nothing costs one pair; the rest only for what it might fix.
        for count in (1, PAIRS - 1):
            for pair in session.pairs(count, experiment.env, setup):
                ran += 1
                agreeing = [index for index in agreeing if not session.still_differs(pair, index)]
            if not agreeing:
                break
    except NotebookCheckError as error:  # e.g. an op that refuses to run deterministically
        return {}, f"could not run: {error}"
    tried = f"{ran} pair{'s' if ran != 1 else ''}"
    return ({index: ran for index in agreeing} if ran >= PAIRS else {}), tried


def _own_calls(events: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """Entropy and generator calls the cell made itself (directly or through the user's modules)."""
    return [e for e in events if e.get("index") == index and "op" not in e and e["kind"] not in CLOCK_KINDS]


def _located(events: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """Calls in the cell or before it, nearest cell first, once per place."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for event in sorted(
        (e for e in events if e.get("index") is not None and e["index"] <= index and "op" not in e),
        key=lambda e: (-e["index"], e.get("line") or 0),
    ):
        key = (
            event["kind"],
            event["index"],
            event.get("line"),
            event.get("module"),
            event.get("module_line"),
        )
        found.setdefault(key, event)
    return list(found.values())


def _confirmed(
    experiment: str, index: int, events: list[dict[str, Any]], pairs: int, base: _Tally
) -> list[Cause]:
    shown = f"{pairs_text(base.differed, base.pairs)} without it and agreed in {pairs} of {pairs} with it"
    if experiment == "entropy":
        located = _located(events, index)
        calls = [e for e in located if e["index"] == index] or located  # this cell's own calls first
        if not calls:
            return [
                Cause(
                    "unseeded entropy",
                    f"with entropy and clocks made deterministic the cell {shown} (the call was not located)",
                    fix_for(""),
                    True,
                )
            ]
        by_kind: dict[str, list[str]] = {}
        for event in calls:
            by_kind.setdefault(event["kind"], []).append(where(event, event["index"]))
        return [
            Cause(
                kind,
                f"called at {', '.join(places[:3])}; made deterministic, the cell {shown}",
                fix_for(kind),
                True,
            )
            for kind, places in by_kind.items()
        ]
    if experiment == "seed":
        return [Cause("no seed", f"with `%seed 0` at the start the cell {shown}", SEED_FIX, True)]
    if experiment == "hash seed":
        return [
            Cause(
                "hash randomisation",
                f"with PYTHONHASHSEED=0 in both kernels the cell {shown}",
                HASH_FIX,
                True,
            )
        ]
    if experiment == "one thread":
        return [
            Cause("math threads", f"with one intra-op thread per kernel the cell {shown}", THREAD_FIX, True)
        ]
    ops = sorted({e["op"] for e in events if "op" in e})
    listed = f"; ops that warned: {' | '.join(ops[:3])}" if ops else ""
    return [
        Cause(
            "nondeterministic framework ops",
            f"with deterministic algorithms the cell {shown}{listed}",
            OPS_FIX,
            True,
        )
    ]


def _clocks_shown(
    session: _Session, index: int, events: list[dict[str, Any]], copies: list[Any]
) -> list[Cause]:
    """Clock reads of this cell whose value appears verbatim in its output: located, so confirmed."""
    texts = [session.cell_text(copy, index) for copy in copies]
    causes: list[Cause] = []
    for event in events:
        if event.get("index") != index or event["kind"] not in CLOCK_KINDS:
            continue
        sites = [
            e
            for e in events
            if e.get("index") == index
            and e["kind"] == event["kind"]
            and e.get("line") == event.get("line")
            and e.get("module_line") == event.get("module_line")
        ]
        shown = sum(any(clock_value_shown(site, text) for site in sites) for text in texts)
        if shown and all(cause.kind != event["kind"] for cause in causes):
            causes.append(
                Cause(
                    event["kind"],
                    f"called at {where(event, index)}; the value it returned is "
                    f"printed in the output (in {shown} of {len(texts)} runs)",
                    fix_for(event["kind"]),
                    True,
                )
            )
    return causes


def _observed(index: int, events: list[dict[str, Any]], base: _Tally) -> list[Cause]:
    note = f"not confirmed by experiment; the cell {pairs_text(base.differed, base.pairs)}"
    causes: list[Cause] = [
        Cause(event["kind"], f"called at {where(event, index)} ({note})", fix_for(event["kind"]), False)
        for event in _located(events, index)
        if event["index"] == index  # unconfirmed: only what this very cell called
    ]
    unique: dict[str, Cause] = {}
    for cause in causes:
        unique.setdefault(cause.kind, cause)
    ops = sorted({e["op"] for e in events if "op" in e and e.get("index") == index})
    if ops:
        unique["nondeterministic framework ops"] = Cause(
            "nondeterministic framework ops", f"warned: {' | '.join(ops[:3])}", OPS_FIX, False
        )
    return list(unique.values())


def _output_text(outputs: list[Any]) -> str:
    parts: list[str] = []
    for output in outputs:
        text = output.get("text")
        if text:
            parts.append(text if isinstance(text, str) else "".join(text))
        for value in (output.get("data") or {}).values():
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, list):
                parts.append("".join(str(item) for item in value))
        if output.get("evalue"):
            parts.append(str(output["evalue"]))
    return "\n".join(parts)
