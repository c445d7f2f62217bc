"""The doctor for ``%%seed --check``: why does this cell differ between two runs in this kernel?

Runs only when the check found a difference and the cell is not stateful. First
:data:`BASELINE_PAIRS` pairs of runs with the probes of :mod:`.probes` recording
(does the difference repeat, and which unseeded generator, entropy or clock call
does the cell make, at which line, also inside the user's own modules), then up to
:data:`PAIRS` pairs with those calls made deterministic. The recorded calls are
confirmed as the cause only when every one of those pairs agrees and either the
difference showed in every recording pair or the probes located an entropy call in
the cell; a clock value printed verbatim is located too. A difference that shows in
some pairs only is "intermittent". Every diagnostic run starts from the check's
snapshot and is silent; the namespace is left as the check's last (shown) run left
it, and after every run the probes are verified gone (compared by identity).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

from ..harness import NamespaceSnapshot, RunRecord, run_once
from .clock_readings import clock_cause
from .doctor_causes import (
    CLOCK_KINDS,
    NOT_CALLS,
    Cause,
    fix_for,
    intermittent,
    pairs_text,
    probes_left_behind,
    where,
)
from .probes import Probes

BASELINE_PAIRS = 2
"""Recording pairs; with the check's own pair the difference must show in each to be confirmed."""
PAIRS = 3
"""Pairs with the calls made deterministic that must all agree."""

Same = Callable[[RunRecord, RunRecord], bool]


class _Runner:
    def __init__(
        self,
        shell: Any,
        cell: str,
        seeded: Callable[[], Any],
        snapshot: NamespaceSnapshot,
        assigned: frozenset[str],
    ) -> None:
        self.shell, self.cell, self.seeded, self.snapshot, self.assigned = (
            shell,
            cell,
            seeded,
            snapshot,
            assigned,
        )
        self.left_behind: list[str] = []
        self.failures: list[str] = []

    def run(self, *, replace: bool) -> tuple[list[dict[str, Any]], RunRecord]:
        """One silent run from the snapshot under fresh probes (their stand-in counters start over)."""
        handle, path = tempfile.mkstemp(prefix="jupyter-seed-doctor-", suffix=".jsonl")
        os.close(handle)
        probes = Probes(path, replace=replace)
        try:
            try:
                probes.install(self.shell)
                self.snapshot.restore(self.shell.user_ns)
                record = run_once(self.shell, self.cell, self.seeded(), assigned=self.assigned)
            finally:
                probes.uninstall()
                self.left_behind += [name for name in probes.leftovers() if name not in self.left_behind]
                self.failures += probes.failures
            # Pools, framework imports and np.empty are observations, not calls that draw entropy.
            return [e for e in probes.events() if e["kind"] not in NOT_CALLS], record
        finally:
            os.unlink(path)

    def pairs(
        self, count: int, *, replace: bool, same: Same
    ) -> tuple[list[bool], list[dict[str, Any]], list[RunRecord]]:
        differed, events, records = [], [], []
        for _ in range(count):
            first_events, first = self.run(replace=replace)
            second_events, second = self.run(replace=replace)
            events += first_events + second_events
            records += [first, second]
            differed.append(not same(first, second))
        return differed, events, records


def diagnose_cell(
    shell: Any,
    cell: str,
    seeded: Callable[[], Any],
    snapshot: NamespaceSnapshot,
    assigned: frozenset[str],
    same: Same,
    checked: tuple[int, int] = (1, 1),
) -> list[Cause]:
    """Causes of the cell's difference, confirmed first; ``same`` compares two runs' records.

    ``checked``: ``(pairs that differed, pairs compared)`` in the check itself.
    """
    namespace = shell.user_ns
    final = {name: namespace[name] for name in assigned if name in namespace}
    runner = _Runner(shell, cell, seeded, snapshot, assigned)
    try:
        base, observed, records = runner.pairs(BASELINE_PAIRS, replace=False, same=same)
        differed, pairs = checked[0] + sum(base), checked[1] + len(base)
        always = differed == pairs
        shown = _clocks_shown(observed, records)
        entropy = [e for e in observed if "op" not in e and e["kind"] not in CLOCK_KINDS]
        agreed = 0
        replaced: list[dict[str, Any]] = []
        if not shown and (always or entropy):
            for count in (1, PAIRS - 1):
                result, events, _ = runner.pairs(count, replace=True, same=same)
                replaced += events
                if any(result):
                    agreed = 0
                    break
                agreed += count
    finally:
        snapshot.restore(namespace)
        namespace.update(final)
    causes = shown + _named(observed + replaced, agreed, differed, pairs, exclude={c.kind for c in shown})
    if not any(cause.confirmed for cause in causes) and not always:
        causes.insert(0, intermittent(differed, pairs))
    if runner.left_behind:
        causes.append(probes_left_behind(runner.left_behind, runner.failures))
    return causes


def _named(
    events: list[dict[str, Any]], agreed: int, differed: int, pairs: int, exclude: set[str]
) -> list[Cause]:
    places: dict[str, list[str]] = {}
    for event in events:
        if "op" not in event and event["kind"] not in exclude:
            place = where(event)
            kinds = places.setdefault(event["kind"], [])
            if place not in kinds:
                kinds.append(place)
    confirmed = agreed >= PAIRS
    without = pairs_text(differed, pairs)
    causes = []
    for kind, where_called in places.items():
        at = ", ".join(where_called[:3])
        # A clock keeps running under the stand-ins: a pair that agrees then says nothing about it.
        clock = kind in CLOCK_KINDS
        if confirmed and not clock:
            evidence = (
                f"called at {at}; made deterministic, the cell agreed in {agreed} of {agreed} pairs "
                f"(it {without} without)"
            )
        else:
            evidence = f"called at {at} (not confirmed by experiment; the cell {without})"
        causes.append(Cause(kind, evidence, fix_for(kind), confirmed and not clock))
    return sorted(causes, key=lambda cause: not cause.confirmed)


def _clocks_shown(events: list[dict[str, Any]], records: list[RunRecord]) -> list[Cause]:
    texts = [_record_text(record) for record in records]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if event["kind"] in CLOCK_KINDS:
            by_kind.setdefault(event["kind"], []).append(event)
    causes: list[Cause] = []
    for sites in by_kind.values():
        # one kernel ran every record: its readings are paired across them all
        cause = clock_cause(sites[0], sites, [sites], texts)
        if cause is not None:
            causes.append(cause)
    return causes


def _record_text(record: RunRecord) -> str:
    parts = [record.stdout or ""]
    for bundle in record.displayed:
        data = bundle.get("data", bundle) if isinstance(bundle, dict) else {}
        parts += [str(value) for value in data.values() if isinstance(value, str)]
    if record.value is not None:
        parts.append(repr(record.value))
    return "\n".join(parts)
