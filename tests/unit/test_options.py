"""The options every front door shares (jupyter_seed.evidence.options): one rule, one message each."""

from __future__ import annotations

import inspect

import pytest

from jupyter_seed.evidence.options import (
    CHECK_MODES,
    CHECK_PER_CELL_MODES,
    MAX_RUNS,
    CheckOptions,
    OptionError,
    check_options,
    parse_parallel,
    parse_runs,
    parse_seed,
    parse_timeout,
    resolve_mode,
    validate_runs,
    validate_timeout,
)
from jupyter_seed.seeding.modes import PER_CELL_MODES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1", "--runs must be an integer from 2 to 100, got 1"),
        (" 101 ", "--runs must be an integer from 2 to 100, got 101"),
        ("2.0", "--runs must be an integer from 2 to 100, got '2.0'"),
        ("9" * 5000, "got '99999999"),
        ("", "got ''"),
    ],
)
def test_runs_text_is_refused_in_one_short_line(text: str, message: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_runs(text)
    assert message in str(info.value) and len(str(info.value)) < 120


def test_runs_from_text_and_from_the_api_obey_one_rule() -> None:
    assert parse_runs("2") == validate_runs(2) == 2 and parse_runs(str(MAX_RUNS)) == MAX_RUNS
    for value in (True, 1, MAX_RUNS + 1, 2.0, None, 10**5000):
        with pytest.raises(OptionError, match=r"^--runs must be an integer from 2 to 100, got"):
            validate_runs(value)
    with pytest.raises(OptionError, match=r"^--jupyter-seed-runs must"):
        parse_runs("0", "--jupyter-seed-runs")


@pytest.mark.parametrize("text", ["0", "-1", "inf", "nan", "-inf", "9" * 400])
def test_timeout_must_be_positive_and_finite(text: str) -> None:
    with pytest.raises(OptionError, match=r"^--timeout must be positive \(a finite number of seconds\), got"):
        parse_timeout(text)
    assert parse_timeout("2.5") == validate_timeout(2.5) == 2.5 and parse_timeout(None) is None


def test_timeout_that_is_no_number_is_named() -> None:
    with pytest.raises(OptionError, match=r"^--timeout must be a number of seconds, got 'soon'$"):
        parse_timeout("soon")
    with pytest.raises(OptionError, match=r"got True$"):
        validate_timeout(True)


def test_seed_and_parallel() -> None:
    assert parse_seed(" 7 ") == 7
    with pytest.raises(OptionError, match=r"^--hash-seed must be an integer in \[0, 4294967295\], got -1$"):
        parse_seed("-1", "--hash-seed")
    assert parse_parallel("3") == 3 and parse_parallel(None) is None
    with pytest.raises(OptionError, match=r"^--parallel must be a positive integer, got 0$"):
        parse_parallel("0")


def test_mode_names_have_one_home() -> None:
    assert CHECK_MODES == ("asis", "once", "per-cell")
    assert set(CHECK_PER_CELL_MODES) == set(PER_CELL_MODES) - {"off"}
    assert resolve_mode(None, None) == ("once", None)
    assert resolve_mode(None, "derived") == ("per-cell", "derived")
    assert resolve_mode("per-cell", None) == ("per-cell", "same")
    with pytest.raises(OptionError, match=r"^--mode: invalid choice 'twice' \(choose from asis, once, per-cell\)$"):
        resolve_mode("twice", None)
    with pytest.raises(OptionError, match=r"^--jupyter-seed-per-cell: invalid choice 'off'"):
        resolve_mode(None, "off", prefix="jupyter-seed-")
    with pytest.raises(OptionError, match=r"^--per-cell goes with --mode per-cell, not with --mode asis$"):
        resolve_mode("asis", "same")


def test_check_options_are_the_keyword_arguments_of_check_notebook() -> None:
    from jupyter_seed.evidence.checks.notebook import check_notebook

    options = check_options(seed="5", runs="3", per_cell="derived", timeout="1.5", ignore=["x+"], parallel="2")
    assert options == CheckOptions(5, 3, "per-cell", "derived", 1.5, ("x+",), 2)
    parameters = inspect.signature(check_notebook).parameters
    assert set(options.arguments()) <= set(parameters)
    assert CheckOptions().arguments() == {
        name: parameters[name].default for name in options.arguments() if name != "mode"
    } | {"mode": "once", "ignore": ()}
    with pytest.raises(OptionError, match=r"^--ignore '\(' is not a valid regular expression"):
        check_options(ignore=["("])
    with pytest.raises(OptionError, match=r"^--jupyter-seed-seed must be"):
        check_options(seed="x", prefix="jupyter-seed-")
