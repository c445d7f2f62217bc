"""Checkpoints and the pytest-randomly reseeder over fake sources: fast, no framework."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from fakes import FakeSource, expected

from jupyter_seed.seeding import pytest_randomly
from jupyter_seed.seeding.checkpoint import CheckpointError, load_state, save_state
from jupyter_seed.seeding.seeder import Seeder

pytest.importorskip("numpy")  # the archive format


@pytest.fixture
def fake_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("fake_a", "fake_b"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))


def _seeder(*sources: FakeSource) -> Seeder:
    return Seeder(list(sources))


def test_round_trip_and_all_or_nothing(fake_modules, tmp_path: Path) -> None:
    first, second = FakeSource("a", "fake_a"), FakeSource("b", "fake_b")
    seeder = _seeder(first, second)
    seeder.seed_everything(4)
    path = tmp_path / "fake.npz"
    assert save_state(path, seeder) == ["a", "b"]
    after_save = (first.draws(), second.draws())
    load_state(path, seeder)
    assert (first.draws(), second.draws()) == after_save

    seeder.seed_everything(9)
    second.set_state = lambda state: (_ for _ in ()).throw(RuntimeError("lost"))  # type: ignore[method-assign]
    with pytest.raises(CheckpointError, match="cannot apply the state of b"):
        load_state(path, seeder)
    assert first.draws() == expected(9), "a was put back after b failed"


def test_version_mismatch_and_missing_source_are_refused(fake_modules, tmp_path: Path, monkeypatch) -> None:
    source = FakeSource("a", "fake_a")
    seeder = _seeder(source)
    seeder.seed_everything(4)
    path = tmp_path / "fake.npz"
    save_state(path, seeder)
    monkeypatch.setattr(source, "version", lambda: "2.0")
    with pytest.raises(CheckpointError, match=r"written with a \(no version\), this kernel has 2.0"):
        load_state(path, seeder)
    monkeypatch.delitem(sys.modules, "fake_a")
    with pytest.raises(CheckpointError, match="is not imported here"):
        load_state(path, seeder)


def test_unreadable_state_is_skipped_and_named(fake_modules, tmp_path: Path) -> None:
    source = FakeSource("a", "fake_a")
    source.get_state = lambda: None  # type: ignore[method-assign]
    seeder = _seeder(source, FakeSource("b", "fake_b"))
    seeder.seed_everything(1)
    assert save_state(tmp_path / "s.npz", seeder) == ["b"]


def test_pytest_randomly_reseeder(monkeypatch, fake_modules, capsys) -> None:
    own = FakeSource("random", "fake_a")  # pytest-randomly's own: left alone
    ours = FakeSource("b", "fake_b")
    broken = FakeSource("c", "fake_b", fail=True)
    monkeypatch.setattr(pytest_randomly, "get_seeder", lambda: _seeder(own, ours, broken))
    own.generator.seed(123)
    before = own.generator.getstate()
    pytest_randomly.random_seeder(2**32 + 17)
    assert own.generator.getstate() == before
    assert ours.draws() == expected(17)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "seeding c for pytest-randomly failed" in err[0]
