"""``%%seed --check --localize``: two more traced runs of the cell in this kernel, compared here.

The check found a difference; each traced run starts from the namespace the check restored
before its own runs (``restore``) and runs under the same seed (``seeded``), silently. User code
is the cell and the modules under the kernel's working folder. The namespace afterwards is the
last traced run's, as after any check run.
"""

from __future__ import annotations

import linecache
import os
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ...harness import run_once
from .compare import Divergence, first_divergence
from .op_recorders import OpRecorders
from .trace_file import Trace, read_trace
from .tracer import LineTracer

THIS_CELL = "this cell"


def localize_in_kernel(
    shell: Any,
    cell: str,
    seeded: Callable[[], AbstractContextManager[Any]],
    restore: Callable[[], None],
    *,
    max_events: int | None = None,
) -> Divergence | None:
    """Where two traced runs of ``cell`` part (None: their traces agree)."""
    source = shell.transform_cell(cell).splitlines()
    root = os.getcwd()
    traces: list[Trace] = []
    with tempfile.TemporaryDirectory(prefix="jupyter-seed-trace-") as directory:
        for run in range(2):
            restore()
            path = os.path.join(directory, f"{run}.jsonl")
            traces.append(_traced_run(shell, cell, seeded, path, root, max_events))

    def place(label: str) -> str:
        return THIS_CELL if label.startswith("cell:") else label

    def source_line(label: str, line: int) -> str | None:
        lines = source if label.startswith("cell:") else linecache.getlines(os.path.join(root, label))
        return lines[line - 1].strip() if 0 < line <= len(lines) else None

    return first_divergence(traces[0], traces[1], 1, place, source_line)


def _traced_run(
    shell: Any,
    cell: str,
    seeded: Callable[[], AbstractContextManager[Any]],
    path: str,
    root: str,
    max_events: int | None,
) -> Trace:
    tracer = LineTracer(path, root) if max_events is None else LineTracer(path, root, max_events)
    tracer.begin_cell(None, None)
    ops = tracer.ops = OpRecorders(tracer)
    try:
        ops.enter()
        tracer.start()
        run_once(shell, cell, seeded(), show=False, keep_figures=False, render_figures=False)
    finally:
        tracer.close()
        ops.exit()
    return read_trace(path)
