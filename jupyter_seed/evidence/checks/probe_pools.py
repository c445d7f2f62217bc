"""Worker-pool probes: which pools the user's code starts, and the doctor's "one worker" experiment.

Recorded (kind ``worker pool``, with the pool's name): ``concurrent.futures``'
``ThreadPoolExecutor`` and ``ProcessPoolExecutor``, ``multiprocessing.Pool`` and
``joblib.Parallel`` created from a cell or the user's own module. With ``one_worker``
the same pools run their tasks one at a time in the kernel process itself: a thread
pool gets one thread, a process pool becomes a one-thread pool, joblib runs with one
job. Two things then show: whether the result depended on which task finished first
(it agrees with one worker), and which generator a task draws from, since a task that
ran in a child process is now in reach of the kernel's probes.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .probe_sites import ProbeHost

POOL_KIND = "worker pool"
TASK_THREAD_PREFIX = "jupyter-seed-pool-task"
"""Name prefix of the threads that run a process pool's tasks in the kernel (``one_worker``)."""
_inline = threading.local()
"""``depth`` > 0 while joblib runs the user's tasks inline in the calling thread (``one_worker``)."""


def in_pool_task() -> bool:
    """Whether the running code is a task of the user's process pool, run in the kernel for the doctor.

    What it draws there it would have drawn in a child process: the doctor names that apart
    from the kernel's own draws.
    """
    return getattr(_inline, "depth", 0) > 0 or threading.current_thread().name.startswith(TASK_THREAD_PREFIX)


@contextmanager
def _inline_tasks() -> Iterator[None]:
    _inline.depth = getattr(_inline, "depth", 0) + 1
    try:
        yield
    finally:
        _inline.depth -= 1


def _record(probes: ProbeHost, pool: str) -> bool:
    """Record a pool the user's code starts; whether it is the user's (only those get one worker)."""
    site = probes.sites.locate(sys._getframe(2))
    if site is not None:
        probes.record(POOL_KIND, site, pool=pool)
    return site is not None


def wrap_standard_pools(probes: ProbeHost, one_worker: bool) -> None:
    """``concurrent.futures`` and ``multiprocessing`` (both standard library, imported here)."""
    import concurrent.futures
    import multiprocessing
    import multiprocessing.pool

    threads = concurrent.futures.ThreadPoolExecutor
    thread_init = threads.__init__

    def thread_pool_init(executor: Any, max_workers: Any = None, *args: Any, **kwargs: Any) -> None:
        # The kernel's own pools (asyncio's default executor) keep their threads.
        users = type(executor) is threads and _record(probes, "concurrent.futures.ThreadPoolExecutor")
        thread_init(executor, 1 if one_worker and users else max_workers, *args, **kwargs)

    probes.patch(threads, "__init__", thread_pool_init)
    processes = concurrent.futures.ProcessPoolExecutor
    if one_worker:

        def make_process_pool(*args: Any, **kwargs: Any) -> Any:
            # The user's process pool runs its tasks one at a time in a thread of the kernel.
            if _record(probes, "concurrent.futures.ProcessPoolExecutor"):
                return threads(1, thread_name_prefix=TASK_THREAD_PREFIX)
            return processes(*args, **kwargs)

        make_process_pool.__name__ = make_process_pool.__qualname__ = "ProcessPoolExecutor"
        probes.patch(concurrent.futures, "ProcessPoolExecutor", make_process_pool)
    else:
        process_init = processes.__init__

        def process_pool_init(executor: Any, *args: Any, **kwargs: Any) -> None:
            _record(probes, "concurrent.futures.ProcessPoolExecutor")
            process_init(executor, *args, **kwargs)

        probes.patch(processes, "__init__", process_pool_init)
    pool_factory = multiprocessing.Pool

    def make_pool(*args: Any, **kwargs: Any) -> Any:
        if _record(probes, "multiprocessing.Pool") and one_worker:
            pool = multiprocessing.pool.ThreadPool(1)
            for worker in pool._pool:  # type: ignore[attr-defined]  # its task threads, started by now
                worker.name = f"{TASK_THREAD_PREFIX}-{worker.name}"
            return pool
        return pool_factory(*args, **kwargs)

    probes.patch(multiprocessing, "Pool", make_pool)


def wrap_joblib(probes: ProbeHost, joblib: Any) -> None:
    parallel = joblib.Parallel
    initialise = parallel.__init__
    one_worker = probes.one_worker

    def probe_init(instance: Any, *args: Any, **kwargs: Any) -> None:
        users = _record(probes, "joblib.Parallel") and one_worker
        if users:
            args, kwargs = args[1:], {**kwargs, "n_jobs": 1}
        initialise(instance, *args, **kwargs)
        if users:
            instance._jupyter_seed_inline = True

    probes.patch(parallel, "__init__", probe_init)
    if one_worker:
        call = parallel.__call__

        def probe_call(instance: Any, iterable: Any) -> Any:
            if not getattr(instance, "_jupyter_seed_inline", False):
                return call(instance, iterable)
            with _inline_tasks():  # one job: the tasks run here, in the calling thread
                return call(instance, iterable)

        probes.patch(parallel, "__call__", probe_call)
