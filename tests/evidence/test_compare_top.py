"""Searches whose winner is not seed luck: task-seeded Optuna trials and ``compare_top`` (issue 24)."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest

import jupyter_seed
from jupyter_seed.evidence.sweeps import stats
from jupyter_seed.evidence.sweeps.search import TopComparison, compare_top, top_configurations

optuna = pytest.importorskip("optuna")

GRID = {"depth": [1, 2, 3, 4], "rate": [0.1, 0.3]}


def objective(trial: Any) -> float:
    params = {
        "depth": trial.suggest_categorical("depth", GRID["depth"]),
        "rate": trial.suggest_categorical("rate", GRID["rate"]),
    }
    # The trial's seed is a function of its parameters, not of which worker thread took it when.
    rng = np.random.default_rng(jupyter_seed.task_seed(params))
    data = rng.normal(size=200)
    return float(params["depth"] * params["rate"] + data.mean() + 0.01 * rng.standard_normal())


def search(grid_seed: int) -> Any:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.GridSampler(GRID, seed=grid_seed)
    )
    study.optimize(objective, n_trials=8, n_jobs=2)
    return study


def by_params(study: Any) -> dict[tuple[Any, ...], tuple[float, int]]:
    return {tuple(sorted(t.params.items())): (t.value, t.number) for t in study.trials}


def test_a_task_seeded_study_gives_the_same_value_for_the_same_parameters_in_any_schedule(
    seeder: Any,
) -> None:
    jupyter_seed.seed_everything(3407)
    first, second = by_params(search(grid_seed=0)), by_params(search(grid_seed=1))
    assert len(first) == len(second) == 8  # the whole grid, in both runs
    # Another grid order gives the same parameters other trial numbers: a seed by trial number would differ.
    assert any(first[key][1] != second[key][1] for key in first)
    assert {key: value for key, (value, _) in first.items()} == {
        key: value for key, (value, _) in second.items()
    }
    assert len({value for value, _ in first.values()}) == 8


def test_compare_top_on_a_study_reruns_its_best_trials_on_the_same_seeds(seeder: Any) -> None:
    jupyter_seed.seed_everything(3407)
    study = search(grid_seed=0)

    def train(params: dict[str, Any], seed: int) -> float:
        rng = np.random.default_rng(seed)
        return params["depth"] * params["rate"] + 0.01 * rng.standard_normal()

    top = compare_top(study, train, k=3, seeds=range(6), progress=False)
    assert isinstance(top, TopComparison)
    assert top.configurations[0].params == study.best_params
    assert top.configurations[0].search_score == study.best_value
    assert [c.name for c in top.configurations] == ["#1", "#2", "#3"]
    pair = top.first_vs_second
    assert pair.seeds == tuple(range(6)) and pair.higher_is_better
    # The same seed gives #1 and #2 the same noise: the paired differences are the parameter effect alone.
    effect = top.configurations[1].params["depth"] * top.configurations[1].params["rate"] - (
        top.configurations[0].params["depth"] * top.configurations[0].params["rate"]
    )
    assert pair.differences == pytest.approx([effect] * 6)
    assert "#1" in str(top) and top.verdict in str(top)


# Hand-made numbers: #1's and #2's score per seed, as train returns them.
SEEDS = list(range(10))
BASE = [0.80, 0.82, 0.79, 0.85, 0.81, 0.78, 0.83, 0.80, 0.84, 0.82]


def table_train(tables: dict[str, list[float]]) -> Any:
    def train(params: dict[str, Any], seed: int) -> float:
        return tables[params["name"]][seed]

    return train


def hand_verdict(differences: list[float]) -> tuple[float, bool]:
    """The paired mean, and whether the interval excludes zero (resampled means lie in [min, max])."""
    mean = sum(differences) / len(differences)
    return mean, (min(differences) > 0 or max(differences) < 0)


def test_compare_top_verdict_matches_a_hand_computed_one_when_the_winner_holds() -> None:
    runner_up = [b - 0.02 - 0.001 * (s % 3) for s, b in zip(SEEDS, BASE, strict=True)]
    results = [({"name": "b"}, 0.81), ({"name": "a"}, 0.86), ({"name": "c"}, 0.70)]
    top = compare_top(
        results, table_train({"a": BASE, "b": runner_up, "c": BASE}), k=2, seeds=SEEDS, progress=False
    )
    assert [c.params["name"] for c in top.configurations] == ["a", "b"]  # ranked by the search's scores
    differences = [r - b for r, b in zip(runner_up, BASE, strict=True)]
    mean, excludes_zero = hand_verdict(differences)
    pair = top.first_vs_second
    assert pair.differences == pytest.approx(differences)
    assert pair.mean_difference == pytest.approx(mean) and excludes_zero
    assert pair.distinguishable and top.winner_holds and not top.runner_up_better
    assert pair.wins == 0 and pair.losses == 10
    assert top.verdict == "#1 beats #2 beyond seed noise on 10 seeds"


def test_compare_top_says_when_the_search_picked_a_lucky_seed() -> None:
    better = [b + 0.03 for b in BASE]
    results = [({"name": "lucky"}, 0.95), ({"name": "better"}, 0.90)]  # one lucky draw ranked 'lucky' first
    top = compare_top(results, table_train({"lucky": BASE, "better": better}), seeds=SEEDS, progress=False)
    assert top.runner_up_better and not top.winner_holds
    assert top.first_vs_second.differences == pytest.approx([0.03] * 10)
    assert "lucky seed" in top.verdict


def test_compare_top_says_how_many_seeds_would_settle_a_close_call() -> None:
    noise = [0.5, -0.4, 0.3, -0.6, 0.45, -0.35, 0.2, -0.25, 0.4, -0.4]  # mean 0.025, sd ~0.43
    second = [b + n for b, n in zip(BASE, noise, strict=True)]
    top = compare_top(
        [({"name": "a"}, 1.0), ({"name": "b"}, 0.5)],
        table_train({"a": BASE, "b": second}),
        seeds=SEEDS,
        progress=False,
    )
    differences = [s - b for s, b in zip(second, BASE, strict=True)]
    mean = sum(differences) / 10
    sd = math.sqrt(sum((d - mean) ** 2 for d in differences) / 9)
    z = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.8)
    needed = max(10, math.ceil((z * sd / abs(mean)) ** 2))
    assert not top.first_vs_second.distinguishable
    assert top.first_vs_second.ci.covers(0.0)
    assert top.seeds_needed == needed
    assert (
        top.verdict == "#1 and #2 are not distinguishable from seed noise on 10 seeds; "
        f"about {needed} seeds would settle it"
    )
    assert top.first_vs_second.ci == stats.bootstrap_mean_ci(
        differences
    )  # the paired comparison's own interval


def test_lower_is_better_and_repeated_configurations() -> None:
    results = [({"x": 1}, 0.5), ({"x": 2}, 0.2), ({"x": 1}, 0.1), ({"x": 3}, float("nan"))]
    top, higher, searched = top_configurations(results, k=3, higher_is_better=False)
    assert not higher and searched == 2  # x=1 kept once at its best score; the NaN trial left out
    assert [(c.params, c.search_score) for c in top] == [({"x": 1}, 0.1), ({"x": 2}, 0.2)]


@pytest.mark.parametrize(
    ("given", "k", "error", "message"),
    [
        ([({"x": 1}, 1.0)], 3, ValueError, "at least 2 distinct"),
        ([({"x": 1}, 1.0), ({"x": 2}, 0.5)], 1, ValueError, "k must be an integer of at least 2"),
        ([("x", 1.0)], 3, TypeError, "params must be a dict"),
        ([({"x": 1}, "high")], 3, TypeError, "score must be a number"),
        ({"x": 1}, 3, TypeError, "an Optuna study or a list"),
    ],
)
def test_bad_input_is_one_clear_error(given: Any, k: int, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        compare_top(given, lambda params, seed: 0.0, k=k, seeds=range(3), progress=False)


def test_a_multi_objective_study_or_a_contradicting_direction_is_refused() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    multi = optuna.create_study(directions=["maximize", "minimize"])
    with pytest.raises(ValueError, match="single-objective"):
        compare_top(multi, lambda params, seed: 0.0, progress=False)
    single = optuna.create_study(direction="minimize")
    with pytest.raises(ValueError, match="contradicts the study's direction"):
        compare_top(single, lambda params, seed: 0.0, higher_is_better=True, progress=False)


def test_compare_top_is_exported_lazily() -> None:
    assert jupyter_seed.compare_top is compare_top and "compare_top" in dir(jupyter_seed)
