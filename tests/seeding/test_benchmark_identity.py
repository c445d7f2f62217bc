"""Our reseed gives exactly the streams of the seeding functions people use today.

The benchmark (benchmarks/run.py) compares times; this file pins what makes the
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

Everything runs in one fresh interpreter (the anchors change global flags and
environment variables that other tests must not see).
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

import pytest
from support import run_python

pytest.importorskip("numpy")
pytest.importorskip("torch")
pytest.importorskip("tensorflow")
pytest.importorskip("keras")

SEEDS = (0, 1, 3407, 2**31 - 1, 2**32 - 1)

ANCHORS = {
    "lightning": "lightning",
    "accelerate": "accelerate",
    "monai": "monai",
    "keras": "keras",
}

CHILD = r"""
import json, os, random, sys
import numpy as np, torch, tensorflow as tf, keras
import jupyter_seed
from jupyter_seed.seeding.seeder import get_seeder

SEEDS = %(seeds)r
seeder = get_seeder()

def official(s):
    random.seed(s); np.random.seed(s); torch.manual_seed(s); tf.random.set_seed(s)

references = {"official": official}
try:
    import lightning
    references["lightning"] = lambda s: (lightning.seed_everything(s, verbose=False), tf.random.set_seed(s))
except ImportError:
    pass
try:
    from accelerate.utils import set_seed
    references["accelerate"] = lambda s: (set_seed(s), tf.random.set_seed(s))
except ImportError:
    pass
try:
    from monai.utils import set_determinism
    references["monai"] = lambda s: (set_determinism(seed=s), tf.random.set_seed(s))
except ImportError:
    pass
references["keras"] = lambda s: (keras.utils.set_random_seed(s), torch.manual_seed(s))

def draws(with_keras):
    out = {
        "random": [random.random(), random.getrandbits(64), random.randint(0, 10**9)],
        "numpy": np.random.rand(4).tolist() + np.random.randint(0, 2**31, 3).tolist(),
        "torch": torch.rand(4).tolist() + torch.randn(2).tolist() + torch.randint(0, 2**31, (2,)).tolist(),
        "tensorflow": tf.random.uniform([4]).numpy().tolist() + tf.random.normal([2]).numpy().tolist(),
    }
    if with_keras:
        out["keras"] = keras.random.normal([3]).numpy().tolist()
    return out

def disturb():
    random.random(); np.random.rand(3); torch.rand(3); tf.random.uniform([3])
    keras.random.normal([1])

def hook_same(s):
    seeder.seed_everything(s)
    seeder.set_per_cell("same")
    disturb()  # the hook itself must bring the streams back
    try:
        seeder.before_cell("some-cell-id", "x = 1")
    finally:
        seeder.set_per_cell("off")

ours = {
    "Seeder.reseed": seeder.reseed,
    "seed_everything": jupyter_seed.seed_everything,
    "per-cell hook (same)": hook_same,
}

jupyter_seed.seed_everything(12345)  # installs everything once, as %%seed does
result = {"available": sorted(references), "checks": []}
for name, reference in references.items():
    with_keras = name == "keras"
    for s in SEEDS:
        reference(s)
        want = draws(with_keras)
        for label, call in ours.items():
            disturb()
            call(s)
            got = draws(with_keras)
            result["checks"].append({"reference": name, "ours": label, "seed": s,
                                     "differs": sorted(k for k in want if want[k] != got[k])})
            disturb()
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def identity() -> dict[str, Any]:
    out = run_python(CHILD % {"seeds": SEEDS}, env={"KERAS_BACKEND": "tensorflow"}, timeout=280)
    return json.loads(out.strip().splitlines()[-1])


def _checks(identity: dict[str, Any], reference: str) -> list[dict[str, Any]]:
    checks = [c for c in identity["checks"] if c["reference"] == reference]
    assert len(checks) == len(SEEDS) * 3
    return checks


def test_streams_equal_the_official_per_framework_calls(identity: dict[str, Any]) -> None:
    bad = [c for c in _checks(identity, "official") if c["differs"]]
    assert not bad, bad


@pytest.mark.parametrize("anchor", sorted(ANCHORS))
def test_streams_equal_the_anchor(identity: dict[str, Any], anchor: str) -> None:
    if importlib.util.find_spec(ANCHORS[anchor]) is None:
        # The test extra includes bench, so CI always compares against every anchor.
        message = f"{anchor} is not installed (pip install -e .[bench])"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert anchor in identity["available"]
    bad = [c for c in _checks(identity, anchor) if c["differs"]]
    assert not bad, bad
