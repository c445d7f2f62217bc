"""Our reseed gives exactly the streams of the seeding functions people use today.

The benchmark (``python -m benchmarks``) compares times; this file pins what makes the
comparison fair: after ``Seeder.reseed`` (the per-cell hot path), the public
``seed_everything`` and the per-cell hook, the next draws from ``random``, NumPy,
PyTorch and TensorFlow (and Keras) equal those after

* the official per-framework calls (always checked),
* Lightning ``seed_everything``, accelerate ``set_seed``, MONAI
  ``set_determinism(seed=)`` and ``keras.utils.set_random_seed`` (the ``bench``
  extra; each is skipped only when its package is not installed).

Lightning, accelerate and MONAI do not seed TensorFlow, and Keras with the
TensorFlow backend does not seed torch: the reference completes them with the
official call for that one framework, so all four streams are compared each time.

Everything runs in one fresh interpreter, benchmarks/children/stream_identity.py (the
anchors change global flags and environment variables that other tests must not see);
the anchors are the benchmark's own, benchmarks/anchors.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.anchors import ANCHORS

pytest.importorskip("numpy")
pytest.importorskip("torch")
pytest.importorskip("tensorflow")
pytest.importorskip("keras")

ROOT = Path(__file__).resolve().parents[2]
SEEDS = (0, 1, 3407, 2**31 - 1, 2**32 - 1)
MODULE_OF = {anchor.key: anchor.module for anchor in ANCHORS}

CHILD = ROOT / "benchmarks" / "children" / "stream_identity.py"


@pytest.fixture(scope="module")
def identity() -> dict[str, Any]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(CHILD), *map(str, SEEDS)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=280,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-5000:]}"
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def _checks(identity: dict[str, Any], reference: str) -> list[dict[str, Any]]:
    checks = [c for c in identity["checks"] if c["reference"] == reference]
    assert len(checks) == len(SEEDS) * 3
    return checks


def test_streams_equal_the_official_per_framework_calls(identity: dict[str, Any]) -> None:
    bad = [c for c in _checks(identity, "official") if c["differs"]]
    assert not bad, bad


@pytest.mark.parametrize("anchor", sorted(MODULE_OF))
def test_streams_equal_the_anchor(identity: dict[str, Any], anchor: str) -> None:
    if importlib.util.find_spec(MODULE_OF[anchor]) is None:
        # The test extra includes bench, so CI always compares against every anchor.
        message = f"{anchor} is not installed (pip install -e .[bench])"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert anchor in identity["available"]
    bad = [c for c in _checks(identity, anchor) if c["differs"]]
    assert not bad, bad
