"""Sources that return odd types or raise never break the seeder (hypothesis-generated)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from fakes import FakeSource, expected
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_seed.seeding.boundary import short_line
from jupyter_seed.seeding.seeder import Seeder
from jupyter_seed.seeding.sources.base import RandomSource, check_source


class Raise:
    """Marker: the call raises instead of returning."""

    def __repr__(self) -> str:
        return "Raise()"


class Hostile(Exception):
    def __str__(self) -> str:
        raise RuntimeError("even __str__ fails")


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
odd = st.recursive(
    scalars | st.builds(object) | st.just(Raise()),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.sets(st.integers(), max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(), st.tuples(st.integers())), children, max_size=3),
    ),
    max_leaves=6,
)


class OddSource(RandomSource):
    name = "odd"
    module = None

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def _give(self, key: str) -> Any:
        value = self.values[key]
        if isinstance(value, Raise):
            raise Hostile() if key == "warnings" else ValueError(f"{key} broke\nbadly")
        return value

    @property
    def label(self) -> Any:  # type: ignore[override]
        return self._give("label")

    def version(self) -> Any:
        return self._give("version")

    def read_seed(self, last_applied: int | None) -> Any:
        return self._give("read_seed")

    def determinism(self) -> Any:
        return self._give("determinism")

    def warnings(self) -> Any:
        return self._give("warnings")

    def prepare_deterministic(self, mode: Any) -> Any:
        return self._give("prepare_deterministic")


def cleaned(value: Any) -> Any:
    """What a source's text becomes in the state: one line, and nothing when it is only whitespace."""
    return (short_line(value) or None) if isinstance(value, str) else value


METHODS = ["label", "version", "read_seed", "determinism", "warnings", "prepare_deterministic"]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.fixed_dictionaries({key: odd for key in METHODS}))
def test_odd_source_never_breaks_state(values: dict[str, Any]) -> None:
    good = FakeSource("good")
    seeder = Seeder([good, OddSource(values)])
    try:
        report = seeder.seed_everything(5, deterministic="warn")
        assert good.draws() == expected(5) and "good" in report.seeded
        state = seeder.state()
        text = json.dumps(state, allow_nan=False)  # strict JSON: no NaN, no objects
        assert json.loads(text) == state
        good_entry, odd_entry = state["sources"]
        assert good_entry["seeded"] and good_entry["error"] is None
        assert isinstance(odd_entry["label"], str) and odd_entry["version"] in (None, cleaned(values["version"]))
        assert all(isinstance(line, str) and "\n" not in line for line in state["warnings"])
    finally:
        seeder.detach()


def test_each_misbehaviour_is_named_in_the_warnings() -> None:
    values: dict[str, Any] = {
        "label": 3,
        "version": float("nan"),
        "read_seed": "7",
        "determinism": ["not", "a", "dict"],
        "warnings": "a str, not a list",
        "prepare_deterministic": None,
    }
    seeder = Seeder([OddSource(values)])
    try:
        seeder.seed_everything(1)
        state = seeder.state()
    finally:
        seeder.detach()
    named = [line for line in state["warnings"] if line.startswith("source 'odd': ")]
    assert {line.split(": ")[1].split(" ")[0] for line in named} == {
        "label", "version()", "read_seed()", "determinism()", "warnings()"
    }
    entry = state["sources"][0]
    assert entry["label"] == "odd" and entry["version"] is None and entry["determinism"] == {}


def test_flags_are_coerced_to_json_scalars() -> None:
    values: dict[str, Any] = dict.fromkeys(METHODS)
    values["determinism"] = {"nan": float("nan"), 7: {1, 2}, "ok": True, ("t",): object()}
    seeder = Seeder([OddSource(values)])
    try:
        flags = seeder.state()["sources"][0]["determinism"]
    finally:
        seeder.detach()
    assert flags["nan"] == "nan" and flags["ok"] is True and flags["7"] == "{1, 2}"
    json.dumps(flags, allow_nan=False)


@pytest.mark.parametrize(
    "attributes",
    [{"name": 5}, {"name": ""}, {"name": None}, {"name": "x", "module": 3}, {"name": "x", "has_global_state": "yes"}],
)
def test_malformed_identity_is_refused_in_one_line(attributes: dict[str, Any]) -> None:
    source = RandomSource()
    for key, value in attributes.items():
        setattr(source, key, value)
    with pytest.raises(TypeError) as info:
        check_source(source)
    assert "\n" not in str(info.value)


def test_hostile_exception_text_still_gives_one_line() -> None:
    from jupyter_seed.seeding.messages import describe_error

    assert describe_error(Hostile()) == "Hostile"
    assert describe_error(ValueError("a\nb")) == "ValueError: a …"
    assert len(describe_error(ValueError("x" * 10_000))) <= 300


def test_jax_flag_is_late_only_once_a_gpu_backend_has_started(monkeypatch: pytest.MonkeyPatch) -> None:
    """The decision alone, over a stand-in for JAX's backend registry (no GPU here to start one)."""
    import types

    from jupyter_seed.seeding.sources.jax_source import JaxSource

    bridge = types.ModuleType("jax._src.xla_bridge")
    platforms: dict[str, object] = {}
    started = [False]
    bridge.backends_are_initialized = lambda: started[0]  # type: ignore[attr-defined]
    bridge.backends = lambda: platforms  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "jax._src.xla_bridge", bridge)
    monkeypatch.setenv("XLA_FLAGS", "")

    def warnings_now() -> list[str]:
        source = JaxSource()
        monkeypatch.setenv("XLA_FLAGS", "")
        notes = source.prepare_deterministic("strict")
        source.detach()
        return notes

    assert warnings_now() == []  # imported, no backend yet: the flag is in time
    started[0], platforms["cpu"] = True, object()
    assert warnings_now() == []  # CPU only: the GPU flag does not apply
    platforms["cuda"] = object()
    assert len(warnings_now()) == 1 and "too late" in warnings_now()[0]
