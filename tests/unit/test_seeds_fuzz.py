"""Seed parsing and validation under arbitrary input: a one-line ValueError, nothing else."""

from __future__ import annotations

import json

import pytest
from fakes import FakeSource
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_seed.seeding.seeder import Seeder
from jupyter_seed.seeding.seeds import MAX_SEED, parse_seed_text, validate_seed


class BrokenIndex:
    def __index__(self) -> int:
        raise RuntimeError("no index\nat all")

    def __repr__(self) -> str:
        raise RuntimeError("no repr either")


class HugeRepr:
    def __repr__(self) -> str:
        return "x\n" * 100_000


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**4000, max_value=10**4400),
    st.floats(allow_nan=True),
    st.text(),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.just(BrokenIndex()),
    st.just(HugeRepr()),
    st.just(object()),
)


def assert_one_line(error: ValueError) -> None:
    text = str(error)
    assert "\n" not in text and len(text) <= 200, text


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(anything)
def test_validate_seed_accepts_the_range_and_refuses_the_rest_in_one_line(value: object) -> None:
    try:
        seed = validate_seed(value)
    except ValueError as error:  # SeedTypeError is a ValueError too
        assert_one_line(error)
    else:
        assert type(seed) is int and 0 <= seed <= MAX_SEED


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(
        st.text(),
        st.integers(min_value=-5, max_value=10**12).map(lambda n: f" {n}\t"),
        st.just("9" * 5000),
        anything,
    )
)
def test_parse_seed_text_never_raises_anything_but_one_line_value_errors(text: object) -> None:
    try:
        seed = parse_seed_text(text)
    except ValueError as error:
        assert_one_line(error)
    else:
        assert 0 <= seed <= MAX_SEED and isinstance(text, str)


def test_a_5000_digit_seed_is_echoed_as_a_short_prefix() -> None:
    with pytest.raises(ValueError) as info:
        parse_seed_text("7" * 5000)
    assert "7" * 41 not in str(info.value) and "5000 characters" in str(info.value)
    with pytest.raises(ValueError) as info:
        validate_seed(7 * 10**5000)
    assert "about 5001 digits" in str(info.value)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(anything, st.one_of(st.none(), st.booleans(), st.text(max_size=8), st.integers()))
def test_seed_everything_with_bad_input_changes_nothing(seed: object, deterministic: object) -> None:
    source = FakeSource("only")
    seeder = Seeder([source])
    try:
        seeder.seed_everything(9)
        before, generator = json.dumps(seeder.state()), source.get_state()
        try:
            seeder.seed_everything(seed, deterministic=deterministic)
        except ValueError as error:
            assert_one_line(error)
            assert json.dumps(seeder.state()) == before and source.get_state() == generator
    finally:
        seeder.detach()
