"""Seeds reach the processes a notebook starts: pools, executors, joblib, spawned ranks, launchers.

While a seed is active and ``processes`` is on (the default), every task
submitted through ``multiprocessing.Pool`` (``map``, ``map_async``, ``imap``,
``imap_unordered``, ``starmap``, ``starmap_async``, ``apply_async``),
``concurrent.futures.ProcessPoolExecutor`` (``submit``, ``map``) and
``joblib.Parallel`` (process backends) is wrapped (:mod:`.task_calls`) so that
it starts with every source seeded from ``task_seed(submission, index)``: the
results repeat whatever the start method, the number of workers and which
worker ran what. A ``multiprocessing.Process`` start is one submission; ranks
of ``torch.multiprocessing.spawn``/``start_processes`` get
``task_seed("rank", rank)``. Launched interpreters (torchrun, ``subprocess``)
read the seed from environment variables and seed themselves at start-up
(:mod:`.process_start`).

Nothing here imports multiprocessing, joblib or torch: each entry point is
patched when its module is imported (an own :class:`PostImportFinder`), and
:meth:`ProcessSeeding.uninstall` puts back every original function object.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .import_hook import PostImportFinder
from .process_start import DETERMINISTIC_VARIABLE, SEED_VARIABLE
from .sources.base import EnvironmentVariables
from .task_calls import SeededCall, SeededItem, SeededRank, SeededStar

if TYPE_CHECKING:
    from .seeder import Seeder

_MARK = "__jupyter_seed_processes__"
# Targets of the pools' own worker processes: their tasks are seeded one by one instead.
_INTERNAL_TARGETS = ("multiprocessing.", "concurrent.futures.", "joblib.", "loky.", "torch.multiprocessing")

Patcher = Callable[["ProcessSeeding", Any], list[tuple[Any, str, Any]]]


class ProcessSeeding:
    """Follows one seeder: patches and variables in place while it has a seed and ``processes`` is on."""

    def __init__(self, seeder: Seeder) -> None:
        self.seeder = seeder
        self._originals: dict[tuple[int, str], tuple[Any, str, Any]] = {}
        self._finder: PostImportFinder | None = None
        self._env = EnvironmentVariables()
        self._env_pid: int | None = None
        self._last: tuple[Any, ...] | None = None
        self._inside_map = threading.local()

    # --------------------------------------------------------------- following
    def sync(self) -> None:
        """The seeder's listener: cheap when nothing that matters here changed."""
        seeder = self.seeder
        active = seeder.processes and seeder.applied_seed is not None
        key = (active, seeder.applied_seed, seeder.deterministic)
        if key == self._last:
            return
        self._last = key
        if active:
            self.install()
            self._write_environment(seeder.applied_seed, seeder.deterministic)
        else:
            self.uninstall()
            self._restore_environment()

    def _write_environment(self, seed: Any, deterministic: str) -> None:
        self._env_pid = os.getpid()
        self._env.set(SEED_VARIABLE, str(seed))
        if deterministic == "off":
            self._env.restore(DETERMINISTIC_VARIABLE)
        else:
            self._env.set(DETERMINISTIC_VARIABLE, deterministic)

    def _restore_environment(self) -> None:
        if self._env_pid == os.getpid():  # a forked child leaves its inherited environment alone
            self._env.restore_all()

    # ------------------------------------------------------------ the patches
    @property
    def installed(self) -> bool:
        return self._finder is not None

    def install(self) -> None:
        if self._finder is None:
            self._finder = PostImportFinder(sorted(PATCHERS), self._patch_module)
            for name in PATCHERS:
                if name in sys.modules:
                    self._patch_module(name)
        self._finder.install()

    def uninstall(self) -> None:
        """Remove the import hook and put back every original still replaced by ours."""
        if self._finder is not None:
            self._finder.uninstall()
            self._finder = None
        for owner, name, original in self._originals.values():
            if getattr(_current(owner, name), _MARK, False):  # someone else's wrapper over ours stays
                setattr(owner, name, original)
        self._originals.clear()

    def _patch_module(self, module_name: str) -> None:
        module = sys.modules.get(module_name)
        if module is None or self._finder is None:
            return
        try:
            for owner, name, replacement in PATCHERS[module_name](self, module):
                current = _current(owner, name)
                if current is None or getattr(current, _MARK, False):
                    continue
                setattr(replacement, _MARK, True)
                self._originals[(id(owner), name)] = (owner, name, current)
                setattr(owner, name, replacement)
        except Exception as error:  # noqa: BLE001 - never break the user's import
            from .messages import describe_error

            problem = describe_error(error)
            print(f"jupyter-seed: cannot seed tasks of {module_name}: {problem}", file=sys.stderr)

    # --------------------------------------------------------- submissions
    def submission(self) -> tuple[int, str, int] | None:
        """``(seed, deterministic mode, submission number)`` for the next submission, or ``None`` when off."""
        seeder = self.seeder
        seed = seeder.applied_seed
        if seed is None or not seeder.processes or getattr(self._inside_map, "active", False):
            return None
        return seed, seeder.deterministic, seeder.next_submission()


# ------------------------------------------------------------------ patchers
def _patch_pool(seeding: ProcessSeeding, module: Any) -> list[tuple[Any, str, Any]]:
    pool_class, thread_pool = module.Pool, module.ThreadPool

    def over_items(original: Any, star: bool) -> Any:
        @functools.wraps(original)
        def method(self: Any, func: Any, iterable: Any, *args: Any, **kwargs: Any) -> Any:
            task = None if isinstance(self, thread_pool) else seeding.submission()
            if task is None:
                return original(self, func, iterable, *args, **kwargs)
            if star:
                starred = ((i, *each) for i, each in enumerate(iterable))
                return original(self, SeededStar(func, *task), starred, *args, **kwargs)
            return original(self, SeededItem(func, *task), enumerate(iterable), *args, **kwargs)

        return method

    original_apply = pool_class.__dict__["apply_async"]

    @functools.wraps(original_apply)
    def apply_async(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        task = None if isinstance(self, thread_pool) else seeding.submission()
        return original_apply(self, func if task is None else SeededCall(func, *task), *args, **kwargs)

    patches: list[tuple[Any, str, Any]] = [(pool_class, "apply_async", apply_async)]
    for name in ("map", "map_async", "imap", "imap_unordered", "starmap", "starmap_async"):
        patches.append((pool_class, name, over_items(pool_class.__dict__[name], name.startswith("starmap"))))
    return patches


def _patch_executor(seeding: ProcessSeeding, module: Any) -> list[tuple[Any, str, Any]]:
    executor = module.ProcessPoolExecutor
    original_submit, original_map = executor.__dict__["submit"], executor.__dict__["map"]
    inside = seeding._inside_map

    @functools.wraps(original_submit)
    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        task = seeding.submission()
        return original_submit(self, fn if task is None else SeededCall(fn, *task), *args, **kwargs)

    @functools.wraps(original_map)
    def map(self: Any, fn: Any, *iterables: Any, **kwargs: Any) -> Any:
        task = seeding.submission()
        if task is None or not iterables:
            return original_map(self, fn, *iterables, **kwargs)
        inside.active = True  # map submits chunks through submit: they are not submissions of their own
        try:
            return original_map(self, SeededStar(fn, *task), _count(), *iterables, **kwargs)
        finally:
            inside.active = False

    return [(executor, "submit", submit), (executor, "map", map)]


def _count() -> Any:
    import itertools

    return itertools.count()


def _patch_joblib(seeding: ProcessSeeding, module: Any) -> list[tuple[Any, str, Any]]:
    parallel = module.Parallel
    original = parallel.__dict__["__call__"]

    @functools.wraps(original)
    def __call__(self: Any, iterable: Any) -> Any:
        backend = getattr(self, "_backend", None)
        task = None if getattr(backend, "uses_threads", False) else seeding.submission()
        if task is None:
            return original(self, iterable)
        seed, mode, number = task
        tasks = (
            (SeededCall(function, seed, mode, number, index), args, kwargs)
            for index, (function, args, kwargs) in enumerate(iterable)
        )
        return original(self, list(tasks) if hasattr(iterable, "__len__") else tasks)

    return [(parallel, "__call__", __call__)]


def _patch_process(seeding: ProcessSeeding, module: Any) -> list[tuple[Any, str, Any]]:
    process_class = module.BaseProcess
    original = process_class.__dict__["start"]

    @functools.wraps(original)
    def start(self: Any) -> Any:
        target = getattr(self, "_target", None)
        internal = target is None or str(getattr(target, "__module__", "")).startswith(_INTERNAL_TARGETS)
        task = None if internal else seeding.submission()
        if task is None or target is None:
            return original(self)
        self._target = SeededCall(target, *task)
        try:
            return original(self)
        finally:
            self._target = target  # the parent's object is as it was; the child got the wrapper

    return [(process_class, "start", start)]


def _patch_torch_spawn(seeding: ProcessSeeding, module: Any) -> list[tuple[Any, str, Any]]:
    # spawn() calls start_processes through its module; the package re-exports both names.
    return [(module, "start_processes", _seeded_ranks(seeding, module.__dict__["start_processes"]))]


def _patch_torch_package(seeding: ProcessSeeding, module: Any) -> list[tuple[Any, str, Any]]:
    original = module.__dict__.get("start_processes")
    return [] if original is None else [(module, "start_processes", _seeded_ranks(seeding, original))]


def _seeded_ranks(seeding: ProcessSeeding, original: Any) -> Any:
    @functools.wraps(original)
    def start_processes(fn: Any, *args: Any, **kwargs: Any) -> Any:
        seeder = seeding.seeder
        seed = seeder.applied_seed
        if seed is not None and seeder.processes and not isinstance(fn, SeededRank):
            fn = SeededRank(fn, seed, seeder.deterministic, 0)
        return original(fn, *args, **kwargs)

    return start_processes


def _current(owner: Any, name: str) -> Any:
    return owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)


PATCHERS: dict[str, Patcher] = {
    "multiprocessing.pool": _patch_pool,
    "multiprocessing.process": _patch_process,
    "concurrent.futures.process": _patch_executor,
    "joblib.parallel": _patch_joblib,
    "torch.multiprocessing.spawn": _patch_torch_spawn,
    "torch.multiprocessing": _patch_torch_package,
}

_followers: dict[int, ProcessSeeding] = {}


def follow(seeder: Seeder) -> ProcessSeeding:
    """Make ``seeder``'s configuration reach the processes started from now on (idempotent)."""
    seeding = _followers.get(id(seeder))
    if seeding is None or seeding.seeder is not seeder:
        seeding = _followers[id(seeder)] = ProcessSeeding(seeder)
        seeder.add_listener(seeding.sync)
    return seeding
