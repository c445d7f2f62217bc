"""Was the search's winner the best configuration, or its luckiest seed? Re-run the top k on the same seeds.

A hyper-parameter search runs each configuration once, with one seed, and keeps the best
score: the winner is partly the luckiest draw (the winner's curse). ``compare_top(study,
train)`` takes the top ``k`` configurations of an Optuna study, or of any list of
``(params, score)`` pairs, re-runs each on the same seeds through :func:`~.compare.compare`
(any executor, ``save=`` stores and resume) and answers whether #1 beats #2 beyond seed noise,
and about how many seeds would settle it when it does not.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any

from . import stats
from .compare import ComparisonResult, PairedComparison, compare
from .rendering import Rendered

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["Configuration", "TopComparison", "compare_top", "top_configurations"]


@dataclass(frozen=True)
class Configuration:
    name: str
    """``#1`` for the search's best, ``#2`` next, ..."""
    params: dict[str, Any]
    search_score: float
    """The one score the search saw (one seed)."""


def _is_study(candidate: object) -> bool:
    return hasattr(candidate, "trials") and hasattr(candidate, "directions")


def _from_study(study: Any, higher_is_better: bool | None) -> tuple[list[tuple[dict[str, Any], float]], bool]:
    directions = [getattr(d, "name", str(d)) for d in study.directions]
    if len(directions) != 1:
        raise ValueError(
            "compare_top needs a single-objective study; for several, pass a list of (params, score)"
        )
    maximize = directions[0] == "MAXIMIZE"
    if higher_is_better is not None and bool(higher_is_better) != maximize:
        raise ValueError(
            f"higher_is_better={higher_is_better} contradicts the study's direction ({directions[0].lower()})"
        )
    pairs = [
        (dict(trial.params), trial.value)
        for trial in study.trials
        if getattr(trial.state, "name", "") == "COMPLETE" and trial.value is not None
    ]
    return pairs, maximize


def _from_pairs(results: Iterable[Any]) -> list[tuple[dict[str, Any], float]]:
    pairs = []
    for number, item in enumerate(results, start=1):
        try:
            params, score = item
        except (TypeError, ValueError):
            raise TypeError(f"result {number} is not a (params, score) pair: {type(item).__name__}") from None
        if not isinstance(params, Mapping) or not all(isinstance(key, str) for key in params):
            raise TypeError(
                f"result {number}: params must be a dict with str keys, got {type(params).__name__}"
            )
        if isinstance(score, bool) or not isinstance(score, Real):
            raise TypeError(f"result {number}: score must be a number, got {type(score).__name__}")
        pairs.append((dict(params), float(score)))
    return pairs


def top_configurations(
    study_or_results: Any, k: int = 3, higher_is_better: bool | None = None
) -> tuple[list[Configuration], bool, int]:
    """The best ``k`` distinct configurations, best first; the direction; how many distinct ones there were.

    A configuration tried twice keeps its best score; trials without a finite score are left out.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ValueError(f"k must be an integer of at least 2 (#1 against #2), got {k!r:.40}")
    if _is_study(study_or_results):
        pairs, higher = _from_study(study_or_results, higher_is_better)
    elif isinstance(study_or_results, (str, bytes, Mapping)) or not isinstance(study_or_results, Iterable):
        raise TypeError(
            "compare_top takes an Optuna study or a list of (params, score), "
            f"got {type(study_or_results).__name__}"
        )
    else:
        pairs, higher = (
            _from_pairs(study_or_results),
            True if higher_is_better is None else bool(higher_is_better),
        )
    best: dict[str, tuple[dict[str, Any], float]] = {}
    for params, score in pairs:
        if not math.isfinite(score):
            continue
        key = json.dumps(params, sort_keys=True, default=repr)
        if key not in best or (score > best[key][1] if higher else score < best[key][1]):
            best[key] = (params, score)
    ranked = sorted(
        best.values(), key=lambda pair: -pair[1] if higher else pair[1]
    )  # stable: first tried first
    if len(ranked) < 2:
        raise ValueError(
            f"compare_top needs at least 2 distinct configurations with a finite score, got {len(ranked)}"
        )
    top = [
        Configuration(f"#{rank}", params, score) for rank, (params, score) in enumerate(ranked[:k], start=1)
    ]
    return top, higher, len(ranked)


class TopComparison(Rendered):
    """The top configurations re-run on the same seeds, and the verdict on #1 against #2."""

    def __init__(
        self,
        configurations: list[Configuration],
        result: ComparisonResult,
        searched: int,
        metric: str | None = None,
    ) -> None:
        self.configurations = configurations
        self.result = result
        self.searched = searched
        """Distinct configurations the search scored."""
        self.metric = metric

    @property
    def first_vs_second(self) -> PairedComparison:
        """#2 against #1 (the baseline), per seed, on the compared metric."""
        return self.result.comparison("#2", self.metric)

    @property
    def winner_holds(self) -> bool:
        """#1 beats #2 beyond seed noise (the interval of #2 − #1 excludes zero, on #1's side)."""
        pair = self.first_vs_second
        return pair.distinguishable and not pair.improved

    @property
    def runner_up_better(self) -> bool:
        """#2 beats #1 beyond seed noise: the search's pick was a lucky seed."""
        return self.first_vs_second.improved

    @property
    def seeds_needed(self) -> int | None:
        """About how many paired seeds would tell #1 from #2 (None: no difference seen at all)."""
        return self.first_vs_second.seeds_needed

    @property
    def verdict(self) -> str:
        pair = self.first_vs_second
        if pair.n < 2:
            return f"#1 and #2 share too few finished seeds to compare ({pair.n})"
        if self.winner_holds:
            return f"#1 beats #2 beyond seed noise on {pair.n} seeds"
        if self.runner_up_better:
            return f"#2 beats #1 beyond seed noise on {pair.n} seeds: the search's pick was a lucky seed"
        if self.seeds_needed is None:
            return f"#1 and #2 are not distinguishable from seed noise on {pair.n} seeds (no difference seen)"
        return (
            f"#1 and #2 are not distinguishable from seed noise on {pair.n} seeds; "
            f"about {self.seeds_needed} seeds would settle it"
        )

    def plot(self, variant: str = "#2", metric: str | None = None) -> Any:
        """``variant`` against #1, seed by seed, and both distributions (a matplotlib ``Figure``)."""
        return self.result.plot(variant, metric or self.metric)

    def to_pandas(self) -> Any:
        return self.result.to_pandas()

    def _lines(self) -> list[str]:
        metric = self.first_vs_second.metric
        lines = [
            f"Top {len(self.configurations)} of {self.searched} configurations, re-run on the same seeds:"
        ]
        for configuration in self.configurations:
            values = list(self.result.sweeps[configuration.name].metrics(metric).values())
            finite = [v for v in values if math.isfinite(v)]
            mean = f"{stats.mean(finite):.4g}" if finite else "-"
            spread = f" ± {stats.stdev(finite):.2g}" if len(finite) > 1 else ""
            lines.append(
                f"  {configuration.name} {configuration.params}: "
                f"search {configuration.search_score:.4g} (one seed), "
                f"re-run mean {mean}{spread} over {len(finite)} seeds"
            )
        lines.append(f"Verdict: {self.verdict}.")
        return lines

    def _brief(self) -> str:
        return self.verdict

    def _text(self) -> str:
        return "\n".join(self._lines()) + "\n" + self.result._text()

    def _html(self) -> str:
        from html import escape

        header = "".join(f"<div>{escape(line)}</div>" for line in self._lines())
        return f"<div>{header}{self.result._html()}</div>"


def compare_top(
    study_or_results: Any,
    train: Callable[..., Any],
    k: int = 3,
    seeds: str | Iterable[int] = range(10),
    *,
    higher_is_better: bool | None = None,
    executor: Executor | None = None,
    metric: str | None = None,
    progress: bool = True,
    save: str | os.PathLike[str] | None = None,
    confidence: float = stats.DEFAULT_CONFIDENCE,
    resamples: int = stats.DEFAULT_RESAMPLES,
    bootstrap_seed: int = stats.DEFAULT_BOOTSTRAP_SEED,
) -> TopComparison:
    """Re-run the search's top ``k`` configurations on the same ``seeds`` and compare each with #1.

    ``study_or_results``: an Optuna study (its completed trials; the direction is the
    study's) or a list of ``(params, score)`` pairs from any search tool (higher is better
    unless ``higher_is_better=False``). ``train(params, seed)`` (or ``train(params)``) is
    called with every random source seeded, and returns the metric (a number or a dict).
    The rest is :func:`~.compare.compare`'s: an executor, a ``save=`` store to resume from.
    """
    if not callable(train):
        raise TypeError(f"train must be callable, got {type(train).__name__}")
    configurations, higher, searched = top_configurations(study_or_results, k, higher_is_better)
    variants = {c.name: functools.partial(train, c.params) for c in configurations}
    result = compare(
        variants,
        seeds,
        executor=executor,
        metric=metric,
        higher_is_better=higher,
        progress=progress,
        save=save,
        confidence=confidence,
        resamples=resamples,
        bootstrap_seed=bootstrap_seed,
    )
    return TopComparison(configurations, result, searched, metric)
