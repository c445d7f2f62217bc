"""The tracer in a localizer run's kernel: installed by the setup cell, one trace file per kernel.

Each following cell is traced from its ``pre_run_cell`` to its ``post_run_cell``; the ops of
torch and TensorFlow, once imported, are recorded too (:mod:`.op_recorders`).
"""

from __future__ import annotations

import os
import time
from typing import Any

from .op_recorders import OpRecorders
from .tracer import DEFAULT_MAX_EVENTS, LineTracer

TRACE_DIRECTORY_VARIABLE = "JUPYTER_SEED_TRACE_DIR"
MAX_EVENTS_VARIABLE = "JUPYTER_SEED_TRACE_MAX_EVENTS"


def setup_code() -> str:
    """The lines a localizer run's setup cell adds: trace every following cell of this kernel."""
    return (
        "from jupyter_seed.evidence.checks.localize.kernel_hooks import start_tracing as _jupyter_seed_trace\n"
        "_jupyter_seed_trace(get_ipython())\ndel _jupyter_seed_trace"
    )


def start_tracing(shell: Any) -> LineTracer:
    directory = os.environ[TRACE_DIRECTORY_VARIABLE]
    limit = int(os.environ.get(MAX_EVENTS_VARIABLE, DEFAULT_MAX_EVENTS))
    path = os.path.join(directory, f"{os.getpid()}-{time.monotonic_ns()}.jsonl")
    tracer = LineTracer(path, os.getcwd(), limit)
    ops = tracer.ops = OpRecorders(tracer)

    def before(info: Any) -> None:
        raw = getattr(info, "raw_cell", "") or ""
        try:
            cell_file = shell.compile.get_code_name(raw, raw, shell.execution_count)
        except Exception:  # noqa: BLE001 - another compiler: the cell's file is learnt when it runs
            cell_file = None
        tracer.begin_cell(getattr(info, "cell_id", None), cell_file)
        ops.enter()
        tracer.start(shell)

    def after(result: Any) -> None:
        tracer.stop()
        ops.exit()

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
    return tracer
