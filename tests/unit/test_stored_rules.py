"""Pure rules of the against-stored check: float drift, what a clean verdict rests on, provenance changes."""

from __future__ import annotations

import math

import pytest

from jupyter_seed.evidence.checks.confidence import against_stored, miss_chance, run_vs_run, runs_needed
from jupyter_seed.evidence.outputs.tolerance import outputs_drift
from jupyter_seed.seeding.provenance import provenance_changes


def stream(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def result(text: str, **more: object) -> dict:
    return {"output_type": "execute_result", "data": {"text/plain": text, **more}, "metadata": {}}


def test_a_few_ulps_are_drift_with_the_largest_differences() -> None:
    stored = 0.30000000000000004
    fresh = math.nextafter(math.nextafter(stored, 1), 1)
    drift = outputs_drift([stream(f"loss {fresh!r}\n")], [stream(f"loss {stored!r}\n")])
    assert drift is not None and drift.numbers == 1
    assert drift.max_abs == pytest.approx(fresh - stored) and drift.max_rel == pytest.approx(
        (fresh - stored) / stored
    )
    assert drift.where == "stdout"


def test_numpy_column_padding_is_not_a_difference_of_its_own() -> None:
    drift = outputs_drift([result("array([0.10000001, 0.2       ])")], [result("array([0.1, 0.2])")])
    assert drift is not None and drift.max_abs == pytest.approx(1e-8)


@pytest.mark.parametrize(
    ("fresh", "stored"),
    [
        ("loss 0.4\n", "loss 0.3\n"),  # beyond tolerance
        ("epoch 2\n", "epoch 1\n"),  # integers are data
        ("total 1.0\n", "sum 1.0\n"),  # the text between numbers changed
        ("1.0 2.0\n", "1.0\n"),  # a number more
        ("nan\n", "1.0\n"),
    ],
)
def test_anything_else_is_not_drift(fresh: str, stored: str) -> None:
    assert outputs_drift([stream(fresh)], [stream(stored)]) is None


def test_tolerance_is_numpy_isclose() -> None:
    assert outputs_drift([stream("1.001\n")], [stream("1.0\n")], rtol=1e-2) is not None
    assert outputs_drift([stream("1.001\n")], [stream("1.0\n")]) is None
    assert outputs_drift([stream("1e-9\n")], [stream("0.0\n")]) is not None  # atol 1e-8 around a stored zero
    assert outputs_drift([stream("1e-9\n")], [stream("0.0\n")], atol=0) is None


def test_images_and_json_follow_their_own_rules() -> None:
    image = "iVBORw0KGgo="
    assert (
        outputs_drift([result("1.0", **{"image/png": image})], [result("1.0", **{"image/png": image + "A"})])
        is None
    )
    fresh = {
        "output_type": "display_data",
        "data": {"application/json": {"a": [1.0000000001]}},
        "metadata": {},
    }
    stored = {"output_type": "display_data", "data": {"application/json": {"a": [1.0]}}, "metadata": {}}
    assert outputs_drift([fresh], [stored]) is not None


def test_streams_are_compared_each_on_its_own() -> None:
    fresh = [stream("a 1.0000000000000002\n"), stream("warning\n", "stderr")]
    stored = [stream("warning\n", "stderr"), stream("a 1.0\n")]
    assert outputs_drift(fresh, stored) is not None


def test_confidence_numbers_match_the_issue() -> None:
    assert miss_chance(2) == pytest.approx(0.81)
    assert runs_needed() == 29 and miss_chance(29) < 0.05 <= miss_chance(28)
    assert str(run_vs_run(2)) == (
        "2 identical runs: a cell that differs in 1 run out of 10 would be missed 81% of the time; "
        "--runs 29 brings that under 5%"
    )
    assert "--runs 28 brings" in str(against_stored(1)) and "81%" in str(against_stored(1))
    assert "brings" not in str(run_vs_run(30)) and run_vs_run(30).as_dict()["miss_chance"] < 0.05


def test_provenance_changes_name_from_and_to() -> None:
    recorded = {
        "python": "3.10.1",
        "device": "cuda",
        "hash_seed_fixed": True,
        "seed": 1,
        "frameworks": {"numpy": "1.26.4", "torch": "2.3.0"},
        "precision": {"torch.float32_matmul_precision": "highest", "jax_threefry_partitionable": False},
    }
    current = {
        "python": "3.11.7",
        "device": "cpu",
        "hash_seed_fixed": True,
        "seed": 1,
        "frameworks": {"numpy": "2.4.6", "torch": "2.3.0"},
        "precision": {"torch.float32_matmul_precision": "high"},
    }
    assert provenance_changes(recorded, current) == [
        "numpy 1.26.4 → 2.4.6",
        "torch.float32_matmul_precision highest → high",
        "Python 3.10.1 → 3.11.7",
        "device cuda → cpu",
    ]
    assert provenance_changes(current, current) == []
    assert provenance_changes({"frameworks": {"no_such_framework_xyz": "1.0"}}, {"frameworks": {}}) == [
        "no_such_framework_xyz 1.0 → not installed"
    ]
