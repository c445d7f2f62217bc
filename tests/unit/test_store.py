"""Sweep stores under faults and hostile input: torn lines, moved folders, bad records, look-alike code."""

from __future__ import annotations

import functools
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from jupyter_seed.evidence.sweeps.compare import compare
from jupyter_seed.evidence.sweeps.store import StoreError, SweepStore, load_sweep
from jupyter_seed.evidence.sweeps.sweep import sweep


def square(seed: int) -> float:
    return float(seed * seed)


def run_seeds(path: Path) -> list[int]:
    return [r["seed"] for r in map(json.loads, path.read_text().splitlines()) if r["kind"] == "run"]


# --------------------------------------------------------------- B1: torn lines
def test_a_torn_last_line_is_cut_off_and_every_later_resume_works(tmp_path: Path) -> None:
    store = tmp_path / "run.jsonl"
    sweep(square, [0, 1], save=store, progress=False)
    with store.open("a") as handle:
        handle.write('{"kind": "run", "variant": null, "se')  # kill -9 mid-write
    first = sweep(square, [0, 1, 2], save=store, progress=False)
    assert first.resumed == 2 and first.seeds == [0, 1, 2]
    second = sweep(square, [0, 1, 2, 3], save=store, progress=False)  # the old code refused this one
    assert second.resumed == 3 and second.metrics() == {s: float(s * s) for s in range(4)}
    assert run_seeds(store) == [0, 1, 2, 3]  # the first record after the crash was not lost


def test_a_complete_but_unterminated_last_line_is_kept(tmp_path: Path) -> None:
    store = tmp_path / "run.jsonl"
    sweep(square, [0, 1], save=store, progress=False)
    store.write_bytes(store.read_bytes().rstrip(b"\n"))  # the newline never reached the disk
    again = sweep(square, [0, 1, 2], save=store, progress=False)
    assert again.resumed == 2 and run_seeds(store) == [0, 1, 2]


def test_a_file_holding_only_a_torn_header_starts_afresh(tmp_path: Path) -> None:
    store = tmp_path / "run.jsonl"
    store.write_text('{"kind": "header", "form')
    result = sweep(square, [0, 1], save=store, progress=False)
    assert result.resumed == 0 and run_seeds(store) == [0, 1]
    assert json.loads(store.read_text().splitlines()[0])["kind"] == "header"


def test_a_record_glued_to_a_torn_line_by_an_older_version_is_recovered(tmp_path: Path) -> None:
    store = tmp_path / "run.jsonl"
    sweep(square, [0, 1], save=store, progress=False)
    lines = store.read_text().splitlines()
    store.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20] + lines[-1] + "\n")
    assert sorted(load_sweep(store).seeds) == [0, 1]


# ------------------------------------------------------------- B2: paths
def test_a_relative_path_is_resolved_once_even_when_the_function_changes_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path)

    def wanders(seed: int) -> float:
        os.chdir(elsewhere if seed % 2 else tmp_path)
        return float(seed)

    sweep(wanders, range(4), save="rel.jsonl", progress=False)
    assert run_seeds(tmp_path / "rel.jsonl") == [0, 1, 2, 3]
    assert not (elsewhere / "rel.jsonl").exists()
    monkeypatch.chdir(tmp_path)
    assert sweep(wanders, range(4), save="rel.jsonl", progress=False).resumed == 4


def test_a_tilde_in_save_means_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    sweep(square, [0, 1], save="~/runs/home.jsonl", progress=False)
    assert run_seeds(tmp_path / "runs" / "home.jsonl") == [0, 1] and not (tmp_path / "~").exists()


# ---------------------------------------------------------- B8: bad records
def store_with(tmp_path: Path, line: str) -> Path:
    store = tmp_path / "bad.jsonl"
    sweep(square, [0], save=store, progress=False)
    with store.open("a") as handle:
        handle.write(line + "\n")  # line 4: header, code, run 0, then this
    return store


RUN = (
    '{{"kind": "run", "variant": null, "seed": {seed}, "metrics": {metrics}, "error": null, "seconds": 0.1}}'
)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (RUN.format(seed=1, metrics="[1, 2]"), "'metrics' must be a number or a dict of numbers"),
        (RUN.format(seed=1, metrics='"high"'), "'metrics' must be a number or a dict of numbers"),
        (RUN.format(seed=1, metrics='{"acc": "0.5"}'), "metric 'acc' must be a number"),
        (RUN.format(seed=1, metrics='{"acc": {"deep": 1}}'), "metric 'acc' must be a number"),
        (RUN.format(seed=1, metrics="[" * 100_000 + "]" * 100_000), "nested too deeply"),
        (RUN.format(seed=1, metrics="1" * 400), "a number with 400 digits"),
        (RUN.format(seed=1, metrics="1e400"), "out of range"),
        (RUN.format(seed=1, metrics="NaN"), "not strict JSON"),
        (RUN.format(seed=-5, metrics="1"), "seed must be an integer in [0, 4294967295], got -5"),
        (RUN.format(seed=2**70, metrics="1"), "seed must be an integer in [0, 4294967295]"),
        (RUN.format(seed=3.9, metrics="1"), "seed must be an integer, got float"),
        (RUN.format(seed='"12"', metrics="1"), "seed must be an integer, got str"),
        (RUN.format(seed="true", metrics="1"), "seed must be an integer, got bool"),
        (
            '{"kind": "run", "variant": null, "seed": 1, "metrics": null, "error": null, "seconds": 1}',
            "either",
        ),
        ('{"kind": "sweep"}', "unknown kind"),
        ("[1, 2]", "expected a JSON object"),
        ('{"kind": "code", "variant": null, "name": "f", "hash": "sha256:other"}', "second, different code"),
    ],
)
def test_every_bad_record_is_refused_in_one_line_with_its_number(
    tmp_path: Path, line: str, message: str
) -> None:
    store = store_with(tmp_path, line)
    before = store.read_bytes()
    for attempt in (lambda: SweepStore(store), lambda: sweep(square, [0, 1], save=store, progress=False)):
        with pytest.raises(StoreError) as caught:
            attempt()
        text = str(caught.value)
        assert "line 4" in text and message in text and "\n" not in text and len(text) < 400, text
    assert store.read_bytes() == before  # refused before anything was written


def test_a_fifo_or_a_directory_is_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(StoreError, match="not a regular file"):
        load_sweep(fifo)
    with pytest.raises(StoreError, match="not a regular file"):
        load_sweep(tmp_path)


# ------------------------------------------------------- B3: code identity
def with_lr(lr: float) -> Any:
    def train(seed: int) -> float:
        return lr * seed

    return train


class Trainer:
    def __init__(self, lr: float) -> None:
        self.lr = lr

    def run(self, seed: int) -> float:
        return self.lr * seed


def scaled(seed: int, factor: float = 1.0) -> float:
    return factor * seed


@pytest.mark.parametrize(
    ("first", "second", "changed"),
    [
        (with_lr(0.1), with_lr(0.01), "closure 'lr'"),
        (Trainer(0.1).run, Trainer(0.01).run, "bound self"),
        (functools.partial(scaled, factor=2.0), functools.partial(scaled, factor=3.0), "partial"),
        (scaled, lambda seed, factor=2.0: factor * seed, "code"),
    ],
)
def test_look_alike_code_does_not_resume_as_the_same(
    tmp_path: Path, first: Any, second: Any, changed: str
) -> None:
    store = tmp_path / "run.jsonl"
    sweep(first, [0, 1], save=store, progress=False)
    assert sweep(first, [0, 1, 2], save=store, progress=False).resumed == 2  # the same code resumes
    with pytest.raises(StoreError) as caught:
        sweep(second, [0, 1, 2], save=store, progress=False)
    assert "holds results of different code" in str(caught.value) and changed in str(caught.value)


def test_a_changed_global_and_a_changed_default_are_seen(tmp_path: Path) -> None:
    namespace: dict[str, Any] = {"lr": 0.1}
    exec("def train(seed, steps=3):\n    return lr * seed * steps", namespace)  # a notebook's globals
    store = tmp_path / "run.jsonl"
    sweep(namespace["train"], [0, 1], save=store, progress=False)
    namespace["lr"] = 0.2
    with pytest.raises(StoreError, match="global 'lr'"):
        sweep(namespace["train"], [0, 1, 2], save=store, progress=False)
    namespace["lr"] = 0.1
    namespace["train"].__defaults__ = (4,)
    with pytest.raises(StoreError, match="defaults"):
        sweep(namespace["train"], [0, 1, 2], save=store, progress=False)
    namespace["train"].__defaults__ = (3,)
    assert sweep(namespace["train"], [0, 1, 2], save=store, progress=False).resumed == 2


def test_code_the_identity_cannot_cover_is_saved_but_not_resumed(tmp_path: Path) -> None:
    lock = threading.Lock()

    def guarded(seed: int) -> float:
        with lock:
            return float(seed)

    store = tmp_path / "run.jsonl"
    assert len(sweep(guarded, [0, 1], save=store, progress=False)) == 2
    with pytest.raises(StoreError) as caught:
        sweep(guarded, [0, 1, 2], save=store, progress=False)
    assert "cannot cover closure 'lock'" in str(caught.value) and "\n" not in str(caught.value)


def test_a_comparison_store_with_two_code_records_for_one_variant_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "pair.jsonl"
    compare({"a": with_lr(0.1), "b": with_lr(0.2)}, [0, 1], save=store, progress=False)
    lines = store.read_text().splitlines()
    code = json.loads(lines[1])
    code["hash"] = "sha256:" + "0" * 64
    store.write_text("\n".join([*lines, json.dumps(code)]) + "\n")
    with pytest.raises(
        StoreError, match=f"line {len(lines) + 1}: a second, different code record for variant 'a'"
    ):
        compare({"a": with_lr(0.1), "b": with_lr(0.2)}, [0, 1, 2], save=store, progress=False)


def test_a_store_from_the_older_identity_is_not_resumed(tmp_path: Path) -> None:
    store = tmp_path / "old.jsonl"
    sweep(square, [0], save=store, progress=False)
    records = [json.loads(line) for line in store.read_text().splitlines()]
    for record in records:
        for key in ("identity", "parts", "uncovered"):
            record.pop(key, None)
    store.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert load_sweep(store).seeds == [0]  # still readable for --compare
    with pytest.raises(StoreError, match="older jupyter-seed"):
        sweep(square, [0, 1], save=store, progress=False)
