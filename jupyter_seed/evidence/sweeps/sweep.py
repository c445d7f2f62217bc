"""Seed sweeps: run a function (or a cell) once per seed and show how much the result depends on it.

``sweep(fn, seeds, executor=...)`` hands one task per seed to any
``concurrent.futures.Executor`` (a process pool, Dask's ``Client.get_executor()``,
ipyparallel's ``view.executor``) through :mod:`.engine`; ``save="run.jsonl"``
records each seed as it finishes and resumes from it (:mod:`.store`). Heavy
packages (tqdm, matplotlib, pandas, cloudpickle, scipy) are imported only when used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import stats
from .engine import SCALAR_METRIC, SeedRun, as_metrics, check_executor, run_seed
from .result import MetricSummary, SweepResult
from .runner import run_variants
from .store import parse_seeds

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = [
    "SCALAR_METRIC",
    "MetricSummary",
    "SeedRun",
    "SweepResult",
    "as_metrics",
    "run_seed",
    "sweep",
    "sweep_cell",
]


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
    runs = run_variants({None: fn}, parse_seeds(seeds), executor=executor, save=save, progress=progress)
    return runs.result(
        None, higher_is_better=higher_is_better, bootstrap_seed=bootstrap_seed, rank_seed=rank_seed
    )


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
    ``seeder``: the kernel's seeder, the process-wide one the engine seeds every run through.
    Runs go through the engine like a function's (:func:`.runner.run_variants`); the store is
    bound to the cell's source and the values of the names it reads before assigning them.
    """
    from contextlib import nullcontext

    from ..cell_names import analyze_cell
    from ..harness import NamespaceSnapshot, run_once
    from .identity import cell_identity

    source = shell.transform_cell(cell)
    names = analyze_cell(source)
    if not names.ends_with_expression:
        raise ValueError(
            "--sweep takes the cell's last expression as the metric; end the cell with one, e.g. `accuracy`"
        )
    namespace = shell.user_ns
    free = (names.read - names.assigned) | names.read_before_assigned  # what the cell reads from before it
    identity = cell_identity(source, namespace, free)
    snapshot = NamespaceSnapshot(namespace, set(names.assigned | names.read))
    started = [False]

    def run_cell() -> Any:  # the engine seeds around it and records its value or its error
        if started[0]:
            snapshot.restore(namespace)  # every seed starts from the namespace before the sweep
        started[0] = True
        record = run_once(shell, cell, nullcontext(), render_figures=False)
        if record.error is not None:
            raise record.error
        return record.value

    runs = run_variants(
        {None: run_cell},
        seeds,
        executor=None,
        save=save,
        progress=progress,
        identities={None: ("the cell", identity)},
    )
    if runs.interrupted is not None:
        snapshot.restore(namespace)
    return runs.result(None, higher_is_better=higher_is_better, rank_seed=rank_seed)
