"""Cost of the localizer's tracer (``check --localize``): small torch and JAX training loops, traced and not.

    .venv/bin/python -m benchmarks.localize [--quick]

The loop runs as a notebook cell would (compiled under an ipykernel cell file name) in this
process: untraced, then traced by the line tracer with torch's ops recorded, as a localizer
run does. Goal: traced <= 20x untraced. The JAX loop's step is jitted: traced, it runs with jit off,
one primitive at a time (the only way JAX's ops can be seen), so its ratio is mostly that of eager
JAX to compiled JAX. Memory: the Python heap the tracer adds (tracemalloc
peak) and the trace file's size; then a loop far longer than the event bound, to show that
both stay bounded (the trace is cut).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any

from .common import Options, progress, table

GOAL = 20.0
CELLS = os.path.join(os.path.dirname(__file__), "children", "localize_cells.py")
CELL_FILE = os.path.join(tempfile.gettempdir(), "ipykernel_0", "1.py")


def _load_cells(folder: str) -> Any:
    """The benchmark's cells as a module beside the trace, where the tracer counts it as user code."""
    import importlib.util
    import shutil

    path = shutil.copy(CELLS, os.path.join(folder, "bench_cells.py"))
    spec = importlib.util.spec_from_file_location("bench_cells", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(
    source: str, namespace: dict[str, Any], *, traced: bool, max_events: int, memory: bool = False
) -> dict[str, float]:
    """One call of the cell function ``source`` with ``namespace`` as its arguments; with ``memory``,
    under tracemalloc (slower: timed runs go without it)."""
    from jupyter_seed.evidence.checks.localize.op_recorders import OpRecorders
    from jupyter_seed.evidence.checks.localize.tracer import LineTracer

    with tempfile.TemporaryDirectory() as folder:
        cell = getattr(_load_cells(folder), source)
        path = os.path.join(folder, "trace.jsonl")
        tracer = LineTracer(path, folder, max_events) if traced else None
        ops = OpRecorders(tracer) if tracer is not None else None
        if memory:
            tracemalloc.start()
        started = time.perf_counter()
        if tracer is not None:
            tracer.begin_cell(None, CELL_FILE)
            if ops is not None:
                tracer.ops = ops
                ops.enter()
            tracer.start()
        try:
            cell(**namespace)
        finally:
            if tracer is not None:
                tracer.close()
                if ops is not None:
                    ops.exit()
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
        if memory:
            tracemalloc.stop()
        size = os.path.getsize(path) if tracer is not None else 0
    return {"s": seconds, "peak_mb": peak / 2**20, "trace_mb": size / 2**20, "cut": float(bool(tracer and tracer.cut))}


def measure(options: Options) -> dict[str, Any]:
    import torch

    torch.manual_seed(0)
    steps = 20 if options.quick else 100
    repeat = 3 if options.quick else 5
    namespace = {"torch": torch, "x": torch.randn(64, 16), "y": torch.randn(64, 1), "steps": steps}
    progress(f"localize: training loop, {steps} steps, {repeat} repeats")
    _run("training", dict(namespace), traced=False, max_events=0)  # warm-up: torch's first calls
    plain = [_run("training", dict(namespace), traced=False, max_events=0) for _ in range(repeat)]
    traced = [_run("training", dict(namespace), traced=True, max_events=200_000) for _ in range(repeat)]
    plain_memory = _run("training", dict(namespace), traced=False, max_events=0, memory=True)
    traced_memory = _run("training", dict(namespace), traced=True, max_events=200_000, memory=True)
    import jax

    jax_namespace = {"jax": jax, "x": jax.numpy.asarray(namespace["x"].numpy()),
                     "y": jax.numpy.asarray(namespace["y"].numpy()), "steps": steps}
    progress(f"localize: jitted JAX training loop, {steps} steps, {repeat} repeats")
    _run("jax_training", dict(jax_namespace), traced=False, max_events=0)  # warm-up: compiles the step
    jax_plain = [_run("jax_training", dict(jax_namespace), traced=False, max_events=0) for _ in range(repeat)]
    jax_traced = [_run("jax_training", dict(jax_namespace), traced=True, max_events=200_000) for _ in range(repeat)]
    long_steps = 10**6 if options.quick else 10**7
    progress(f"localize: a {long_steps:,}-step loop, bounded at 200,000 events")
    long_plain = _run("long_loop", {"steps": long_steps}, traced=False, max_events=0)
    long_traced = _run("long_loop", {"steps": long_steps}, traced=True, max_events=200_000)
    # tracemalloc slows every allocation of the untraced rest of the loop: measure memory on 10^6 steps,
    # already five times past the event bound.
    long_memory = _run("long_loop", {"steps": 10**6}, traced=True, max_events=200_000, memory=True)
    return {
        "steps": steps,
        "repeat": repeat,
        "plain_ms": statistics.median(r["s"] for r in plain) * 1e3,
        "traced_ms": statistics.median(r["s"] for r in traced) * 1e3,
        "plain_peak_mb": plain_memory["peak_mb"],
        "traced_peak_mb": traced_memory["peak_mb"],
        "trace_mb": statistics.median(r["trace_mb"] for r in traced),
        "jax_plain_ms": statistics.median(r["s"] for r in jax_plain) * 1e3,
        "jax_traced_ms": statistics.median(r["s"] for r in jax_traced) * 1e3,
        "jax_trace_mb": statistics.median(r["trace_mb"] for r in jax_traced),
        "long_steps": long_steps,
        "long_plain_s": long_plain["s"],
        "long_traced_s": long_traced["s"],
        "long_peak_mb": long_memory["peak_mb"],
        "long_trace_mb": long_traced["trace_mb"],
        "long_cut": bool(long_traced["cut"]),
    }


def render(data: dict[str, Any]) -> str:
    overhead = data["traced_ms"] / data["plain_ms"]
    rows = [
        ["untraced", f"{data['plain_ms']:.1f}", f"{data['plain_peak_mb']:.1f}", "-"],
        ["traced (lines + torch ops)", f"{data['traced_ms']:.1f}", f"{data['traced_peak_mb']:.1f}",
         f"{data['trace_mb']:.2f}"],
    ]
    first = table(
        f"Localizer: tracer overhead on a {data['steps']}-step torch training loop (median of {data['repeat']})",
        ["cell", "ms", "heap peak MB", "trace MB"],
        rows,
        f"overhead {overhead:.1f}x (goal <= {GOAL:.0f}x): {'met' if overhead <= GOAL else 'NOT met'}",
    )
    jax_overhead = data["jax_traced_ms"] / data["jax_plain_ms"]
    jax_table = table(
        f"Localizer: a {data['steps']}-step jitted JAX training loop (median of {data['repeat']})",
        ["cell", "ms", "trace MB"],
        [
            ["untraced (jit on)", f"{data['jax_plain_ms']:.1f}", "-"],
            ["traced (jit off: lines + JAX primitives)", f"{data['jax_traced_ms']:.1f}", f"{data['jax_trace_mb']:.2f}"],
        ],
        f"overhead {jax_overhead:.1f}x (goal <= {GOAL:.0f}x): {'met' if jax_overhead <= GOAL else 'NOT met'}",
    )
    second = table(
        f"Localizer: a {data['long_steps']:,}-step loop, bounded trace",
        ["cell", "s", "heap peak MB", "trace MB"],
        [
            ["untraced", f"{data['long_plain_s']:.2f}", "-", "-"],
            ["traced (heap peak: 10^6 steps)", f"{data['long_traced_s']:.2f}", f"{data['long_peak_mb']:.1f}", f"{data['long_trace_mb']:.1f}"],
        ],
        "trace cut at the event bound: " + ("yes" if data["long_cut"] else "no"),
    )
    return first + "\n" + jax_table + "\n" + second


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.localize", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    args = parser.parse_args(argv)
    print(render(measure(Options(quick=args.quick))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
