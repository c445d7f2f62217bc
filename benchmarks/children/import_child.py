"""Import-section child: import one framework in a fresh process, plain or after ``seed_everything``.

    python benchmarks/children/import_child.py FRAMEWORK plain|hook|instrumented

``instrumented`` also times what runs inside our meta-path finder and in the post-import
seeding callback: the seeder's finder gives way, in its place on ``sys.meta_path``, to a timing
finder with the same watched modules and the same callback. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from typing import Any

import numpy  # noqa: F401

import jupyter_seed  # in every variant, so the stdlib modules it pulls in are loaded in all
from jupyter_seed.seeding.import_hook import PostImportFinder
from jupyter_seed.seeding.seeder import get_seeder

SPENT_NS = {"find_spec": 0, "callback": 0}


def timed_finder(watched: list[str], callback: Callable[[str], None]) -> PostImportFinder:
    """A finder like the seeder's whose ``find_spec`` and callback add up the time spent in them."""
    finder = PostImportFinder(watched, timed(callback))

    # An instance attribute calling the bound method from a default: the least the timing can add.
    def timed_find_spec(*args: Any, _find_spec: Callable[..., ModuleSpec | None] = finder.find_spec) -> Any:
        started = time.perf_counter_ns()
        try:
            return _find_spec(*args)
        finally:
            SPENT_NS["find_spec"] += time.perf_counter_ns() - started

    finder.find_spec = timed_find_spec  # type: ignore[method-assign, assignment]
    return finder


def timed(callback: Callable[[str], None]) -> Callable[[str], None]:
    def timed_callback(name: str) -> None:
        started = time.perf_counter_ns()
        try:
            callback(name)
        finally:
            SPENT_NS["callback"] += time.perf_counter_ns() - started

    return timed_callback


def main() -> None:
    framework, variant = sys.argv[1], sys.argv[2]
    seeder = get_seeder()
    if variant != "plain":
        jupyter_seed.seed_everything(3407)
        if variant == "instrumented":
            hook = seeder.import_hook
            assert hook is not None, "seed_everything installs the import hook"
            # In the hook's own place: where it stands among the other finders decides what it times.
            sys.meta_path[sys.meta_path.index(hook)] = timed_finder(sorted(hook.watched), hook.callback)
    start = time.perf_counter()
    __import__(framework)
    elapsed = (time.perf_counter() - start) * 1e3
    seeded = None if variant == "plain" else framework in seeder.seeded_with
    extra = {key: ns / 1e6 for key, ns in SPENT_NS.items()} if variant == "instrumented" else {}
    print(json.dumps({"ms": elapsed, "seeded": seeded, **extra}))


if __name__ == "__main__":
    main()
