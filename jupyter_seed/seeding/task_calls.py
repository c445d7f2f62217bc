"""Picklable wrappers that seed a task in the process that runs it, then call it.

A wrapper carries the submitter's seed, the submission number and the task's
index (or a rank); the worker turns them into :func:`~.task_seed.task_seed_of`
and reseeds its own sources through its own seeder before the call. The
submitting process draws nothing, so its generators are untouched. A task that
runs in the submitting thread itself (joblib with one job) runs inside
``seeded()``, which restores every state afterwards; one that runs in another
thread of it (thread pools) is left alone, as threads share the generators.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from .seeder import get_seeder
from .task_seed import task_seed_of

_prepared_pid: int | None = None


def enter_task(seed: int, deterministic: str) -> None:
    """Seed every source of this (worker) process with ``seed``; sources imported later get it at import."""
    global _prepared_pid
    seeder = get_seeder()
    pid = os.getpid()
    if _prepared_pid != pid:
        _prepared_pid = pid
        if seeder.seed is None:  # a fresh interpreter without the start-up hook: set it up as the parent
            seeder.processes = False
            seeder.seed_everything(seed, deterministic=None if deterministic == "off" else deterministic)
            return
    seeder.reseed(seed)


class _SeededTask:
    """Base: ``function``, the submitter's seed, mode, process and thread, and the task's keys."""

    __slots__ = ("function", "seed", "deterministic", "pid", "thread", "submission", "index")

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
        self.pid = os.getpid() if pid is None else pid
        self.thread = threading.get_ident() if thread is None else thread

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.function, self.seed, self.deterministic, self.submission, self.index,
                             self.pid, self.thread))

    def __repr__(self) -> str:
        return f"<seeded task {self.submission}/{self.index} of {self.function!r}>"

    def _run(self, keys: tuple[Any, ...], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if os.getpid() == self.pid:
            if threading.get_ident() != self.thread:
                return self.function(*args, **kwargs)
            seeder = get_seeder()
            submitted = seeder.tasks_submitted  # seeded() reseeds, which restarts the count: keep ours
            try:
                with seeder.seeded(task_seed_of(self.seed, keys)):
                    return self.function(*args, **kwargs)
            finally:
                seeder.tasks_submitted = submitted
        enter_task(task_seed_of(self.seed, keys), self.deterministic)
        return self.function(*args, **kwargs)


class SeededCall(_SeededTask):
    """``function(*args, **kwargs)`` as task ``index`` (submit, apply_async, joblib, Process.start)."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._run((self.submission, self.index), args, kwargs)


class SeededItem(_SeededTask):
    """Called with ``(index, item)``: ``function(item)`` as task ``index`` (Pool.map, imap, ...)."""

    __slots__ = ()

    def __call__(self, indexed: tuple[int, Any]) -> Any:
        index, item = indexed
        return self._run((self.submission, index), (item,), {})


class SeededStar(_SeededTask):
    """Called with ``(index, *args)``: ``function(*args)`` as task ``index`` (Pool.starmap, Executor.map)."""

    __slots__ = ()

    def __call__(self, index: int, *args: Any) -> Any:
        return self._run((self.submission, index), args, {})


class SeededRank(_SeededTask):
    """Called with ``(rank, *args)`` by ``torch.multiprocessing``: seeded from ``("rank", rank)``."""

    __slots__ = ()

    def __call__(self, rank: int, *args: Any) -> Any:
        return self._run(("rank", rank), (rank, *args), {})
