"""What the kernel section runs inside its kernel: the configurations, the set-up, and the in-kernel timing.

Imported in the kernel (``benchmarks`` is on its path), so it imports nothing heavy at the top.
"""

from __future__ import annotations

import gc
import json
import sys
import time
import types
from typing import Any

# The configurations every per-cell figure compares, as the cells that switch to them.
KERNEL_CONFIGS = {
    "no extension": "%unload_ext jupyter_seed",
    "loaded, per-cell off": "%load_ext jupyter_seed\n%seed 3407 --no-per-cell --quiet",
    "--per-cell same": "%load_ext jupyter_seed\n%seed 3407 --per-cell same --quiet",
    "--per-cell derived": "%load_ext jupyter_seed\n%seed 3407 --per-cell derived --quiet",
}


def import_frameworks() -> None:
    """What a training notebook has loaded: random, NumPy, and torch and TensorFlow where installed."""
    import random  # noqa: F401

    import numpy  # noqa: F401

    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        pass


def _switch(shell: Any, config: str) -> None:
    for line in KERNEL_CONFIGS[config].splitlines():
        magic, _, arg = line.removeprefix("%").partition(" ")
        shell.run_line_magic(magic, arg)


def _median(values: list[float]) -> float:
    values.sort()
    return values[len(values) // 2]


def measure_in_kernel(shell: Any, repeats: int) -> str:
    """Our pre_run_cell callback alone, a whole `pass` cell, and the cell events, as JSON (µs per cell)."""
    from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult

    from jupyter_seed.kernel.extension import registration_of

    out: dict[str, Any] = {"callback": {}, "run_cell": {}}
    # (a) our pre_run_cell callback alone
    shell.run_line_magic("load_ext", "jupyter_seed")
    shell.run_line_magic("seed", "3407 --quiet")
    registration = registration_of(shell)
    callback = registration.pre_run_cell
    info = types.SimpleNamespace(cell_id="cell-3", raw_cell="pass")
    for mode in ("off", "same", "derived"):
        registration.seeder.set_per_cell(mode)
        runs = []
        for _ in range(repeats):
            gc.disable()
            started = time.perf_counter_ns()
            for _ in range(200):
                callback(info)
            runs.append((time.perf_counter_ns() - started) / 200 / 1e3)
            gc.enable()
        out["callback"][mode] = _median(runs)
    registration.seeder.set_per_cell("off")
    # (b) a whole `pass` cell through InteractiveShell.run_cell, in this kernel, per configuration
    infos = [ExecutionInfo("pass", True, False, True, f"cell-{i % 10}") for i in range(10)]
    results = [ExecutionResult(info) for info in infos]
    names = list(KERNEL_CONFIGS)
    times: dict[str, list[float]] = {name: [] for name in names}
    events: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats + 1):
        for name in names[r % 4 :] + names[: r % 4]:
            _switch(shell, name)
            gc.disable()
            started = time.perf_counter_ns()
            for i in range(20):
                shell.run_cell("pass", store_history=False, cell_id=f"cell-{i % 10}")
            elapsed = (time.perf_counter_ns() - started) / 20 / 1e3
            started = time.perf_counter_ns()
            for i in range(200):
                shell.events.trigger("pre_run_cell", infos[i % 10])
                shell.events.trigger("post_run_cell", results[i % 10])
            elapsed_events = (time.perf_counter_ns() - started) / 200 / 1e3
            gc.enable()
            if r:
                times[name].append(elapsed)
                events[name].append(elapsed_events)
    out["run_cell"] = {name: _median(values) for name, values in times.items()}
    out["events"] = {name: _median(values) for name, values in events.items()}
    out["loaded"] = sorted(m for m in ("random", "numpy", "torch", "tensorflow", "keras") if m in sys.modules)
    return json.dumps(out)
