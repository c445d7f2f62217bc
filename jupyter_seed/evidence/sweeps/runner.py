"""One runner for sweeps and comparisons: a sweep is a comparison with one variant.

It opens the store (bound to each variant's code identity), keeps the saved runs,
runs every missing ``(variant, seed)`` seed by seed through the engine (which
records, saves and shows progress), and hands back what it found.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .engine import SeedRun, Task, execute_saving
from .identity import Identity, code_identity
from .result import SweepResult
from .store import open_store, saved_runs

if TYPE_CHECKING:
    from concurrent.futures import Executor


@dataclass(frozen=True)
class Runs:
    """Every run found for each variant, saved or new, and why the run stopped early, if it did."""

    seeds: list[int]
    found: dict[tuple[str | None, int], SeedRun]
    resumed: dict[str | None, int]
    interrupted: str | None

    def result(self, variant: str | None, **options: Any) -> SweepResult:
        """One variant's runs, in the order of ``seeds``, as a :class:`SweepResult`."""
        return SweepResult(
            [self.found[(variant, seed)] for seed in self.seeds if (variant, seed) in self.found],
            interrupted=self.interrupted,
            not_run=[seed for seed in self.seeds if (variant, seed) not in self.found],
            resumed=self.resumed.get(variant, 0),
            **options,
        )


def identify(fn: Callable[..., Any]) -> tuple[str, Identity]:
    """The name a store records for ``fn``, and its code identity."""
    return getattr(fn, "__qualname__", type(fn).__name__), code_identity(fn)


def run_variants(
    functions: Mapping[str | None, Callable[..., Any]],
    seeds: list[int],
    *,
    executor: Executor | None,
    save: str | os.PathLike[str] | None,
    progress: bool,
    identities: Mapping[str | None, tuple[str, Identity]] | None = None,
) -> Runs:
    """Run every variant under every seed not saved yet; seed by seed, so a stop leaves complete pairs.

    ``identities``: what guards the store for each variant (default: each function's code identity).
    """
    store = open_store(
        save, identities if identities is not None else {v: identify(f) for v, f in functions.items()}
    )
    done = saved_runs(store, functions, seeds)
    tasks = [
        Task(variant, seed, fn)
        for seed in seeds
        for variant, fn in functions.items()
        if (variant, seed) not in done
    ]
    outcome = execute_saving(tasks, executor=executor, store=store, progress=progress, already_done=len(done))
    resumed = {variant: sum(1 for key in done if key[0] == variant) for variant in functions}
    return Runs(list(seeds), {**done, **outcome.runs}, resumed, outcome.interrupted)
