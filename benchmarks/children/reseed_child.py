"""Reseed-section child: per-call time of every reseed candidate, in one process with every framework loaded.

    python benchmarks/children/reseed_child.py ROUNDS BATCH USE_ANCHORS

Candidates take turns round by round (the order rotating); each round times BATCH calls with
the garbage collector off. Prints one JSON line: per-round µs per call of each candidate,
whether each anchor and the official calls leave the streams ours leaves, and the anchors
that are not installed.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# After the variable TensorFlow reads at import, in the order the figures were taken with.
# isort: off
import numpy as np  # noqa: E402
import torch  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

# isort: on
from benchmarks.anchors import ANCHORS, ANCHORS_BY_KEY, Anchor, SeedFunction  # noqa: E402

SEED = 3407
OFFICIAL = "official calls: random+np+torch.manual_seed+tf"

Call = Callable[[], object]


def with_our_seed(seed_with: SeedFunction) -> Call:
    return lambda: seed_with(SEED)


def load_anchors(use_anchors: bool) -> tuple[dict[str, tuple[Anchor, Call]], list[str]]:
    anchors: dict[str, tuple[Anchor, Call]] = {}
    unavailable: list[str] = []
    for anchor in ANCHORS:
        if anchor.key == "keras" or not use_anchors:
            continue
        try:
            seed_with = anchor.load()
        except ImportError:
            unavailable.append(anchor.name)
            continue
        anchors[anchor.name] = (anchor, with_our_seed(seed_with))
    # Keras is loaded in this process in every run: its anchor is always measured.
    keras_anchor = ANCHORS_BY_KEY["keras"]
    anchors[keras_anchor.name] = (keras_anchor, with_our_seed(keras_anchor.load()))
    return anchors, unavailable


def official() -> None:
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    tf.random.set_seed(SEED)


def main() -> None:
    rounds, batch, use_anchors = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    anchors, unavailable = load_anchors(use_anchors)
    logging.disable(logging.INFO)  # Lightning's "Seed set to" line; it still builds the message

    import jupyter_seed
    from jupyter_seed.seeding.seeder import get_seeder

    seeder = get_seeder()
    jupyter_seed.seed_everything(SEED)
    from keras.src.backend.common import global_state  # the floor: what Keras' own reseed sets
    from keras.src.random import seed_generator

    generator = torch.default_generator

    def keras_state() -> None:
        global_state.set_global_attribute("global_random_seed", SEED)
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)

    def hook() -> None:
        seeder.before_cell("cell-1", "")

    def set_mode(mode: str) -> Callable[[], None]:
        def setup() -> None:
            seeder.set_per_cell(mode)

        return setup

    candidates: dict[str, tuple[Call, Callable[[], None] | None]] = {
        "ours: Seeder.reseed (hot path)": (lambda: seeder.reseed(SEED), None),
        "ours: per-cell hook, same": (hook, set_mode("same")),
        "ours: per-cell hook, derived": (hook, set_mode("derived")),
        "ours: jupyter_seed.seed_everything": (lambda: jupyter_seed.seed_everything(SEED), set_mode("off")),
        OFFICIAL: (official, None),
        **{name: (call, None) for name, (_, call) in anchors.items()},
        "floor: random.seed": (lambda: random.seed(SEED), None),
        "floor: np.random.seed": (lambda: np.random.seed(SEED), None),
        "floor: torch.default_generator.manual_seed": (lambda: generator.manual_seed(SEED), None),
        "floor: tf.random.set_seed": (lambda: tf.random.set_seed(SEED), None),
        "floor: keras global seed + SeedGenerator reset": (keras_state, None),
    }
    times: dict[str, list[float]] = {name: [] for name in candidates}
    clock = time.perf_counter_ns
    names = list(candidates)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            call, setup = candidates[name]
            if setup:
                setup()
            call()
            call()
            gc.disable()
            started = clock()
            for _ in range(batch):
                call()
            elapsed = clock() - started
            gc.enable()
            times[name].append(elapsed / batch / 1e3)
    seeder.set_per_cell("off")

    # Stream identity (informational; tests/seeding/test_benchmark_identity.py asserts it).
    def draws(anchor: Anchor | None) -> list[Any]:
        out: list[Any] = [random.random(), np.random.rand(3).tolist()]
        if anchor is None or anchor.seeds_torch:
            out.append(torch.rand(3).tolist())
        if anchor is None or anchor.seeds_tensorflow:
            out.append(tf.random.uniform([3]).numpy().tolist())
        if anchor is not None and anchor.seeds_keras:
            out.append(keras.random.normal([3]).numpy().tolist())
        return out

    same: dict[str, bool] = {}
    references: list[tuple[str, Anchor | None, Call]] = [
        (name, a, call) for name, (a, call) in anchors.items()
    ]
    for name, anchor, call in [*references, (OFFICIAL, None, official)]:
        call()
        want = draws(anchor)
        seeder.reseed(SEED)
        same[name] = draws(anchor) == want
    print(json.dumps({"times": times, "same": same, "unavailable": unavailable}))


if __name__ == "__main__":
    main()
