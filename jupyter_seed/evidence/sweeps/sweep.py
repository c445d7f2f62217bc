"""Seed sweeps: run a function (or a cell) once per seed and show how much the result depends on it.

``sweep(fn, seeds, executor=...)`` hands one task per seed to any
``concurrent.futures.Executor`` (a process pool, Dask's ``Client.get_executor()``,
ipyparallel's ``view.executor``) through :mod:`.engine`; ``save="run.jsonl"``
records each seed as it finishes and resumes from it (:mod:`.store`). Heavy
packages (tqdm, matplotlib, pandas, cloudpickle, scipy) are imported only when used.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...seeding.errors import describe_error
from ...seeding.seeds import MAX_SEED, validate_seed
from . import stats
from .engine import (
    SCALAR_METRIC,
    SeedRun,
    Task,
    as_metrics,
    check_executor,
    execute_saving,
    progress_bar,
    run_seed,
)
from .result import MetricSummary, SweepResult

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from .store import SweepStore

__all__ = [
    "MAX_SWEEP_SEEDS",
    "SCALAR_METRIC",
    "MetricSummary",
    "SeedRun",
    "SweepResult",
    "as_metrics",
    "parse_seeds",
    "run_seed",
    "sweep",
    "sweep_cell",
]

MAX_SWEEP_SEEDS = 100_000
"""A larger sweep is almost always a typo (``0:4294967295``); split it up on purpose."""


# -------------------------------------------------------------------- seeds
def parse_seeds(spec: str | Iterable[int]) -> list[int]:
    """``"0:100"`` (stop excluded), ``"0:100:5"``, ``"1,7,3407"`` or a mix (``"1,10:20"``); or ints.

    Raises ``ValueError`` with one line naming the bad part (``TypeError`` for a non-iterable).
    """
    if isinstance(spec, str):
        seeds: list[int] = []
        parts = [part.strip() for part in spec.split(",")]
        if not spec.strip() or any(not part for part in parts):
            raise ValueError(
                f"seeds {spec!r}: expected START:STOP[:STEP] or N,N,... e.g. '0:100' or '1,7,3407'"
            )
        for part in parts:
            seeds.extend(_parse_part(part, spec))
            if len(seeds) > MAX_SWEEP_SEEDS:
                break
    else:
        if isinstance(spec, (bytes, Mapping)) or not isinstance(spec, Iterable):
            raise TypeError(f"seeds must be a spec string or an iterable of ints, got {type(spec).__name__}")
        seeds = []
        for item in spec:
            try:
                seeds.append(validate_seed(item))
            except (TypeError, ValueError) as error:
                raise ValueError(str(error)) from None
            if len(seeds) > MAX_SWEEP_SEEDS:
                break
    if not seeds:
        raise ValueError("no seeds to sweep")
    if len(seeds) > MAX_SWEEP_SEEDS:
        raise ValueError(f"more than {MAX_SWEEP_SEEDS} seeds; sweep fewer at a time")
    seen: set[int] = set()
    for seed in seeds:
        if seed in seen:
            raise ValueError(f"seed {seed} appears twice in the sweep")
        seen.add(seed)
    return seeds


def _parse_part(part: str, spec: str) -> range | list[int]:
    pieces = part.split(":")
    if len(pieces) > 3:
        raise ValueError(f"seeds {spec!r}: {part!r} has too many ':' (START:STOP[:STEP])")
    try:
        numbers = [int(piece.strip(), 10) for piece in pieces]
    except ValueError:
        raise ValueError(f"seeds {spec!r}: {part!r} is not an integer or START:STOP[:STEP]") from None
    if len(numbers) == 1:
        try:
            return [validate_seed(numbers[0])]
        except ValueError as error:
            raise ValueError(f"seeds {spec!r}: {error}") from None
    start, stop = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else 1
    if step <= 0:
        raise ValueError(f"seeds {spec!r}: step must be positive, got {step}")
    if not 0 <= start < stop <= MAX_SEED + 1:
        raise ValueError(f"seeds {spec!r}: need 0 <= START < STOP <= {MAX_SEED + 1}, got {start}:{stop}")
    if (stop - start + step - 1) // step > MAX_SWEEP_SEEDS:
        raise ValueError(f"seeds {spec!r}: more than {MAX_SWEEP_SEEDS} seeds; sweep fewer at a time")
    return range(start, stop, step)


# ------------------------------------------------------------------- sweep
def sweep(
    fn: Callable[..., Any],
    seeds: str | Iterable[int],
    *,
    executor: Executor | None = None,
    higher_is_better: bool | Mapping[str, bool] = True,
    progress: bool = True,
    save: str | os.PathLike[str] | None = None,
    bootstrap_seed: int = stats.DEFAULT_BOOTSTRAP_SEED,
    rank_seed: int | None = None,
) -> SweepResult:
    """Run ``fn`` once per seed and collect its metric (a number or a dict of numbers).

    ``fn`` is called as ``fn(seed)`` when it takes a positional argument, else ``fn()``;
    every random source is seeded with the seed first, in the process that runs it.
    ``executor``: any ``concurrent.futures.Executor``; ``None`` runs here, one seed
    after the other. A seed that raises is recorded as failed; the sweep goes on.
    Ctrl-C or a broken executor stops it: unstarted seeds are cancelled and the
    result so far is returned with ``interrupted`` set.
    ``higher_is_better`` picks the best and worst seeds: a bool for every metric, or
    ``{"loss": False}`` per metric (unnamed metrics: higher is better).
    ``save``: a JSON-lines file written as seeds finish; run again with the same file
    and only the seeds without a result run (the same code only).
    ``bootstrap_seed`` seeds the resampling behind the confidence intervals.
    ``rank_seed``: a seed whose rank the summary reports ("seed 3407 ranks 2nd of 100: ...").
    """
    if not callable(fn):
        raise TypeError(f"sweep() needs a callable, got {type(fn).__name__}")
    check_executor(executor)
    seed_list = parse_seeds(seeds)
    store = open_store(save, {None: fn})
    done = _saved(store, None, seed_list)
    tasks = [Task(None, seed, fn) for seed in seed_list if seed not in done]
    outcome = execute_saving(tasks, executor=executor, store=store, progress=progress, already_done=len(done))
    found = {**done, **{seed: run for (_, seed), run in outcome.runs.items()}}
    return SweepResult(
        [found[seed] for seed in seed_list if seed in found],
        higher_is_better=higher_is_better,
        interrupted=outcome.interrupted,
        not_run=[seed for seed in seed_list if seed not in found],
        resumed=len(done),
        bootstrap_seed=bootstrap_seed,
        rank_seed=rank_seed,
    )


def open_store(
    save: str | os.PathLike[str] | None, functions: Mapping[str | None, Callable[..., Any] | str]
) -> SweepStore | None:
    """The store behind ``save=``, bound to each variant's code (a function, or a cell's source)."""
    if save is None:
        return None
    from .store import SweepStore, code_identity, text_identity

    store = SweepStore(save)
    identities = {
        variant: ("the cell", text_identity(code))
        if isinstance(code, str)
        else (getattr(code, "__qualname__", type(code).__name__), code_identity(code))
        for variant, code in functions.items()
    }
    for variant, (_, identity) in identities.items():  # every variant checked before the file changes
        store.check(variant, identity)
    for variant, (name, identity) in identities.items():
        store.claim(variant, name, identity)
    return store


def _saved(store: SweepStore | None, variant: str | None, seeds: list[int]) -> dict[int, SeedRun]:
    if store is None:
        return {}
    wanted = set(seeds)
    return {seed: run for seed, run in store.done(variant).items() if seed in wanted}


def sweep_cell(
    shell: Any,
    seeder: Any,
    cell: str,
    seeds: list[int],
    *,
    higher_is_better: bool = True,
    save: str | os.PathLike[str] | None = None,
    progress: bool = True,
    rank_seed: int | None = None,
) -> SweepResult:
    """``%%seed --sweep``: run the cell once per seed in this kernel, its last expression the metric.

    The names the cell touches are put back before every seed, so each seed's run
    starts from the same namespace; the namespace afterwards is the last seed's
    (or, after Ctrl-C, the one before the sweep). Outputs of the runs are not shown;
    the summary is. ``save``: as for :func:`sweep`, the cell's source is the code.
    ``rank_seed``: a seed whose rank the summary reports (the magic passes the kernel's seed).
    """
    from ..cell_names import analyze_cell
    from ..harness import NamespaceSnapshot, run_once

    source = shell.transform_cell(cell)
    names = analyze_cell(source)
    if not names.ends_with_expression:
        raise ValueError(
            "--sweep takes the cell's last expression as the metric; end the cell with one, e.g. `accuracy`"
        )
    store = open_store(save, {None: source})
    done = _saved(store, None, seeds)
    namespace = shell.user_ns
    snapshot = NamespaceSnapshot(namespace, set(names.assigned | names.read))
    found: dict[int, SeedRun] = dict(done)
    interrupted: str | None = None
    bar = progress_bar(progress, total=len(seeds), initial=len(done))
    try:
        for index, seed in enumerate(seed for seed in seeds if seed not in done):
            if index > 0:
                snapshot.restore(namespace)
            start = time.perf_counter()
            try:
                record = run_once(shell, cell, seeder.seeded(seed), render_figures=False)
            except KeyboardInterrupt:
                interrupted = "interrupted (KeyboardInterrupt)"
                snapshot.restore(namespace)
                break
            found[seed] = _cell_run(seed, record, time.perf_counter() - start)
            if store is not None:
                store.save(None, found[seed])
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return SweepResult(
        [found[seed] for seed in seeds if seed in found],
        higher_is_better=higher_is_better,
        interrupted=interrupted,
        not_run=[seed for seed in seeds if seed not in found],
        resumed=len(done),
        rank_seed=rank_seed,
    )


def _cell_run(seed: int, record: Any, seconds: float) -> SeedRun:
    if record.error is not None:
        return SeedRun(seed, None, describe_error(record.error), seconds)
    try:
        return SeedRun(seed, as_metrics(record.value), None, seconds)
    except (TypeError, ValueError) as error:  # recorded as a failed seed
        return SeedRun(seed, None, describe_error(error), seconds)
