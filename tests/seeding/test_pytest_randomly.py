"""pytest-randomly reaches torch and polars through our entry point: same seed, same draws, any order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pytest_randomly")
pytest.importorskip("torch")

TESTS = '''
import json, os, torch
try:
    import polars as pl
except ImportError:
    pl = None

def _record(name):
    draws = {"torch": torch.rand(3).tolist()}
    if pl is not None:
        draws["polars"] = pl.DataFrame({"a": range(50)}).sample(4)["a"].to_list()
    with open(os.environ["DRAWS_FILE"], "a") as handle:
        handle.write(json.dumps({name: draws}) + "\\n")

def test_a():
    torch.rand(1000)  # consumes the stream: a later test must not depend on it
    _record("a")

def test_b():
    _record("b")

def test_c():
    torch.randn(77)
    _record("c")
'''


def _run(tmp_path: Path, *options: str) -> dict[str, dict]:
    draws = tmp_path / f"draws-{len(list(tmp_path.glob('draws-*')))}.jsonl"
    env = {**os.environ, "DRAWS_FILE": str(draws), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "randomly", "-p", "no:cacheprovider",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), *options],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found: dict[str, dict] = {}
    for line in draws.read_text().splitlines():
        found.update(json.loads(line))
    return found


def test_same_randomly_seed_gives_same_draws_in_any_order(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_draws.py").write_text(textwrap.dedent(TESTS))
    shuffled = _run(tmp_path, "--randomly-seed=1234")
    in_file_order = _run(tmp_path, "--randomly-seed=1234", "--randomly-dont-reorganize")
    reversed_order = _run(
        tmp_path, "--randomly-seed=1234", "--randomly-dont-reorganize",
        "test_draws.py::test_c", "test_draws.py::test_b", "test_draws.py::test_a",
    )
    assert shuffled == in_file_order == reversed_order
    assert shuffled["a"]["torch"] != shuffled["b"]["torch"], "each test has its own seed"
    other_seed = _run(tmp_path, "--randomly-seed=99")
    assert other_seed["b"] != shuffled["b"]
    if "polars" in shuffled["b"]:
        assert other_seed["b"]["polars"] != shuffled["b"]["polars"]


def test_reseeder_leaves_random_and_numpy_to_pytest_randomly(seeder) -> None:
    import random

    import torch

    from jupyter_seed.seeding.pytest_randomly import random_seeder

    random.seed(1)
    state = random.getstate()
    random_seeder(2**32 + 5)  # pytest-randomly's per-test seeds go past 2**32
    assert random.getstate() == state
    expected = torch.rand(2)
    torch.manual_seed(5)
    assert torch.equal(torch.rand(2), expected)
