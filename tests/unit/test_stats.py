"""Sweep and comparison statistics against SciPy and against simulated experiments with a known effect."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jupyter_seed.evidence.sweeps import stats
from jupyter_seed.evidence.sweeps.compare import pair
from jupyter_seed.evidence.sweeps.engine import SeedRun
from jupyter_seed.evidence.sweeps.result import SweepResult

scipy_stats = pytest.importorskip("scipy.stats")


def test_bootstrap_ci_covers_a_known_mean_near_95_percent_of_the_time() -> None:
    # 600 simulated paired experiments, 20 seeds each, true mean difference 0.4.
    generator = np.random.default_rng(2024)
    experiments = 0.4 + generator.standard_normal((600, 20))
    covered = [
        stats.bootstrap_mean_ci(row, resamples=2000, bootstrap_seed=i).covers(0.4)
        for i, row in enumerate(experiments)
    ]
    coverage = float(np.mean(covered))
    assert 0.93 <= coverage <= 0.97, coverage


def test_bootstrap_repeats_exactly_and_reports_its_seed() -> None:
    values = np.random.default_rng(1).standard_normal(30)
    first = stats.bootstrap_mean_ci(values, bootstrap_seed=7)
    assert first == stats.bootstrap_mean_ci(values, bootstrap_seed=7)
    assert first != stats.bootstrap_mean_ci(values, bootstrap_seed=8)
    assert (first.bootstrap_seed, first.resamples, first.confidence) == (7, 10_000, 0.95)
    state = np.random.get_state()[1].copy()
    stats.bootstrap_mean_ci(values)
    assert np.array_equal(np.random.get_state()[1], state)  # the user's global stream is untouched


@pytest.mark.parametrize("dof", [3, 5, 10, 19, 99])
def test_t_quantile_matches_scipy(dof: int) -> None:
    assert stats._t_quantile(0.025, dof) == pytest.approx(scipy_stats.t.ppf(0.025, dof), abs=5e-3)


@pytest.mark.parametrize("n", [4, 7, 20, 23, 101])
def test_iqm_and_median_match_scipy_and_numpy(n: int) -> None:
    values = np.random.default_rng(n).standard_normal(n)
    assert stats.interquartile_mean(values) == pytest.approx(scipy_stats.trim_mean(values, 0.25), abs=1e-12)
    assert stats.median(values) == np.median(values)


@pytest.mark.parametrize(
    "differences",
    [
        [0.5, 1.2, -0.3, 0.8, 0.9, 1.1, 0.4, -0.1, 0.7, 0.6],
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        [0.3, -0.2, 0.0, 0.4, 0.5, -0.1, 0.2, 0.0],  # zeros are dropped
        list(np.random.default_rng(3).normal(0.2, 1.0, 60)),  # large n: SciPy's approximation
    ],
)
def test_paired_tests_equal_scipy(differences: list[float]) -> None:
    array = np.asarray(differences)
    ours = stats.wilcoxon_test(array)
    theirs = scipy_stats.wilcoxon(array)
    assert ours.p_value == theirs.pvalue and ours.statistic == theirs.statistic
    positive, negative = int((array > 0).sum()), int((array < 0).sum())
    sign = stats.sign_test(array)
    assert sign.p_value == pytest.approx(
        scipy_stats.binomtest(positive, positive + negative).pvalue, rel=1e-12
    )
    assert stats.paired_test(array) == ours  # SciPy installed: Wilcoxon


@pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 6), (17, 20), (50, 100), (1, 1)])
def test_sign_test_is_the_exact_binomial_test(k: int, n: int) -> None:
    differences = [1.0] * k + [-1.0] * (n - k)
    assert stats.sign_test(differences).p_value == pytest.approx(
        scipy_stats.binomtest(k, n).pvalue, rel=1e-12
    )


def test_seed_rank_sentence_exposes_seed_picking() -> None:
    values = {seed: float(seed) for seed in range(100)}
    rank = stats.rank_of(values, 98, metric="acc")
    assert (rank.rank, rank.of) == (2, 100)
    assert rank.sentence() == "seed 98 ranks 2nd of 100: reporting it would overstate the mean acc by 48.5"
    low = stats.rank_of(values, 98, metric="loss", higher_is_better=False)
    assert low.rank == 99 and low.sentence().endswith("would overstate the mean loss by 48.5")
    assert stats.rank_of(values, 1, metric="loss", higher_is_better=False).sentence() == (
        "seed 1 ranks 2nd of 100: reporting it would understate the mean loss by 48.5"
    )
    assert [stats.ordinal(i) for i in (1, 2, 3, 4, 11, 12, 13, 21, 22, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "111th",
    ]
    with pytest.raises(ValueError, match="no finite"):
        stats.rank_of({1: math.nan}, 1, metric="acc")
    # The README's mistake: a seed the sweep never ran gets a sentence, not a KeyError.
    with pytest.raises(ValueError, match="seed 3407 was not in this sweep"):
        stats.rank_of({1: 0.5, 2: 0.7}, 3407, metric="acc")
    rank = stats.rank_of({1: 0.5, 2: 0.7, 3: 0.6}, 2, metric="acc")
    assert str(rank) == rank.sentence() == "seed 2 ranks 1st of 3: reporting it would overstate the mean acc by 0.1"


def test_paired_comparison_reports_a_real_effect_in_plain_words() -> None:
    generator = np.random.default_rng(11)
    seed_effect = generator.normal(0, 0.3, 20)  # what the seed does to both variants alike
    a = {s: 1.0 + seed_effect[s] + generator.normal(0, 0.05) for s in range(20)}
    b = {s: 1.4 + seed_effect[s] + generator.normal(0, 0.05) for s in range(20)}
    c = pair("baseline", "new", "acc", a, b, higher_is_better=True)
    assert c.wins == 20 and c.probability_of_improvement == 1.0 and c.distinguishable and c.improved
    assert c.ci.low < c.mean_difference < c.ci.high and c.ci.low > 0.3
    assert c.sentence().startswith("new beats baseline on 20 of 20 seeds; mean +0.")
    assert "larger than the seed spread" in c.sentence()
    assert c.test.p_value == scipy_stats.wilcoxon(np.array(c.differences)).pvalue


def test_noise_only_comparison_says_so_and_estimates_seeds_needed() -> None:
    generator = np.random.default_rng(6)
    a = {s: float(generator.normal()) for s in range(20)}
    b = {s: a[s] + float(generator.normal(0.02, 0.5)) for s in range(20)}
    c = pair("baseline", "new", "loss", a, b, higher_is_better=False)
    assert not c.distinguishable
    assert "not distinguishable from seed noise: roughly" in c.sentence()
    assert c.seeds_needed is not None and c.seeds_needed > 20
    wins = sum(1 for s in a if b[s] < a[s])  # lower is better
    assert c.wins == wins


def test_summary_marks_all_nan_metrics_and_gives_robust_statistics() -> None:
    runs = [SeedRun(s, {"acc": float(s), "broken": math.nan}, None, 0.0) for s in range(11)]
    runs.append(SeedRun(11, {"acc": 1000.0, "broken": math.inf}, None, 0.0))  # one divergent run
    result = SweepResult(runs)
    acc, broken = result.summary()
    assert broken.name == "broken" and not broken.has_finite_values and broken.non_finite == 12
    assert "broken: no finite values (12 seeds gave NaN or inf)" in str(result)
    assert "no finite values" in result._repr_html_()
    assert acc.median == 5.5 and acc.iqm == pytest.approx(
        scipy_stats.trim_mean(list(range(11)) + [1000], 0.25)
    )
    assert acc.ci.low < acc.mean < acc.ci.high
    assert str(result) == str(SweepResult(runs))  # the summary repeats exactly
    assert "bootstrap: 10000 resamples, seed 0" in str(result)


def test_long_sweeps_use_fewer_resamples_and_say_so() -> None:
    values = np.random.default_rng(0).standard_normal(20_000)
    interval = stats.bootstrap_mean_ci(values)
    assert interval.resamples == stats.RESAMPLING_BUDGET // 20_000 < stats.DEFAULT_RESAMPLES
    runs = [SeedRun(s, {"acc": float(v)}, None, 0.0) for s, v in enumerate(values)]
    assert f"bootstrap: {interval.resamples} resamples, seed 0" in str(SweepResult(runs))


# ------------------------------------------------------- huge and non-finite values
def test_huge_metrics_summarise_without_overflow() -> None:
    result = SweepResult([SeedRun(s, {"big": 1e308, "wide": (-1) ** s * 1.5e308}, None, 0.0) for s in range(6)])
    big, wide = result.summary()
    assert big.mean == big.median == big.iqm == 1e308 and big.std == 0.0
    assert (big.ci.low, big.ci.high) == (1e308, 1e308)
    assert wide.mean == 0.0 and math.isfinite(wide.std) and wide.std > 1e308
    assert math.isfinite(wide.ci.low) and math.isfinite(wide.ci.high) and wide.ci.low <= 0.0 <= wide.ci.high
    text, page = str(result), result._repr_html_()  # neither raises (OverflowError before)
    assert "big: mean 1e+308 (95% CI [1e+308, 1e+308])" in text and "1e+308" in page
    assert result.rank(0, "big").mean == 1e308


def test_unscaled_statistics_are_unchanged_by_the_overflow_guard() -> None:
    import statistics

    values = list(np.random.default_rng(5).normal(size=50))
    assert stats.mean(values) == statistics.fmean(values) and stats.stdev(values) == statistics.stdev(values)
    assert stats.median(values) == float(np.median(values))


def test_summaries_name_the_seeds_with_nan_or_inf_and_leave_them_out() -> None:
    values = {0: 1.0, 1: math.nan, 2: 3.0, 3: math.inf, 4: 2.0, 5: -math.inf}
    result = SweepResult([SeedRun(s, {"loss": v}, None, 0.0) for s, v in values.items()])
    (loss,) = result.summary()
    assert loss.count == 3 and loss.mean == 2.0 and loss.non_finite_seeds == (1, 3, 5)
    assert math.isfinite(loss.ci.low) and math.isfinite(loss.ci.high) and loss.ci.low >= 1.0
    assert "left out: seeds 1, 3, 5 gave NaN or inf" in str(result)
    assert "seeds 1, 3, 5 gave NaN or inf" in result._repr_html_()


def test_comparison_summary_frame_has_one_row_per_comparison() -> None:
    from jupyter_seed.evidence.sweeps.compare import ComparisonResult

    def runs(shift: float) -> SweepResult:
        return SweepResult([SeedRun(s, {"acc": s + shift, "loss": -s - shift}, None, 0.0) for s in range(8)])

    result = ComparisonResult({"base": runs(0.0), "new": runs(0.5)}, higher_is_better={"loss": False})
    frame = result.summary_frame()
    assert list(frame["metric"]) == ["acc", "loss"] and list(frame["variant"]) == ["new", "new"]
    acc, loss = frame.to_dict("records")
    assert acc["n"] == 8 and acc["mean_difference"] == pytest.approx(0.5) and acc["wins"] == 8
    assert loss["mean_difference"] == pytest.approx(-0.5) and loss["wins"] == 8  # lower is better
    assert acc["ci_low"] <= 0.5 <= acc["ci_high"] and acc["probability_of_improvement"] == 1.0
    assert {"test", "p_value", "baseline_std", "variant_std", "distinguishable"} <= set(frame.columns)


def test_results_pretty_print_as_their_summary_not_their_repr() -> None:
    from IPython.lib.pretty import pretty

    result = SweepResult([SeedRun(s, {"acc": float(s)}, None, 0.0) for s in range(3)])
    assert pretty(result).startswith("Sweep over 3 seeds") and repr(result) == "<SweepResult: 3 seeds, 0 failed>"
