"""Seed sweeps: run a function (or a cell) once per seed and show how much the result depends on it.

``sweep(fn, seeds, executor=...)`` hands one task per seed to any
``concurrent.futures.Executor`` (a process pool, Dask's ``Client.get_executor()``,
ipyparallel). The task seeds the process it lands in (:func:`run_seed`), so a
seed's metrics do not depend on the order, the worker or the executor. Heavy
packages (tqdm, matplotlib, pandas, cloudpickle) are imported only when used.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..seeding.seeds import MAX_SEED, validate_seed

if TYPE_CHECKING:
    from concurrent.futures import Executor

MAX_SWEEP_SEEDS = 100_000
"""A larger sweep is almost always a typo (``0:4294967295``); split it up on purpose."""

SCALAR_METRIC = "value"
"""The metric's name when ``fn`` returns a plain number."""


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


# ------------------------------------------------------------------- metrics
def as_metrics(value: object) -> dict[str, float]:
    """A number, or a dict of numbers, as ``{name: float}``; anything else raises ``TypeError``."""
    if isinstance(value, Mapping):
        if not value:
            raise TypeError("the metric dict is empty")
        return {str(key): _as_number(item, f"metric {key!r}") for key, item in value.items()}
    return {SCALAR_METRIC: _as_number(value, "the metric")}


def _as_number(value: object, what: str) -> float:
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a number or a dict of numbers, got {type(value).__name__} {value!r}")
    item = getattr(value, "item", None)  # numpy scalars, 0-d arrays, one-element tensors
    try:
        return float(item() if callable(item) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{what} must be a number or a dict of numbers, got {type(value).__name__}") from None


# ------------------------------------------------------------------ one seed
@dataclass(frozen=True)
class SeedRun:
    """One seed's outcome: its metrics, or the error that stopped it."""

    seed: int
    metrics: dict[str, float] | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


def run_seed(fn: Callable[..., Any], seed: int, pass_seed: bool, deterministic: str = "off") -> SeedRun:
    """Seed this process with ``seed``, call ``fn``, and restore every random source's state.

    Module-level so every executor can ship it; it runs wherever the task lands.
    """
    from ..seeding.seeder import get_seeder

    seeder = get_seeder()
    start = time.perf_counter()
    try:
        if deterministic != "off" and seeder.deterministic != deterministic:
            seeder.set_deterministic(deterministic)
        with seeder.seeded(seed):
            value = fn(seed) if pass_seed else fn()
        metrics = as_metrics(value)
    except Exception as error:  # noqa: BLE001 - a failing seed is a result, not the end of the sweep
        return SeedRun(seed, None, f"{type(error).__name__}: {error}", time.perf_counter() - start)
    return SeedRun(seed, metrics, None, time.perf_counter() - start)


def _run_pickled(payload: bytes, seed: int, pass_seed: bool, deterministic: str) -> SeedRun:
    import pickle

    try:
        fn = pickle.loads(payload)
    except Exception as error:  # noqa: BLE001
        return SeedRun(seed, None, f"could not unpickle the function in the worker: {error}", 0.0)
    return run_seed(fn, seed, pass_seed, deterministic)


def _takes_seed(fn: Callable[..., Any]) -> bool:
    """``fn(seed)`` when ``fn`` has a required positional parameter, else ``fn()``."""
    import inspect

    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    return any(
        parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        and parameter.default is parameter.empty
        for parameter in signature.parameters.values()
    )


# ------------------------------------------------------------------- sweep
def sweep(
    fn: Callable[..., Any],
    seeds: str | Iterable[int],
    *,
    executor: Executor | None = None,
    higher_is_better: bool | Mapping[str, bool] = True,
    progress: bool = True,
) -> SweepResult:
    """Run ``fn`` once per seed and collect its metric (a number or a dict of numbers).

    ``fn`` is called as ``fn(seed)`` when it takes a positional argument, else ``fn()``;
    every random source is seeded with the seed first, in the process that runs it.
    ``executor``: any ``concurrent.futures.Executor``; ``None`` runs here, one seed
    after the other. A seed that raises is recorded as failed; the sweep goes on.
    ``higher_is_better`` picks the best and worst seeds: a bool for every metric, or
    ``{"loss": False}`` per metric (unnamed metrics: higher is better).
    """
    if not callable(fn):
        raise TypeError(f"sweep() needs a callable, got {type(fn).__name__}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
    thread_pool = sys.modules.get("concurrent.futures.thread")
    if thread_pool is not None and isinstance(executor, thread_pool.ThreadPoolExecutor):
        # Seeds would race on the one process-wide random state that every thread shares.
        raise ValueError(
            "a ThreadPoolExecutor shares one random state between seeds; use a process pool or Dask"
        )
    seed_list = parse_seeds(seeds)
    pass_seed = _takes_seed(fn)
    from ..seeding.seeder import get_seeder

    deterministic = get_seeder().deterministic
    runs: list[SeedRun]
    if executor is None:
        runs = [run_seed(fn, seed, pass_seed, deterministic) for seed in _progress(seed_list, progress)]
    else:
        runs = _sweep_on(executor, fn, seed_list, pass_seed, deterministic, progress)
    return SweepResult(runs, higher_is_better=higher_is_better)


def _sweep_on(
    executor: Executor,
    fn: Callable[..., Any],
    seeds: list[int],
    pass_seed: bool,
    deterministic: str,
    progress: bool,
) -> list[SeedRun]:
    from concurrent.futures import as_completed

    try:
        import cloudpickle  # ships functions defined in a notebook (__main__) by value
    except ImportError:
        cloudpickle = None
    if cloudpickle is not None:
        try:
            payload = cloudpickle.dumps(fn)
        except Exception as error:  # noqa: BLE001
            raise TypeError(f"cannot send {fn!r} to the executor's workers: {error}") from None
        futures = {
            executor.submit(_run_pickled, payload, seed, pass_seed, deterministic): seed for seed in seeds
        }
    else:
        futures = {executor.submit(run_seed, fn, seed, pass_seed, deterministic): seed for seed in seeds}
    done: dict[int, SeedRun] = {}
    for future in _progress(as_completed(futures), progress, total=len(seeds)):
        seed = futures[future]
        try:
            done[seed] = future.result()
        except Exception as error:  # noqa: BLE001 - a lost worker fails its seeds, not the sweep
            done[seed] = SeedRun(seed, None, f"{type(error).__name__}: {error}", 0.0)
    return [done[seed] for seed in seeds]


def _progress(items: Iterable[Any], enabled: bool, total: int | None = None) -> Iterable[Any]:
    if not enabled:
        return items
    from importlib.util import find_spec

    if find_spec("tqdm") is None:
        return items
    if find_spec("ipywidgets") is None:
        # tqdm.auto would warn "IProgress not found" in every notebook sweep, then use this same text bar.
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(items, total=total, desc="seeds", unit="seed", leave=False)


def sweep_cell(
    shell: Any, seeder: Any, cell: str, seeds: list[int], *, higher_is_better: bool = True
) -> SweepResult:
    """``%%seed --sweep``: run the cell once per seed in this kernel, its last expression the metric.

    The names the cell touches are put back before every seed, so each seed's run
    starts from the same namespace; the namespace afterwards is the last seed's.
    Outputs of the runs are not shown; the summary is.
    """
    from .cell_names import analyze_cell
    from .harness import NamespaceSnapshot, run_once

    names = analyze_cell(shell.transform_cell(cell))
    if not names.ends_with_expression:
        raise ValueError(
            "--sweep takes the cell's last expression as the metric; end the cell with one, e.g. `accuracy`"
        )
    namespace = shell.user_ns
    snapshot = NamespaceSnapshot(namespace, set(names.assigned | names.read))
    runs: list[SeedRun] = []
    for index, seed in enumerate(_progress(seeds, True)):
        if index > 0:
            snapshot.restore(namespace)
        start = time.perf_counter()
        record = run_once(shell, cell, seeder.seeded(seed), render_figures=False)
        metrics: dict[str, float] | None = None
        error_text = record.error_text
        if record.error is None:
            try:
                metrics = as_metrics(record.value)
            except Exception as error:  # noqa: BLE001 - recorded as a failed seed
                error_text = f"{type(error).__name__}: {error}"
        runs.append(SeedRun(seed, metrics, error_text, time.perf_counter() - start))
    return SweepResult(runs, higher_is_better=higher_is_better)


# ------------------------------------------------------------------- result
@dataclass(frozen=True)
class MetricSummary:
    name: str
    count: int
    mean: float
    std: float
    min: float
    max: float
    best_seed: int
    worst_seed: int
    non_finite: int

    @property
    def spread(self) -> float:
        return self.max - self.min


class SweepResult:
    """Per-seed results of a sweep; renders as a summary with a histogram in a notebook."""

    def __init__(self, runs: list[SeedRun], *, higher_is_better: bool | Mapping[str, bool] = True) -> None:
        self.runs = list(runs)
        self.higher_is_better = higher_is_better

    def _higher_is_better(self, metric: str) -> bool:
        if isinstance(self.higher_is_better, Mapping):
            return bool(self.higher_is_better.get(metric, True))
        return bool(self.higher_is_better)

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self) -> Iterator[SeedRun]:
        return iter(self.runs)

    @property
    def seeds(self) -> list[int]:
        return [run.seed for run in self.runs]

    @property
    def failed(self) -> list[SeedRun]:
        return [run for run in self.runs if not run.ok]

    @property
    def metric_names(self) -> list[str]:
        names: dict[str, None] = {}
        for run in self.runs:
            for name in run.metrics or {}:
                names.setdefault(name)
        return list(names)

    def metrics(self, name: str | None = None) -> dict[int, float]:
        """``{seed: value}`` of one metric (the only one when ``name`` is omitted), successful seeds only."""
        name = self._metric_name(name)
        return {run.seed: run.metrics[name] for run in self.runs if run.metrics and name in run.metrics}

    def _metric_name(self, name: str | None) -> str:
        names = self.metric_names
        if name is None:
            if not names:
                raise ValueError("no seed produced a metric")
            return names[0]
        if name not in names:
            raise KeyError(f"no metric {name!r}; the sweep has {', '.join(names) or 'none'}")
        return name

    def summary(self) -> list[MetricSummary]:
        import statistics

        summaries = []
        for name in self.metric_names:
            values = self.metrics(name)
            finite = {seed: value for seed, value in values.items() if math.isfinite(value)}
            if not finite:
                continue
            ordered = sorted(finite, key=lambda seed: finite[seed])
            best, worst = (
                (ordered[-1], ordered[0]) if self._higher_is_better(name) else (ordered[0], ordered[-1])
            )
            numbers = list(finite.values())
            summaries.append(
                MetricSummary(
                    name=name,
                    count=len(numbers),
                    mean=statistics.fmean(numbers),
                    std=statistics.stdev(numbers) if len(numbers) > 1 else 0.0,
                    min=min(numbers),
                    max=max(numbers),
                    best_seed=best,
                    worst_seed=worst,
                    non_finite=len(values) - len(finite),
                )
            )
        return summaries

    def to_pandas(self) -> Any:
        """A DataFrame indexed by seed: one column per metric, then ``error`` and ``seconds``."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas (pip install pandas)") from None
        names = self.metric_names
        rows = [
            {
                **{name: (run.metrics or {}).get(name, math.nan) for name in names},
                "error": run.error,
                "seconds": run.seconds,
            }
            for run in self.runs
        ]
        frame = pd.DataFrame(
            rows, index=pd.Index(self.seeds, name="seed"), columns=[*names, "error", "seconds"]
        )
        return frame

    def plot(self, metric: str | None = None, *, bins: int | None = None) -> Any:
        """A histogram of one metric over the seeds (a matplotlib ``Figure``), after Picard (2021)."""
        import statistics

        from matplotlib.figure import Figure

        name = self._metric_name(metric)
        values = [v for v in self.metrics(name).values() if math.isfinite(v)]
        if not values:
            raise ValueError(f"metric {name!r} has no finite values to plot")
        figure = Figure(figsize=(6.4, 3.6), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        bins = bins or max(5, min(60, int(math.sqrt(len(values))) * 2))
        axes.hist(values, bins=bins, color="#4C72B0", edgecolor="white", linewidth=0.5)
        mean = statistics.fmean(values)
        axes.axvline(mean, color="black", linestyle="--", linewidth=1, label=f"mean {mean:.4g}")
        low, high = min(values), max(values)
        axes.axvspan(low, high, color="#DD8452", alpha=0.12, label=f"max - min = {high - low:.4g}")
        axes.set_xlabel(name)
        axes.set_ylabel("number of seeds")
        axes.set_title(f"{name} over {len(values)} seeds")
        axes.legend(frameon=False, fontsize="small")
        axes.spines[["top", "right"]].set_visible(False)
        return figure

    # ---------------------------------------------------------- rendering
    def __repr__(self) -> str:
        return f"<SweepResult: {len(self.runs)} seeds, {len(self.failed)} failed>"

    def __str__(self) -> str:
        lines = [
            (
                f"Sweep over {len(self.runs)} seeds: {len(self.runs) - len(self.failed)} ok, "
                f"{len(self.failed)} failed."
            )
        ]
        for s in self.summary():
            lines.append(
                f"  {s.name}: mean {s.mean:.6g}, std {s.std:.4g}, min {s.min:.6g}, max {s.max:.6g} "
                f"(max - min {s.spread:.4g}); best seed {s.best_seed}, worst seed {s.worst_seed}"
                + (f"; {s.non_finite} not finite" if s.non_finite else "")
            )
        for run in self.failed[:10]:
            lines.append(f"  seed {run.seed} failed: {run.error}")
        if len(self.failed) > 10:
            lines.append(f"  ... and {len(self.failed) - 10} more failed seeds")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        import html

        escape = html.escape

        def arrow(name: str) -> str:
            return "&#8593;" if self._higher_is_better(name) else "&#8595;"  # which way is better

        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(s.name)} {arrow(s.name)}</th><td>{s.count}</td>"
            f"<td>{s.mean:.6g}</td>"
            f"<td>{s.std:.4g}</td><td>{s.min:.6g}</td><td>{s.max:.6g}</td><td>{s.spread:.4g}</td>"
            f"<td>{s.best_seed}</td><td>{s.worst_seed}</td></tr>"
            for s in self.summary()
        )
        parts = [
            (
                f"<div><p><b>Sweep over {len(self.runs)} seeds</b>: {len(self.runs) - len(self.failed)} ok, "
                f"{len(self.failed)} failed.</p>"
            ),
            (
                "<table><thead><tr><th>metric</th><th>n</th><th>mean</th><th>std</th><th>min</th><th>max</th>"
                f"<th>max&#8722;min</th><th>best seed</th><th>worst seed</th></tr></thead><tbody>{rows}</tbody></table>"
            ),
        ]
        for name in self.metric_names:
            image = self._png(name)
            if image:
                parts.append(f"<img alt='histogram of {escape(name)}' src='data:image/png;base64,{image}'/>")
        if self.failed:
            items = "".join(f"<li>seed {run.seed}: {escape(str(run.error))}</li>" for run in self.failed[:50])
            parts.append(
                f"<details open><summary>{len(self.failed)} failed seeds</summary><ul>{items}</ul></details>"
            )

        def outcome(run: SeedRun) -> str:
            return ", ".join(f"{k}={v:.6g}" for k, v in (run.metrics or {}).items()) or str(run.error)

        per_seed = "".join(
            f"<tr><td>{run.seed}</td><td>{escape(outcome(run))}</td><td>{run.seconds:.3g}</td></tr>"
            for run in self.runs[:1000]
        )
        parts.append(
            "<details><summary>per seed</summary><table><thead><tr><th>seed</th><th>result</th>"
            f"<th>seconds</th></tr></thead><tbody>{per_seed}</tbody></table></details></div>"
        )
        return "".join(parts)

    def _png(self, name: str) -> str | None:
        import base64
        import io

        try:
            figure = self.plot(name)
        except (ImportError, ValueError):
            return None
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return base64.b64encode(buffer.getvalue()).decode("ascii")
