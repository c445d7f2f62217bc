"""benchmarks/run.py --quick runs end to end and prints its tables (times are never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("numpy")
pytest.importorskip("torch")
pytest.importorskip("tensorflow")
pytest.importorskip("keras")


@pytest.mark.kernel
def test_quick_benchmark_prints_every_table() -> None:
    # The smallest configuration that still runs all four sections: no anchors
    # (they take seconds each to import) and only torch for the import section.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--no-anchors",
            "--frameworks",
            "torch",
        ],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-5000:]}"
    out = result.stdout
    for heading in (
        "## 1. Load",
        "## 1b. Modules imported",
        "## 2. Reseed",
        "## 3. Per-cell overhead",
        "## 3b. Inside the same kernel",
        "## 4. Post-import hook",
        "## Goals",
    ):
        assert heading in out, f"missing {heading!r} in:\n{out}"
    assert "ours: Seeder.reseed (hot path)" in out
    assert "floor: sum of the generators' own reseeds" in out
    assert "--per-cell derived" in out and "import torch" in out
    assert "NO" not in out.split("## 2. Reseed", 1)[1].split("##", 1)[0].split()  # streams column
