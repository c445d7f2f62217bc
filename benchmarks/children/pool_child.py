"""Processes-section child: per-task cost of ``Pool.map`` on many tiny tasks, seeding off, on, by hand.

    python benchmarks/children/pool_child.py METHOD ROUNDS TASKS WORKERS

One pool per variant, each created while its configuration is active (so spawned
workers of the seeded pool start through the start-up hook, as a notebook's
would), warmed up, then ``ROUNDS`` interleaved rounds of one timed
``pool.map(task, range(TASKS))`` each, the order rotating per round:

* ``off``: ``seed_everything(N, processes=False)``: ``Pool.map`` is the original function
  (checked by identity), so this is plain multiprocessing;
* ``on``: ``seed_everything(N)``: every task is seeded from ``task_seed(0, i)``;
* ``anchor``: seeding off, and each task seeds ``random`` and ``numpy.random`` itself.

Correctness is checked, not timed: the seeded draws repeat in every round, differ from
task to task, equal ``task_seed``'s, and leave this process's generators untouched.
Then, in this process (no pool), one call of each piece of a task's seeding is timed.
One JSON line is printed last.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.pool
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy.random as np_random

import jupyter_seed
from benchmarks.children.pool_tasks import draw, draw_seeding_itself
from jupyter_seed.seeding.task_calls import SeededItem
from jupyter_seed.seeding.task_seed import submission_seeds, task_seed_of

SEED = 3407
VARIANTS = ("off", "on", "anchor")
TASK: dict[str, Callable[[int], float]] = {"off": draw, "on": draw, "anchor": draw_seeding_itself}


def configure(variant: str) -> None:
    jupyter_seed.seed_everything(SEED, processes=variant == "on")


def generator_states() -> tuple[Any, list[int], int]:
    numpy_state = np_random.get_state(legacy=False)["state"]
    return random.getstate(), numpy_state["key"].tolist(), numpy_state["pos"]


def check_patch(variant: str, original: Any) -> None:
    patched = multiprocessing.pool.Pool.__dict__["map"] is not original
    if patched != (variant == "on"):
        raise AssertionError(f"Pool.map patched={patched} with seeding {variant}")


def check_seeded(draws: list[float], previous: list[float] | None, tasks: int) -> None:
    if previous is not None and draws != previous:
        raise AssertionError("seeded draws differ between two rounds")
    if len(set(draws)) != tasks:
        raise AssertionError("two seeded tasks drew the same number")
    for index in (0, 1, tasks - 1):
        if random.Random(task_seed_of(SEED, (0, index))).random() != draws[index]:
            raise AssertionError(f"task {index} was not seeded with task_seed(0, {index})")


def per_call_us(step: Callable[[int], object], calls: int) -> float:
    """Median over 7 batches of ``calls`` calls, each with a new argument (as tasks have)."""
    times = []
    for batch in range(7):
        start = time.perf_counter()
        for value in range(batch * calls, (batch + 1) * calls):
            step(value)
        times.append((time.perf_counter() - start) / calls * 1e6)
    return sorted(times)[len(times) // 2]


def pieces(calls: int) -> dict[str, float]:
    """One task's seeding, piece by piece, in this process (a foreign pid makes it take the worker's path)."""
    jupyter_seed.seed_everything(SEED)
    seeds = submission_seeds(SEED, 0)
    wrapper = SeededItem(draw, SEED, "off", 0, pid=-1)

    def floor(value: int) -> None:
        random.seed(value)
        np_random.seed(value)

    return {
        "task function alone": per_call_us(draw, calls),
        "floor: random.seed + numpy.random.seed": per_call_us(floor, calls),
        "ours: task seed (sha256 of seed, submission, index)": per_call_us(seeds, calls),
        "ours: the whole seeded task (wrapper, task seed, reseed, call)": per_call_us(
            lambda value: wrapper((value, value)), calls
        ),
    }


def main() -> None:
    method, rounds, tasks, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    context = multiprocessing.get_context(method)
    original = multiprocessing.pool.Pool.__dict__["map"]
    pools: dict[str, Any] = {}
    for variant in VARIANTS:
        configure(variant)
        pools[variant] = context.Pool(workers)
        pools[variant].map(TASK[variant], range(workers * 64))  # warm-up: workers started, modules imported
    times: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    previous: list[float] | None = None
    for round_number in range(rounds):
        shift = round_number % len(VARIANTS)
        for variant in VARIANTS[shift:] + VARIANTS[:shift]:
            configure(variant)
            check_patch(variant, original)
            before = generator_states()
            start = time.perf_counter()
            draws = pools[variant].map(TASK[variant], range(tasks))
            times[variant].append((time.perf_counter() - start) / tasks * 1e6)
            if variant == "on":
                if generator_states() != before:
                    raise AssertionError("a seeded submission moved the submitter's generators")
                check_seeded(draws, previous, tasks)
                previous = draws
    for pool in pools.values():
        pool.terminate()
        pool.join()
    print(json.dumps({"times_us": times, "pieces_us": pieces(max(tasks // 5, 200))}))


if __name__ == "__main__":
    main()
