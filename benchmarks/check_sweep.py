"""Cost of seed sweeps and notebook checks (not a test: prints a table).

    .venv/bin/python -m benchmarks.check_sweep [--seeds 200] [--repeat 5]

Sweep overhead per seed = (sweep wall time - the same calls made directly) / seeds,
with numpy and torch loaded, so every seed pays for snapshotting and restoring
their RNG states. ``check`` wall time is compared with one plain execution of the
same notebook (one fresh kernel, the same setup cell): the goal is <= 1.3x for two runs when
two cores let the two kernels run side by side.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jupyter_seed.evidence.checks.notebook import check_notebook, execute_runs, load_notebook
from jupyter_seed.evidence.sweeps.sweep import sweep

from .common import ROOT, progress

NOTEBOOKS = (Path(ROOT) / "examples/check/figure.ipynb", Path(ROOT) / "examples/check/reproducible.ipynb")


def small_training_step() -> float:
    """About a millisecond of real work: a forward and backward pass of a small MLP."""
    x = torch.randn(64, 32)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    loss = model(x).pow(2).mean()
    loss.backward()
    return loss.item() + float(np.random.rand())


def heavier_step() -> float:
    """About 20 ms: where a process pool starts to pay for its per-task cost."""
    return sum(small_training_step() for _ in range(40))


def median_seconds(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(actions: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Median wall time of each action, taking turns so load from elsewhere hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def measure_sweeps(seeds: int, repeat: int) -> dict[str, float]:
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_seed.evidence.harness import run_cell_body

    progress(f"sweeps: {seeds} seeds, {repeat} rounds")
    torch.set_num_threads(1)
    small_training_step()  # warm up torch's kernels
    seed_list = list(range(seeds))
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_seed")
    shell.user_ns["step"] = small_training_step
    cell = "value = step()\nvalue"
    timed = interleaved_medians(
        {
            "direct": lambda: [small_training_step() for _ in seed_list],
            "sweep": lambda: sweep(small_training_step, seed_list, progress=False),
            "cell_direct": lambda: [run_cell_body(shell, cell) for _ in seed_list],
            "magic": lambda: shell.run_cell_magic("seed", f"--sweep 0:{seeds}", cell),
        },
        repeat,
    )
    context = multiprocessing.get_context("spawn")
    # Two workers on two cores: torch's intra-op threads would oversubscribe them.
    with ProcessPoolExecutor(
        max_workers=2, mp_context=context, initializer=torch.set_num_threads, initargs=(1,)
    ) as pool:
        sweep(small_training_step, [0, 1], executor=pool, progress=False)  # start and warm both workers
        pooled = median_seconds(
            lambda: sweep(small_training_step, seed_list, executor=pool, progress=False), repeat
        )
        heavy_seeds = list(range(40))
        heavy_pooled = median_seconds(
            lambda: sweep(heavier_step, heavy_seeds, executor=pool, progress=False), repeat
        )
    heavy_sequential = median_seconds(lambda: sweep(heavier_step, heavy_seeds, progress=False), repeat)
    return {
        "seeds": seeds,
        **timed,
        "pooled": pooled,
        "heavy_seeds": len(heavy_seeds),
        "heavy_pooled": heavy_pooled,
        "heavy_sequential": heavy_sequential,
    }


def measure_check(notebook: Path, repeat: int) -> dict[str, Any]:
    progress(f"check: {notebook.name}")
    loaded = load_notebook(notebook)
    cwd = str(notebook.parent)
    execute_runs(loaded, runs=1, seed=0, per_cell="same", cwd=cwd)  # warm the OS file cache
    timed = interleaved_medians(
        {
            "plain": lambda: execute_runs(loaded, runs=1, seed=0, per_cell="same", cwd=cwd),
            "parallel": lambda: check_notebook(notebook, runs=2),
            "serial": lambda: check_notebook(notebook, runs=2, parallel=1),
        },
        repeat,
    )
    return {"name": notebook.name, **timed}


def measure(seeds: int, repeat: int, notebooks: list[Path]) -> dict[str, Any]:
    return {
        "machine": f"{os.cpu_count()} CPU cores, torch {torch.__version__}, numpy {np.__version__}",
        "sweeps": measure_sweeps(seeds, repeat),
        "checks": [measure_check(notebook, repeat) for notebook in notebooks],
    }


def render(data: dict[str, Any]) -> str:
    s = data["sweeps"]
    seeds, direct = s["seeds"], s["direct"]
    rows = [
        ("machine", data["machine"]),
        ("cell's own time per seed (direct call)", f"{direct / seeds * 1e3:.3f} ms"),
        ("sweep(), sequential: overhead per seed", f"{(s['sweep'] - direct) / seeds * 1e6:.0f} µs"),
        (
            "%%seed --sweep: overhead per seed (incl. namespace restore)",
            f"{(s['magic'] - s['cell_direct']) / seeds * 1e6:.0f} µs",
        ),
        (
            "sweep() on ProcessPoolExecutor(2): wall per seed",
            f"{s['pooled'] / seeds * 1e3:.3f} ms ({direct / s['pooled']:.2f}x the direct loop's throughput)",
        ),
        (
            f"heavier cell ({s['heavy_sequential'] / s['heavy_seeds'] * 1e3:.0f} ms/seed): "
            "ProcessPoolExecutor(2) speed-up",
            f"{s['heavy_sequential'] / s['heavy_pooled']:.2f}x over sequential sweep()",
        ),
    ]
    for check in data["checks"]:
        name, plain, parallel, serial = check["name"], check["plain"], check["parallel"], check["serial"]
        rows += [
            (f"{name}: one plain execution", f"{plain:.2f} s"),
            (f"{name}: check, 2 runs in parallel", f"{parallel:.2f} s = {parallel / plain:.2f}x plain"),
            (f"{name}: check, 2 runs one after the other", f"{serial:.2f} s = {serial / plain:.2f}x plain"),
        ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{'measurement':<{width}}  result", f"{'-' * width}  {'-' * 40}"]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.check_sweep",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--notebooks", nargs="*", default=[str(path) for path in NOTEBOOKS])
    args = parser.parse_args(argv)
    if args.seeds < 2 or args.repeat < 1:
        parser.error(
            f"--seeds must be at least 2 and --repeat at least 1, got {args.seeds} and {args.repeat}"
        )
    missing = [name for name in args.notebooks if not Path(name).is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    print(render(measure(args.seeds, args.repeat, [Path(name) for name in args.notebooks])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
