"""The seeder over fake sources: fast, no framework imported."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakeSource, expected

from jupyter_seed.seeding.seeder import Seeder
from jupyter_seed.seeding.seeds import derive_seed


@pytest.fixture
def sources() -> list[FakeSource]:
    return [FakeSource("alpha"), FakeSource("beta")]


@pytest.fixture
def seeder(sources: list[FakeSource]) -> Iterator[Seeder]:
    made = Seeder(list(sources))
    yield made
    made.detach()


def test_seed_everything_seeds_every_live_source(seeder: Seeder, sources: list[FakeSource]) -> None:
    report = seeder.seed_everything(7)
    assert report.seeded == ("alpha", "beta") and report.ok
    assert [source.draws() for source in sources] == [expected(7), expected(7)]
    state = seeder.state()
    assert state["seed"] == 7 and state["applied_seed"] == 7
    assert [entry["seeded_with"] for entry in state["sources"]] == [7, 7]


def test_failing_source_is_isolated_and_reported_in_one_line(sources: list[FakeSource]) -> None:
    broken = FakeSource("broken", fail=True)
    seeder = Seeder([sources[0], broken, sources[1]])
    try:
        report = seeder.seed_everything(3)
        assert report.seeded == ("alpha", "beta")
        assert list(report.failed) == ["broken"] and "\n" not in report.failed["broken"]
        assert report.failed["broken"].startswith("RuntimeError: generator exploded")
        assert sources[1].draws() == expected(3)
        assert seeder.state()["failed"] == ["broken"]
    finally:
        seeder.detach()


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.seed_everything("7"),
        lambda s: s.seed_everything(-1),
        lambda s: s.seed_everything(2**32),
        lambda s: s.seed_everything(5, deterministic="sometimes"),
        lambda s: s.set_per_cell("always"),
        lambda s: s.set_deterministic(1.5),
        lambda s: s.set_patch_default_rng("yes"),
    ],
)
def test_bad_input_leaves_state_unchanged(seeder: Seeder, sources: list[FakeSource], call: object) -> None:
    seeder.seed_everything(11)
    before = json.dumps(seeder.state())
    generator_state = sources[0].get_state()
    with pytest.raises((ValueError, TypeError)):
        call(seeder)  # type: ignore[operator]
    assert json.dumps(seeder.state()) == before
    assert sources[0].get_state() == generator_state


def test_per_cell_same_reseeds_before_every_cell(seeder: Seeder, sources: list[FakeSource]) -> None:
    seeder.seed_everything(21)
    seeder.set_per_cell("same")
    for _ in range(2):
        seeder.before_cell("cell-1", "x = 1")
        assert sources[0].draws() == expected(21)


def test_per_cell_derived_gives_each_cell_its_own_stream(seeder: Seeder, sources: list[FakeSource]) -> None:
    seeder.seed_everything(21)
    seeder.set_per_cell("derived")
    seeder.before_cell("cell-1", "")
    first = sources[0].draws()
    seeder.before_cell("cell-2", "")
    second = sources[0].draws()
    seeder.before_cell(None, "raw source")
    by_source = sources[0].draws()
    assert first == expected(derive_seed(21, "cell-1"))
    assert second == expected(derive_seed(21, "cell-2")) != first
    assert by_source == expected(derive_seed(21, "raw source"))


def test_per_cell_needs_a_seed(seeder: Seeder) -> None:
    with pytest.raises(ValueError, match="needs a seed"):
        seeder.set_per_cell("same")
    assert seeder.per_cell == "off"


def test_seeded_block_restores_every_state(seeder: Seeder, sources: list[FakeSource]) -> None:
    seeder.seed_everything(4)
    sources[0].draws(2)
    untouched = FakeSource("copy")
    untouched.set_state(sources[0].get_state())
    with seeder.seeded(99) as report:
        assert report.seed == 99 and sources[0].draws() == expected(99)
    assert sources[0].draws() == untouched.draws()
    assert seeder.applied_seed == 4


def test_listener_errors_are_reported_not_raised(seeder: Seeder, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[int] = []

    def broken() -> None:
        raise KeyError("listener\nbroke")

    seeder.add_listener(broken)
    seeder.add_listener(lambda: calls.append(1))
    seeder.seed_everything(1)
    assert calls == [1]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "state listener failed: KeyError" in err[0]


def test_deterministic_mode_is_mirrored_by_detach(sources: list[FakeSource]) -> None:
    sources[0].flag = False
    sources[1].flag = True  # already on before us: stays on
    seeder = Seeder(list(sources))
    seeder.seed_everything(1, deterministic="strict")
    assert [s.flag for s in sources] == [True, True]
    seeder.detach()
    assert [s.flag for s in sources] == [False, True]
    assert seeder.deterministic == "off"


def test_source_imported_later_is_seeded_on_import(tmp_path: Path, seeder: Seeder) -> None:
    module = "jupyter_seed_fake_lib_unit"
    (tmp_path / f"{module}.py").write_text("value = 1\n")
    late = FakeSource("late", module)
    seeder.sources.append(late)
    sys.path.insert(0, str(tmp_path))
    try:
        report = seeder.seed_everything(8)
        assert "late" not in report.seeded and "late" in report.on_import
        __import__(module)
        assert late.imported == 1 and late.draws() == expected(8)
        assert seeder.state()["sources"][-1]["seeded_with"] == 8
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(module, None)


def test_state_is_strict_json(seeder: Seeder) -> None:
    seeder.seed_everything(2, deterministic="warn")
    json.dumps(seeder.state(), allow_nan=False)


def test_provenance_alone_equals_the_states_and_asks_only_loaded_sources(sources: list[FakeSource]) -> None:
    class Unloaded(FakeSource):
        def version(self) -> str | None:
            raise AssertionError("an unloaded source was asked its version")

    seeder = Seeder([*sources, Unloaded("gamma", module="no_such_module_here")])
    try:
        seeder.seed_everything(5)
        seeder.set_per_cell("derived")
        assert seeder.provenance() == seeder.state()["provenance"]
    finally:
        seeder.detach()
