"""Cost of seed sweeps and notebook checks (not a test: prints a table).

    .venv/bin/python benchmarks/bench_check_sweep.py [--seeds 200] [--repeat 3]

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
import torch

from jupyter_seed.evidence.checks.notebook import check_notebook, execute_runs, load_notebook
from jupyter_seed.evidence.sweeps.sweep import sweep


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


def bench_sweeps(seeds: int, repeat: int) -> list[tuple[str, str]]:
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_seed.evidence.harness import run_cell_body

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
    direct, swept, cell_direct, magic = timed["direct"], timed["sweep"], timed["cell_direct"], timed["magic"]

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

    per_call_ms = direct / seeds * 1e3
    return [
        ("cell's own time per seed (direct call)", f"{per_call_ms:.3f} ms"),
        ("sweep(), sequential: overhead per seed", f"{(swept - direct) / seeds * 1e6:.0f} µs"),
        (
            "%%seed --sweep: overhead per seed (incl. namespace restore)",
            f"{(magic - cell_direct) / seeds * 1e6:.0f} µs",
        ),
        (
            "sweep() on ProcessPoolExecutor(2): wall per seed",
            f"{pooled / seeds * 1e3:.3f} ms ({direct / pooled:.2f}x the direct loop's throughput)",
        ),
        (
            f"heavier cell ({heavy_sequential / len(heavy_seeds) * 1e3:.0f} ms/seed): ProcessPoolExecutor(2) speed-up",
            f"{heavy_sequential / heavy_pooled:.2f}x over sequential sweep()",
        ),
    ]


def bench_check(notebook: Path, repeat: int) -> list[tuple[str, str]]:
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
    plain, parallel, serial = timed["plain"], timed["parallel"], timed["serial"]
    name = notebook.name
    return [
        (f"{name}: one plain execution", f"{plain:.2f} s"),
        (f"{name}: check, 2 runs in parallel", f"{parallel:.2f} s = {parallel / plain:.2f}x plain"),
        (f"{name}: check, 2 runs one after the other", f"{serial:.2f} s = {serial / plain:.2f}x plain"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--notebooks",
        nargs="*",
        default=[str(ROOT / "examples/check/figure.ipynb"), str(ROOT / "examples/check/reproducible.ipynb")],
    )
    args = parser.parse_args()

    rows = [("machine", f"{os.cpu_count()} CPU cores, torch {torch.__version__}, numpy {np.__version__}")]
    rows += bench_sweeps(args.seeds, args.repeat)
    for notebook in args.notebooks:
        rows += bench_check(Path(notebook), args.repeat)
    width = max(len(label) for label, _ in rows)
    print(f"{'measurement':<{width}}  result")
    print(f"{'-' * width}  {'-' * 40}")
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
