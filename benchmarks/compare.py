"""Overhead of ``compare()`` over a plain loop of the same runs on the same executor (not a test).

    .venv/bin/python -m benchmarks.compare [--seeds 20] [--seconds 0.3] [--repeat 3] [--work cpu|sleep]

Two variants, each a metric of about ``--seconds`` over ``--seeds`` seeds: a sleep
plus one NumPy draw (default: immune to load from other processes, so the figure is
compare()'s own cost), or ``--work cpu``, real torch work calibrated to that time
(wall times then move with the machine's load; this process's CPU time is printed too). The plain
loop calls every (variant, seed) directly, or submits each to the executor and
collects the results; ``compare()`` runs the same calls and adds seeding, state
restore, pickling, the statistics (10,000 bootstrap resamples) and the text
summary. Sides alternate, medians over ``--repeat`` rounds. Goal: <= 5%.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from jupyter_seed.evidence.sweeps.compare import compare

from .common import progress

WORK: dict[str, Any] = {"kind": "cpu", "seconds": 0.3, "steps": 1}


def _calibrate(seconds: float) -> int:
    """How many matmul steps take ``seconds`` on this machine, one thread."""
    import torch

    torch.set_num_threads(1)
    a = torch.randn(256, 256)
    start = time.perf_counter()
    for _ in range(20):
        a = torch.tanh(a @ a)
    per_step = (time.perf_counter() - start) / 20
    return max(1, round(seconds / per_step))


def _work(shift: float) -> float:
    if WORK["kind"] == "sleep":
        import numpy as np

        time.sleep(float(WORK["seconds"]))
        return float(np.random.rand()) + shift
    import torch

    torch.set_num_threads(1)
    a = torch.randn(256, 256)
    for _ in range(int(WORK["steps"])):
        a = torch.tanh(a @ a)
    return float(a.mean()) + shift


def variant_a(seed: int) -> float:
    return _work(0.0)


def variant_b(seed: int) -> float:
    return _work(0.1)


def _set_work(kind: str, seconds: float, steps: int) -> None:
    WORK.update(kind=kind, seconds=seconds, steps=steps)


VARIANTS: dict[str, Callable[[int], float]] = {"a": variant_a, "b": variant_b}


def plain_loop(seeds: list[int], executor: Executor | None) -> list[float]:
    if executor is None:
        return [fn(seed) for seed in seeds for fn in VARIANTS.values()]
    futures = [executor.submit(fn, seed) for seed in seeds for fn in VARIANTS.values()]
    return [future.result() for future in futures]


def with_compare(seeds: list[int], executor: Executor | None) -> str:
    result = compare(VARIANTS, seeds, executor=executor, progress=False)
    return str(result)  # the statistics and the summary are part of the cost


def interleaved(
    actions: dict[str, Callable[[], Any]], repeat: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall times and this process's CPU times (the latter barely moved by other processes' load)."""
    wall: dict[str, list[float]] = {name: [] for name in actions}
    cpu: dict[str, list[float]] = {name: [] for name in actions}
    for round_ in range(repeat):
        order = list(actions) if round_ % 2 == 0 else list(reversed(actions))
        for name in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            actions[name]()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return wall, cpu


def measure(seeds: list[int], seconds: float, repeat: int, work: str, executors: list[str]) -> dict[str, Any]:
    import torch

    steps = _calibrate(seconds) if work == "cpu" else 1
    _set_work(work, seconds, steps)
    data: dict[str, Any] = {
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "work": work,
        "seconds": seconds,
        "steps": steps,
        "seeds": len(seeds),
        "repeat": repeat,
        "executors": {},
    }
    for name in executors:
        progress(f"compare: executor {name}")
        pool: Executor | None = None
        if name == "process_pool":
            pool = ProcessPoolExecutor(
                max_workers=2,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_set_work,
                initargs=(work, seconds, steps),
            )
            plain_loop([0], pool)  # start and warm the workers
            compare(VARIANTS, [0, 1], executor=pool, progress=False)
        else:
            compare(VARIANTS, [0, 1], progress=False)  # warm imports (scipy, the seeder)
        wall, cpu = interleaved(
            {
                "plain": functools.partial(plain_loop, seeds, pool),
                "compare": functools.partial(with_compare, seeds, pool),
            },
            repeat,
        )
        label = "none (sequential)" if pool is None else "ProcessPoolExecutor(2)"
        data["executors"][label] = {"wall": wall, "cpu": cpu}
        if pool is not None:
            pool.shutdown()
    return data


def render(data: dict[str, Any]) -> str:
    lines = [
        f"machine: {data['cores']} CPU cores, torch {data['torch']}; metric: {data['work']}, "
        f"~{data['seconds']} s ({data['steps']} steps); {data['seeds']} seeds x {len(VARIANTS)} variants; "
        f"median of {data['repeat']}",
        f"{'executor':<22} {'plain loop':>11} {'compare()':>11} {'overhead':>9}",
    ]
    for label, times in data["executors"].items():
        wall, cpu = times["wall"], times["cpu"]
        plain, compared = statistics.median(wall["plain"]), statistics.median(wall["compare"])
        plain_cpu, compared_cpu = statistics.median(cpu["plain"]), statistics.median(cpu["compare"])
        lines.append(
            f"{label:<22} {plain:>10.2f}s {compared:>10.2f}s {100 * (compared / plain - 1):>+8.2f}%"
            f"   this process's CPU: {plain_cpu:.2f}s vs {compared_cpu:.2f}s"
            f"   (wall rounds: plain {', '.join(f'{t:.2f}' for t in wall['plain'])}; "
            f"compare {', '.join(f'{t:.2f}' for t in wall['compare'])})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", choices=("sleep", "cpu"), default="sleep")
    parser.add_argument("--executors", default="none,process_pool", help="comma list: none, process_pool")
    args = parser.parse_args(argv)
    executors = [name.strip() for name in args.executors.split(",") if name.strip()]
    unknown = sorted(set(executors) - {"none", "process_pool"})
    if unknown:
        parser.error(f"unknown executors: {', '.join(unknown)} (choose from none, process_pool)")
    if args.seeds < 2 or args.repeat < 1 or not args.seconds > 0:
        parser.error("--seeds must be at least 2, --repeat at least 1 and --seconds above 0")
    print(render(measure(list(range(args.seeds)), args.seconds, args.repeat, args.work, executors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
