"""Full deterministic mode also sets the variables frameworks read once at start-up, for children."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import jupyter_seed
from jupyter_seed.seeding.sources.torch_source import START_UP_VARIABLES

pytest.importorskip("torch")


def test_deterministic_mode_sets_them_for_children_and_off_restores(seeder: object) -> None:
    import torch  # noqa: F401 - the torch source owns the variables

    before = {name: os.environ.get(name) for name in START_UP_VARIABLES}
    assert before == {name: None for name in START_UP_VARIABLES}
    jupyter_seed.seed_everything(3, deterministic=True)
    assert {name: os.environ.get(name) for name in START_UP_VARIABLES} == START_UP_VARIABLES
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ.get('FLASH_ATTENTION_DETERMINISTIC'))"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    assert child.stdout.strip() == "1"
    torch_row = next(s for s in jupyter_seed.state()["sources"] if s["name"] == "torch")
    assert torch_row["determinism"]["start-up variables (children only)"] == (
        "FLASH_ATTENTION_DETERMINISTIC=1 NCCL_DETERMINISTIC=1"
    )
    jupyter_seed.seed_everything(3, deterministic="off")
    assert {name: os.environ.get(name) for name in START_UP_VARIABLES} == before


def test_a_value_the_user_set_is_kept(seeder: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch  # noqa: F401

    monkeypatch.setenv("NCCL_DETERMINISTIC", "0")
    jupyter_seed.seed_everything(3, deterministic=True)
    assert os.environ["NCCL_DETERMINISTIC"] == "0"
    jupyter_seed.seed_everything(3, deterministic="off")
    assert os.environ["NCCL_DETERMINISTIC"] == "0"
