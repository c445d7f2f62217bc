"""The doctor's evidence rules (issue 26): the false-confirmation bounds hold, and the budget parses."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from jupyter_seed.evidence.checks.doctor_plan import (
    ALPHA,
    DoctorBudget,
    decisive_bound,
    follow_up,
    pairs_needed,
    parse_doctor_budget,
    repeated_bound,
    share,
)
from jupyter_seed.evidence.options import OptionError


def _decisive_probability(q: list[float], runs: int, pairs: int) -> float:
    """Exactly: ``runs`` distinct draws, then ``pairs`` agreeing pairs, distinct and unseen."""
    total = 0.0
    for seen in itertools.permutations(range(len(q)), runs):
        weight = 1.0
        for value in seen:
            weight *= q[value]
        rest = [value for value in range(len(q)) if value not in seen]
        for agreed in itertools.permutations(rest, pairs):
            pair_weight = 1.0
            for value in agreed:
                pair_weight *= q[value] ** 2
            total += weight * pair_weight
    return total


def test_the_decisive_bound_holds_for_random_and_skewed_distributions() -> None:
    import random

    draw = random.Random(26)
    bound = decisive_bound(2, 2)
    assert 0.007 < bound < 0.008  # two runs, two dosed pairs: at most 0.77 %
    for _ in range(300):
        size = draw.randint(4, 7)
        weights = [draw.random() ** draw.choice((0.3, 1, 3)) for _ in range(size)]
        q = [w / sum(weights) for w in weights]
        assert _decisive_probability(q, 2, 2) <= bound + 1e-12, q
    uniform = [1 / 5] * 5
    assert _decisive_probability(uniform, 2, 2) == pytest.approx(0.8 * 0.2 * 0.6 * 0.2 * 0.4)


def test_one_lucky_pair_never_confirms_and_the_shares_add_up_to_alpha() -> None:
    assert decisive_bound(2, 1) > ALPHA and repeated_bound(4, 1) > ALPHA
    assert repeated_bound(4, 4) == pytest.approx(0.5**8)
    for experiments in range(1, 7):
        assert sum(share(k, experiments) for k in range(experiments)) == pytest.approx(ALPHA)
    assert decisive_bound(2, 2) <= share(0, 5)  # the first experiment: two dosed pairs
    assert pairs_needed(2, share(1, 5)) == 3  # the others: three
    more = follow_up(1, 1, share(1, 3))
    assert more is not None and repeated_bound(1 + more[0], 1 + more[1]) <= share(1, 3)
    assert follow_up(1, 1, 1e-9) is None  # too many pairs: observed only


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30", DoctorBudget(seconds=30.0, factor=None)),
        ("2x", DoctorBudget(factor=2.0)),
        (" 0.5X ", DoctorBudget(factor=0.5)),
    ],
)
def test_a_budget_is_seconds_or_a_multiple_of_the_check(text: str, expected: DoctorBudget) -> None:
    assert parse_doctor_budget(text) == expected
    assert DoctorBudget().limit(10.0) == 15.0 and expected.limit(10.0) in (30.0, 20.0, 5.0)


@pytest.mark.parametrize("text", ["0", "-3", "x", "abc", "nan", "inf", "", "3y", True])
def test_a_bad_budget_is_one_line(text: object) -> None:
    with pytest.raises(OptionError, match=r"^--doctor-budget must be a positive number") as caught:
        parse_doctor_budget(text)
    assert "\n" not in str(caught.value)


def test_a_shorter_prefix_is_estimated_from_the_first_rounds_cell_times(tmp_path: Path) -> None:
    import nbformat

    from jupyter_seed.evidence.checks.doctor import _Doctor
    from jupyter_seed.evidence.checks.doctor_runs import cell_seconds

    executed = nbformat.v4.new_notebook()
    stamps = [("2026-12-04T10:00:00.000000Z", "2026-12-04T10:00:00.500000Z"), None,
              ("2026-12-04T10:00:01.000000Z", "2026-12-04T10:00:04.000000Z")]
    for stamp in stamps:
        if stamp is None:
            executed.cells.append(nbformat.v4.new_markdown_cell("between"))
            continue
        cell = nbformat.v4.new_code_cell("pass")
        cell.metadata["execution"] = {"iopub.execute_input": stamp[0], "shell.execute_reply": stamp[1]}
        executed.cells.append(cell)
    assert cell_seconds(executed) == [0.5, 0.0, 3.0]
    assert cell_seconds(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])) is None

    class Runs:
        concurrency = 2

    doctor = _Doctor(Runs(), executed, None, tmp_path, budget=10.0)  # type: ignore[arg-type]
    doctor.wave_seconds, doctor.cell_seconds = 5.0, [0.5, 0.0, 3.0]  # start-up: 1.5 s
    assert doctor.wave() == 5.0 and doctor.wave(3) == 5.0
    assert doctor.wave(1) == 2.0  # start-up and the first cell: the slow third is not in the prefix
    assert not doctor.over_budget(4, 1) and doctor.over_budget(4, 3)
