"""Notebooks side by side on this machine, sharing the cores without oversubscribing them.

The kernel budget is the single check's: ``parallel`` kernels at a time (default one per
usable core). Each notebook's check runs ``min(runs, budget)`` kernels, so
``budget // that`` notebooks run at a time, each in a worker thread of this process (the
work of a check is its kernels': the thread only waits on them), and every kernel gets its
share of the cores' math threads (:func:`~..checks.runner.threads_per_kernel` of the whole
budget). Ctrl-C stops the queue: no new notebook starts, the kernels of those running are
ended (:mod:`.kernels`), and what had finished is kept.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...seeding.messages import describe_error
from ..checks.runner import THREAD_VARIABLES, threads_per_kernel, usable_cores
from .kernels import kernel_children, stop_kernels
from .outcome import NotebookOutcome, check_one, interrupted, kernels_per_check, not_run

__all__ = ["Plan", "Task", "plan", "run_local", "stop_everything"]

STOP_DEADLINE = 60.0
"""Longest wait for the running checks to end after Ctrl-C (their kernels are ended at once)."""


@dataclass(frozen=True)
class Task:
    path: Path
    name: str


@dataclass(frozen=True)
class Plan:
    kernels_per_notebook: int
    notebooks_at_a_time: int
    threads_per_kernel: int | None
    """Math threads each kernel gets (``None``: a single kernel, no limit set)."""


def plan(runs: int, parallel: int | None) -> Plan:
    budget = parallel or usable_cores()
    per_notebook = max(1, min(runs, budget))
    at_a_time = max(1, budget // per_notebook)
    return Plan(per_notebook, at_a_time, threads_per_kernel(at_a_time * per_notebook))


@contextmanager
def kernel_threads(threads: int | None) -> Iterator[None]:
    """Every kernel started meanwhile gets ``threads`` math threads (a variable the user set is kept).

    The single check sets its own share only where the variable is unset, from its own
    kernels alone; side by side, the share is of every notebook's kernels together.
    """
    added = (
        []
        if threads is None
        else [n for n in (*THREAD_VARIABLES, "TF_NUM_INTEROP_THREADS") if n not in os.environ]
    )
    for name in added:
        os.environ[name] = "1" if name == "TF_NUM_INTEROP_THREADS" else str(threads)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def stop_everything(futures: list[Future[Any]], deadline: float = STOP_DEADLINE) -> None:
    """End the kernels of the running checks until every check has ended and no kernel is left.

    A second Ctrl-C while it works does not cut it short: that would leave kernels behind.
    """
    for future in futures:
        future.cancel()
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        try:
            stop_kernels()
            running = [future for future in futures if not future.done()]
            if not running and not kernel_children():
                return
            wait(running, timeout=0.2)
        except KeyboardInterrupt:
            continue


def run_local(
    tasks: list[Task],
    arguments: dict[str, Any],
    *,
    on_outcome: Callable[[NotebookOutcome], None],
) -> tuple[dict[str, NotebookOutcome], bool]:
    """Check every task with the single check's ``arguments`` (:func:`~.outcome.check_one`).

    ``on_outcome`` hears each as it finishes. Returns outcomes by name, and whether it was interrupted.
    """
    layout = plan(kernels_per_check(arguments), arguments.get("parallel"))
    arguments = {**arguments, "parallel": layout.kernels_per_notebook}
    stop = threading.Event()
    outcomes: dict[str, NotebookOutcome] = {}

    def job(task: Task) -> NotebookOutcome:
        if stop.is_set():
            return interrupted(task.name)
        try:
            return check_one(task.path, task.name, arguments)
        except Exception as error:  # noqa: BLE001 - one notebook's surprise must not end the others
            return not_run(task.name, describe_error(error))

    pool = ThreadPoolExecutor(layout.notebooks_at_a_time, thread_name_prefix="jupyter-seed-collection")
    futures: dict[Future[NotebookOutcome], Task] = {}
    try:
        with kernel_threads(layout.threads_per_kernel):
            futures = {pool.submit(job, task): task for task in tasks}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()
                    outcomes[outcome.notebook] = outcome
                    on_outcome(outcome)
    except KeyboardInterrupt:
        stop.set()
        stop_everything(list(futures))
        for task in futures.values():
            if task.name not in outcomes:
                outcomes[task.name] = interrupted(task.name)
        return outcomes, True
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return outcomes, False
