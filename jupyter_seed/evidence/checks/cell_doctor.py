"""The doctor for ``%%seed --check``: why does this cell differ between two runs in this kernel?

Runs only when the check found a difference and the cell is not stateful. One
diagnostic run with the probes of :mod:`.probes` recording (what unseeded
generator, OS-entropy or clock call the cell makes, at which line), then two runs
with those calls made deterministic: if the two agree, the recorded calls are
confirmed as the cause. Every diagnostic run starts from the check's snapshot and is
silent; the namespace is left as the check's last (shown) run left it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

from .doctor import Cause, fix_for
from .probes import Probes
from ..harness import NamespaceSnapshot, RunRecord, run_once


def diagnose_cell(
    shell: Any,
    cell: str,
    seeded: Callable[[], Any],
    snapshot: NamespaceSnapshot,
    assigned: frozenset[str],
    same: Callable[[RunRecord, RunRecord], bool],
) -> list[Cause]:
    """Causes of the cell's difference, confirmed first; ``same`` compares two runs' records."""
    namespace = shell.user_ns
    final = {name: namespace[name] for name in assigned if name in namespace}
    try:
        observed = _probed_runs(shell, cell, seeded, snapshot, assigned, replace=False, runs=1)[0]
        events, records = _probed_runs(shell, cell, seeded, snapshot, assigned, replace=True, runs=2)
    finally:
        snapshot.restore(namespace)
        namespace.update(final)
    kinds: dict[str, list[int | None]] = {}
    for event in observed + events:
        if "op" not in event:
            kinds.setdefault(event["kind"], []).append(event.get("line"))
    confirmed = len(records) == 2 and same(records[0], records[1])
    causes = []
    for kind, lines in kinds.items():
        where = ", ".join(sorted({f"line {line}" for line in lines if line}))
        evidence = f"called at {where or 'an unknown line'}" + (
            "; made deterministic, the cell reproduces" if confirmed else " (not confirmed by experiment)"
        )
        causes.append(Cause(kind, evidence, fix_for(kind), confirmed))
    return causes


def _probed_runs(
    shell: Any,
    cell: str,
    seeded: Callable[[], Any],
    snapshot: NamespaceSnapshot,
    assigned: frozenset[str],
    *,
    replace: bool,
    runs: int,
) -> tuple[list[dict[str, Any]], list[RunRecord]]:
    events: list[dict[str, Any]] = []
    records = []
    for _ in range(runs):  # fresh probes per run: their stand-in counters start over
        handle, path = tempfile.mkstemp(prefix="jupyter-seed-doctor-", suffix=".jsonl")
        os.close(handle)
        probes = Probes(path, replace=replace)
        try:
            probes.install(shell)
            snapshot.restore(shell.user_ns)
            records.append(run_once(shell, cell, seeded(), assigned=assigned))
        finally:
            probes.uninstall()
            events += probes.events()
            os.unlink(path)
    return events, records
