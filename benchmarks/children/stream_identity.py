"""The streams our reseed leaves, against those the anchors and the official calls leave.

    python benchmarks/children/stream_identity.py SEED [SEED ...]

Run by tests/seeding/test_benchmark_identity.py in a fresh interpreter (the anchors change
global flags and environment variables other tests must not see). After each reference call
and each of ours (``Seeder.reseed``, ``seed_everything``, the per-cell hook in ``same`` mode),
the next draws of random, NumPy, torch and TensorFlow (and Keras, for the Keras anchor) are
compared. An anchor that does not seed torch or TensorFlow is completed with the official call
for that one framework, so all four streams are compared every time. Prints one JSON line.
"""

from __future__ import annotations

import json
import logging
import random
import sys
from collections.abc import Callable
from typing import Any

# isort: off
import numpy as np
import torch
import tensorflow as tf
import keras

# isort: on
import jupyter_seed
from benchmarks.anchors import ANCHORS, Anchor
from jupyter_seed.seeding.seeder import get_seeder

Reference = Callable[[int], object]


def official(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    tf.random.set_seed(seed)


def completed(anchor: Anchor) -> Reference:
    """The anchor, plus the official call for each framework it leaves alone."""
    seed_with = anchor.load()

    def reference(seed: int) -> None:
        seed_with(seed)
        if not anchor.seeds_tensorflow:
            tf.random.set_seed(seed)
        if not anchor.seeds_torch:
            torch.manual_seed(seed)

    return reference


def draws(with_keras: bool) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {
        "random": [random.random(), random.getrandbits(64), random.randint(0, 10**9)],
        "numpy": np.random.rand(4).tolist() + np.random.randint(0, 2**31, 3).tolist(),
        "torch": torch.rand(4).tolist() + torch.randn(2).tolist() + torch.randint(0, 2**31, (2,)).tolist(),
        "tensorflow": tf.random.uniform([4]).numpy().tolist() + tf.random.normal([2]).numpy().tolist(),
    }
    if with_keras:
        out["keras"] = keras.random.normal([3]).numpy().tolist()
    return out


def disturb() -> None:
    random.random()
    np.random.rand(3)
    torch.rand(3)
    tf.random.uniform([3])
    keras.random.normal([1])


def main() -> None:
    seeds = [int(arg) for arg in sys.argv[1:]]
    logging.disable(logging.INFO)  # Lightning's "Seed set to" line
    seeder = get_seeder()

    def hook_same(seed: int) -> None:
        seeder.seed_everything(seed)
        seeder.set_per_cell("same")
        disturb()  # the hook itself must bring the streams back
        try:
            seeder.before_cell("some-cell-id", "x = 1")
        finally:
            seeder.set_per_cell("off")

    references: dict[str, tuple[Reference, bool]] = {"official": (official, False)}
    for anchor in ANCHORS:
        try:
            references[anchor.key] = (completed(anchor), anchor.seeds_keras)
        except ImportError:
            continue
    ours: dict[str, Reference] = {
        "Seeder.reseed": seeder.reseed,
        "seed_everything": jupyter_seed.seed_everything,
        "per-cell hook (same)": hook_same,
    }
    jupyter_seed.seed_everything(12345)  # installs everything once, as %%seed does
    result: dict[str, Any] = {"available": sorted(references), "checks": []}
    for name, (reference, with_keras) in references.items():
        for seed in seeds:
            reference(seed)
            want = draws(with_keras)
            for label, call in ours.items():
                disturb()
                call(seed)
                got = draws(with_keras)
                differs = sorted(k for k in want if want[k] != got[k])
                result["checks"].append({"reference": name, "ours": label, "seed": seed, "differs": differs})
                disturb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
