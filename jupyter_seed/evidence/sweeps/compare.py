"""Is B really better than A, or was it the seed? Paired comparisons of variants over the same seeds.

``compare({"baseline": train_a, "new": train_b}, seeds=range(20))`` runs every
variant under every seed (on any executor, like :func:`~.sweeps.sweep`) and
compares each variant with the first one, seed by seed: the paired mean
difference with a bootstrap confidence interval, the share of seeds where the
variant wins, a paired test, and the difference set against each variant's
seed-to-seed spread, in numbers and in one plain sentence.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import stats
from .engine import check_executor
from .rendering import Rendered
from .result import SweepResult
from .runner import run_variants
from .store import parse_seeds

if TYPE_CHECKING:
    from concurrent.futures import Executor


@dataclass(frozen=True)
class PairedComparison:
    """One variant against the baseline on one metric, over the seeds both finished."""

    baseline: str
    variant: str
    metric: str
    higher_is_better: bool
    seeds: tuple[int, ...]
    baseline_values: tuple[float, ...]
    variant_values: tuple[float, ...]
    ci: stats.Interval
    test: stats.TestResult
    seeds_needed: int | None

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def differences(self) -> tuple[float, ...]:
        """``variant - baseline`` per seed (raw units: negative is better when lower is better)."""
        return tuple(b - a for a, b in zip(self.baseline_values, self.variant_values, strict=True))

    @property
    def mean_difference(self) -> float:
        return stats.mean(self.differences) if self.n else math.nan

    def _better(self, difference: float) -> bool:
        return difference > 0 if self.higher_is_better else difference < 0

    @property
    def wins(self) -> int:
        return sum(1 for d in self.differences if self._better(d))

    @property
    def ties(self) -> int:
        return sum(1 for d in self.differences if d == 0)

    @property
    def losses(self) -> int:
        return self.n - self.wins - self.ties

    @property
    def probability_of_improvement(self) -> float:
        """The share of seeds on which the variant beats the baseline."""
        return self.wins / self.n if self.n else math.nan

    @property
    def baseline_std(self) -> float:
        return stats.stdev(self.baseline_values) if self.n > 1 else math.nan

    @property
    def variant_std(self) -> float:
        return stats.stdev(self.variant_values) if self.n > 1 else math.nan

    @property
    def distinguishable(self) -> bool:
        """The confidence interval of the mean difference excludes zero."""
        return self.n > 1 and not self.ci.covers(0.0)

    @property
    def larger_than_spread(self) -> bool:
        return abs(self.mean_difference) > max(self.baseline_std, self.variant_std)

    @property
    def improved(self) -> bool:
        return self.distinguishable and self._better(self.mean_difference)

    def sentence(self) -> str:
        """ "new beats baseline on 17 of 20 seeds; mean +0.41, 95% CI [+0.22, +0.60]; ..." """
        if self.n < 2:
            return f"{self.variant} vs {self.baseline} ({self.metric}): too few common seeds to compare ({self.n})"
        pct = round(100 * self.ci.confidence)
        spread = "larger than the seed spread" if self.larger_than_spread else "smaller than the seed spread"
        parts = [
            f"{self.variant} beats {self.baseline} on {self.wins} of {self.n} seeds",
            f"mean {self.mean_difference:+.3g}, {pct}% CI [{self.ci.low:+.3g}, {self.ci.high:+.3g}]",
            f"{spread} (std {self.baseline_std:.3g} and {self.variant_std:.3g})",
            f"{self.test.name} p = {self.test.p_value:.2g}",
        ]
        if self.distinguishable:
            verdict = "better" if self._better(self.mean_difference) else "worse"
            parts.append(f"beyond seed noise: {self.variant} is {verdict}")
        else:
            if self.seeds_needed is None:
                parts.append("not distinguishable from seed noise: no sign of a difference")
            else:
                parts.append(
                    f"not distinguishable from seed noise: roughly {self.seeds_needed} seeds would be needed to tell"
                )
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.sentence()


def pair(
    baseline: str,
    variant: str,
    metric: str,
    a: Mapping[int, float],
    b: Mapping[int, float],
    *,
    higher_is_better: bool,
    confidence: float = stats.DEFAULT_CONFIDENCE,
    resamples: int = stats.DEFAULT_RESAMPLES,
    bootstrap_seed: int = stats.DEFAULT_BOOTSTRAP_SEED,
) -> PairedComparison:
    """Compare ``b`` with ``a`` on the seeds where both have a finite value, in ``a``'s seed order."""
    seeds = tuple(s for s in a if s in b and math.isfinite(a[s]) and math.isfinite(b[s]))
    base = tuple(a[s] for s in seeds)
    other = tuple(b[s] for s in seeds)
    differences = [y - x for x, y in zip(base, other, strict=True)]
    return PairedComparison(
        baseline=baseline,
        variant=variant,
        metric=metric,
        higher_is_better=higher_is_better,
        seeds=seeds,
        baseline_values=base,
        variant_values=other,
        ci=stats.bootstrap_mean_ci(
            differences, confidence=confidence, resamples=resamples, bootstrap_seed=bootstrap_seed
        ),
        test=stats.paired_test(differences)
        if len(differences) > 1
        else stats.TestResult("none", math.nan, math.nan),
        seeds_needed=stats.seeds_needed(differences, confidence=confidence),
    )


class ComparisonResult(Rendered):
    """The sweeps of every variant and each variant's comparison with the first (the baseline)."""

    def __init__(
        self,
        sweeps: Mapping[str, SweepResult],
        *,
        metric: str | None = None,
        higher_is_better: bool | Mapping[str, bool] = True,
        confidence: float = stats.DEFAULT_CONFIDENCE,
        resamples: int = stats.DEFAULT_RESAMPLES,
        bootstrap_seed: int = stats.DEFAULT_BOOTSTRAP_SEED,
        interrupted: str | None = None,
    ) -> None:
        if len(sweeps) < 2:
            raise ValueError(f"a comparison needs at least two variants, got {len(sweeps)}")
        self.sweeps = dict(sweeps)
        self.variants = list(self.sweeps)
        self.baseline = self.variants[0]
        self.higher_is_better = higher_is_better
        self.bootstrap_seed = bootstrap_seed
        self.resamples = resamples
        self.confidence = confidence
        self.interrupted = interrupted
        base = self.sweeps[self.baseline]
        names = [metric] if metric is not None else base.metric_names
        self.comparisons: list[PairedComparison] = []
        for variant in self.variants[1:]:
            other = self.sweeps[variant]
            for name in names:
                if name not in base.metric_names or name not in other.metric_names:
                    if metric is not None:
                        raise KeyError(f"metric {name!r} is missing from {self.baseline!r} or {variant!r}")
                    continue
                self.comparisons.append(
                    pair(
                        self.baseline,
                        variant,
                        name,
                        base.metrics(name),
                        other.metrics(name),
                        higher_is_better=self.is_higher_better(name),
                        confidence=confidence,
                        resamples=resamples,
                        bootstrap_seed=bootstrap_seed,
                    )
                )

    def is_higher_better(self, metric: str) -> bool:
        if isinstance(self.higher_is_better, Mapping):
            return bool(self.higher_is_better.get(metric, True))
        return bool(self.higher_is_better)

    def comparison(self, variant: str | None = None, metric: str | None = None) -> PairedComparison:
        """The comparison of ``variant`` (default: the second one) on ``metric`` (default: the first)."""
        for found in self.comparisons:
            if (variant is None or found.variant == variant) and (metric is None or found.metric == metric):
                return found
        raise KeyError(f"no comparison for variant {variant!r}, metric {metric!r}")

    def to_pandas(self) -> Any:
        """Per-seed values: one row per seed, columns ``(variant, metric)``."""
        import pandas as pd

        frames = {variant: result.to_pandas() for variant, result in self.sweeps.items()}
        return pd.concat(frames, axis=1, names=["variant", "column"])

    def summary_frame(self) -> Any:
        """One row per comparison: n, mean difference, CI, wins, P(improvement), p-value, stds."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "variant": c.variant,
                    "baseline": c.baseline,
                    "metric": c.metric,
                    "n": c.n,
                    "mean_difference": c.mean_difference,
                    "ci_low": c.ci.low,
                    "ci_high": c.ci.high,
                    "wins": c.wins,
                    "probability_of_improvement": c.probability_of_improvement,
                    "test": c.test.name,
                    "p_value": c.test.p_value,
                    "baseline_std": c.baseline_std,
                    "variant_std": c.variant_std,
                    "distinguishable": c.distinguishable,
                }
                for c in self.comparisons
            ]
        )

    def plot(self, variant: str | None = None, metric: str | None = None) -> Any:
        """Paired differences per seed, and both distributions as ECDFs (a matplotlib ``Figure``)."""
        from ...views.comparison_view import comparison_figure

        return comparison_figure(self.comparison(variant, metric))

    def _brief(self) -> str:
        return f"{', '.join(self.variants)}; {len(self.comparisons)} comparisons"

    def _text(self) -> str:
        from ...views.comparison_view import comparison_text

        return comparison_text(self)

    def _html(self) -> str:
        from ...views.comparison_view import comparison_html

        return comparison_html(self)


def compare(
    variants: Mapping[str, Callable[..., Any]],
    seeds: str | Iterable[int],
    *,
    executor: Executor | None = None,
    metric: str | None = None,
    higher_is_better: bool | Mapping[str, bool] = True,
    progress: bool = True,
    save: str | os.PathLike[str] | None = None,
    confidence: float = stats.DEFAULT_CONFIDENCE,
    resamples: int = stats.DEFAULT_RESAMPLES,
    bootstrap_seed: int = stats.DEFAULT_BOOTSTRAP_SEED,
) -> ComparisonResult:
    """Run every variant under every seed and compare each with the first, seed by seed.

    ``variants``: ``{name: fn}``, the first is the baseline; each ``fn`` is called like
    :func:`~.sweeps.sweep` calls it. Runs go seed by seed (every variant of seed 0,
    then of seed 1, ...), so an interrupted comparison still has complete pairs.
    ``save``: one JSON-lines file for all variants, resumed like a sweep's.
    ``bootstrap_seed`` seeds the resampling of the intervals (reported; repeats exactly).
    """
    if not isinstance(variants, Mapping) or len(variants) < 2:
        raise TypeError("compare() needs a dict of at least two variants, e.g. {'baseline': fa, 'new': fb}")
    for name, fn in variants.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"variant names must be non-empty strings, got {name!r:.40}")
        if not callable(fn):
            raise TypeError(f"variant {name!r} is not callable ({type(fn).__name__})")
    check_executor(executor)
    functions: dict[str | None, Callable[..., Any]] = {name: fn for name, fn in variants.items()}
    runs = run_variants(functions, parse_seeds(seeds), executor=executor, save=save, progress=progress)
    options: dict[str, Any] = {"confidence": confidence, "resamples": resamples, "bootstrap_seed": bootstrap_seed}
    return ComparisonResult(
        {name: runs.result(name, higher_is_better=higher_is_better, **options) for name in variants},
        metric=metric,
        higher_is_better=higher_is_better,
        interrupted=runs.interrupted,
        **options,
    )
