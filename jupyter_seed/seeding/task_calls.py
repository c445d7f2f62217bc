"""Picklable wrappers that seed a task in the process that runs it, then call it.

A wrapper carries the submitter's seed, the submission number and the task's
index (or a rank); the worker turns them into :func:`~.task_seed.task_seed_of`
and reseeds its own sources through its own seeder before the call. The
submitting process draws nothing, so its generators are untouched. A task that
runs in the submitting thread itself (joblib with one job) runs inside
``seeded()``, which restores every state afterwards, when that thread is the main
one (the cells'); one that runs in another thread (thread pools, or joblib inside a
thread pool) is left alone, as threads share the generators.

The worker's side is a pool's hot path (``Pool.map`` of tiny tasks): a task
costs one reseed of the live generators plus ~1 µs of ours (a copied hash of
the submission's shared bytes, a global read instead of ``os.getpid()``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from .seeder import get_seeder
from .task_seed import submission_seeds, task_seed_of

_seeder = get_seeder()
_process_id = os.getpid()
"""This process's id, kept current by a fork hook: read on every task instead of a system call."""
_holding_hash_seed = False


def _forked() -> None:
    global _process_id
    _process_id = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


def enter_task(seed: int, deterministic: str) -> None:
    """Seed every source of this (worker) process with ``seed``; sources imported later get it at import.

    The worker's ``PYTHONHASHSEED`` (what its own children get: the kernel's, inherited,
    or the start-up hook's) is held from its first task on, not rewritten per task.
    """
    global _holding_hash_seed
    seeder = _seeder
    if not _holding_hash_seed:
        _holding_hash_seed = True
        from .sources.hashseed_source import hold_for_children

        hold_for_children()
    if seeder.seed is None:  # a fresh interpreter without the start-up hook: set it up as the parent
        seeder.processes = False
        seeder.seed_everything(seed, deterministic=None if deterministic == "off" else deterministic)
        return
    seeder.reseed(seed)


class _SeededTask:
    """Base: ``function``, the submitter's seed, mode, process and thread, and the task's keys."""

    __slots__ = ("function", "seed", "deterministic", "pid", "thread", "submission", "index", "_seeds")

    def __init__(
        self,
        function: Callable[..., Any],
        seed: int,
        deterministic: str,
        submission: int,
        index: int = 0,
        pid: int | None = None,
        thread: int | None = None,
    ) -> None:
        self.function = function
        self.seed = seed
        self.deterministic = deterministic
        self.submission = submission
        self.index = index
        if pid is None:  # made by the submitter: the fork hook's figure is checked against the real one
            global _process_id
            pid = _process_id = os.getpid()
        self.pid = pid
        self.thread = threading.get_ident() if thread is None else thread
        self._seeds: Callable[[int], int] | None = None  # per worker-side copy, never pickled

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.function, self.seed, self.deterministic, self.submission, self.index,
                             self.pid, self.thread))

    def __repr__(self) -> str:
        return f"<seeded task {self.submission}/{self.index} of {self.function!r}>"

    def _item_seed(self, index: int) -> int:
        seeds = self._seeds
        if seeds is None:
            seeds = self._seeds = submission_seeds(self.seed, self.submission)
        return seeds(index)

    def _run_here(self, keys: tuple[Any, ...], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The task runs in the submitting process (by the cached id): check, then seed as fits."""
        if os.getpid() != self.pid:  # forked by code that skips Python's fork hooks: a worker after all
            enter_task(task_seed_of(self.seed, keys), self.deterministic)
            return self.function(*args, **kwargs)
        if threading.get_ident() != self.thread or threading.current_thread() is not threading.main_thread():
            # Another thread shares the generators with the cells (thread pools), and a task run
            # inline by a helper thread (joblib with one job inside a thread pool) would seed, then
            # restore, the process-wide generators under the feet of every other thread.
            return self.function(*args, **kwargs)
        seeder = _seeder
        submitted = seeder.tasks_submitted  # seeded() reseeds, which restarts the count: keep ours
        try:
            with seeder.seeded(task_seed_of(self.seed, keys)):
                return self.function(*args, **kwargs)
        finally:
            seeder.tasks_submitted = submitted


class SeededCall(_SeededTask):
    """``function(*args, **kwargs)`` as task ``index`` (submit, apply_async, joblib, Process.start)."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _process_id == self.pid:
            return self._run_here((self.submission, self.index), args, kwargs)
        enter_task(task_seed_of(self.seed, (self.submission, self.index)), self.deterministic)
        return self.function(*args, **kwargs)


class SeededItem(_SeededTask):
    """Called with ``(index, item)``: ``function(item)`` as task ``index`` (Pool.map, imap, ...)."""

    __slots__ = ()

    def __call__(self, indexed: tuple[int, Any]) -> Any:
        index, item = indexed
        if _process_id == self.pid:
            return self._run_here((self.submission, index), (item,), {})
        enter_task(self._item_seed(index), self.deterministic)
        return self.function(item)


class SeededStar(_SeededTask):
    """Called with ``(index, *args)``: ``function(*args)`` as task ``index`` (Pool.starmap, Executor.map)."""

    __slots__ = ()

    def __call__(self, index: int, *args: Any) -> Any:
        if _process_id == self.pid:
            return self._run_here((self.submission, index), args, {})
        enter_task(self._item_seed(index), self.deterministic)
        return self.function(*args)


class SeededRank(_SeededTask):
    """Called with ``(rank, *args)`` by ``torch.multiprocessing``: seeded from ``("rank", rank)``."""

    __slots__ = ()

    def __call__(self, rank: int, *args: Any) -> Any:
        if _process_id == self.pid:
            return self._run_here(("rank", rank), (rank, *args), {})
        enter_task(task_seed_of(self.seed, ("rank", rank)), self.deterministic)
        return self.function(rank, *args)
