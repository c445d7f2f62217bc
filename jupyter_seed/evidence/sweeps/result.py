"""What a sweep found: per-seed runs and honest summaries (data only; views render it)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import stats
from .engine import SeedRun
from .rendering import Rendered


@dataclass(frozen=True)
class MetricSummary:
    """One metric over the seeds. ``count == 0``: no seed gave a finite value (all NaN/inf)."""

    name: str
    count: int
    mean: float
    std: float
    min: float
    max: float
    median: float
    iqm: float
    ci: stats.Interval
    best_seed: int | None
    worst_seed: int | None
    non_finite: int
    non_finite_seeds: tuple[int, ...] = ()
    """The seeds whose value was NaN or infinite, in sweep order (left out of every figure above)."""

    @property
    def spread(self) -> float:
        return self.max - self.min

    @property
    def has_finite_values(self) -> bool:
        return self.count > 0


def summarize(
    name: str,
    values: Mapping[int, float],
    *,
    higher_is_better: bool,
    confidence: float,
    resamples: int,
    bootstrap_seed: int,
) -> MetricSummary:
    """Mean with a bootstrap CI, std, min/max, median, interquartile mean, best and worst seed."""
    finite = {seed: value for seed, value in values.items() if math.isfinite(value)}
    left_out = tuple(seed for seed, value in values.items() if not math.isfinite(value))
    non_finite = len(left_out)
    if not finite:
        nan = math.nan
        interval = stats.Interval(nan, nan, confidence, resamples, bootstrap_seed)
        return MetricSummary(name, 0, nan, nan, nan, nan, nan, nan, interval, None, None, non_finite, left_out)
    numbers = list(finite.values())
    ordered = sorted(finite, key=finite.__getitem__)
    best, worst = (ordered[-1], ordered[0]) if higher_is_better else (ordered[0], ordered[-1])
    return MetricSummary(
        name=name,
        count=len(numbers),
        mean=stats.mean(numbers),
        std=stats.stdev(numbers),
        min=min(numbers),
        max=max(numbers),
        median=stats.median(numbers),
        iqm=stats.interquartile_mean(numbers),
        ci=stats.bootstrap_mean_ci(
            numbers, confidence=confidence, resamples=resamples, bootstrap_seed=bootstrap_seed
        ),
        best_seed=best,
        worst_seed=worst,
        non_finite=non_finite,
        non_finite_seeds=left_out,
    )


class SweepResult(Rendered):
    """Per-seed results of a sweep; renders as a summary with a histogram in a notebook.

    ``rank_seed``: a seed whose rank the summary reports (e.g. the one you would have used).
    ``interrupted``: why the sweep stopped early (Ctrl-C, a broken executor), or ``None``;
    ``not_run``: the seeds that have no result then. ``resumed``: how many results
    came from a saved file rather than from this run.
    """

    def __init__(
        self,
        runs: list[SeedRun],
        *,
        higher_is_better: bool | Mapping[str, bool] = True,
        interrupted: str | None = None,
        not_run: list[int] | None = None,
        resumed: int = 0,
        confidence: float = stats.DEFAULT_CONFIDENCE,
        resamples: int = stats.DEFAULT_RESAMPLES,
        bootstrap_seed: int = stats.DEFAULT_BOOTSTRAP_SEED,
        rank_seed: int | None = None,
    ) -> None:
        self.runs = list(runs)
        self.rank_seed = rank_seed
        self.higher_is_better = higher_is_better
        self.interrupted = interrupted
        self.not_run = list(not_run or [])
        self.resumed = resumed
        self.confidence = confidence
        self.resamples = resamples
        self.bootstrap_seed = bootstrap_seed
        self._summaries: list[MetricSummary] | None = None

    def is_higher_better(self, metric: str) -> bool:
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
        """``{seed: value}`` of one metric (the first when ``name`` is omitted), successful seeds only."""
        name = self.metric_name(name)
        return {run.seed: run.metrics[name] for run in self.runs if run.metrics and name in run.metrics}

    def metric_name(self, name: str | None) -> str:
        names = self.metric_names
        if name is None:
            if not names:
                raise ValueError("no seed produced a metric")
            return names[0]
        if name not in names:
            raise KeyError(f"no metric {name!r}; the sweep has {', '.join(names) or 'none'}")
        return name

    def summary(self) -> list[MetricSummary]:
        """One summary per metric, including metrics with no finite value (``count == 0``)."""
        if self._summaries is None:
            self._summaries = [
                summarize(
                    name,
                    self.metrics(name),
                    higher_is_better=self.is_higher_better(name),
                    confidence=self.confidence,
                    resamples=self.resamples,
                    bootstrap_seed=self.bootstrap_seed,
                )
                for name in self.metric_names
            ]
        return self._summaries

    def rank(self, seed: int, metric: str | None = None) -> stats.SeedRank:
        """Where ``seed`` ranks: ``str(result.rank(3407))`` says how much picking it would mislead."""
        name = self.metric_name(metric)
        return stats.rank_of(
            self.metrics(name), seed, metric=name, higher_is_better=self.is_higher_better(name)
        )

    def ranks(self) -> list[stats.SeedRank]:
        """The rank of ``rank_seed`` in every metric where it has a finite value."""
        if self.rank_seed is None:
            return []
        found = []
        for name in self.metric_names:
            try:
                found.append(self.rank(self.rank_seed, name))
            except ValueError:
                continue
        return found

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
        return pd.DataFrame(
            rows, index=pd.Index(self.seeds, name="seed"), columns=[*names, "error", "seconds"]
        )

    def plot(self, metric: str | None = None, *, bins: int | None = None) -> Any:
        """A histogram of one metric over the seeds (a matplotlib ``Figure``), after Picard (2021)."""
        from ...views.sweep_view import histogram

        return histogram(self, self.metric_name(metric), bins=bins)

    # ------------------------------------------------------------ rendering
    def _brief(self) -> str:
        stopped = ", interrupted" if self.interrupted else ""
        return f"{len(self.runs)} seeds, {len(self.failed)} failed{stopped}"

    def _text(self) -> str:
        from ...views.sweep_view import sweep_text

        return sweep_text(self)

    def _html(self) -> str:
        from ...views.sweep_view import sweep_html

        return sweep_html(self)
