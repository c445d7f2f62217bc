"""After seeding, each framework's next draws equal its own official seeding."""

from __future__ import annotations

import random

import numpy as np
import pytest

import jupyter_seed

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

SEED = 3407


def draws() -> dict[str, object]:
    """One draw from every global stream."""
    return {
        "random": random.random(),
        "numpy": np.random.rand(3).tolist(),
        "torch": torch.rand(3).tolist(),
        "torch_randn": torch.randn(2).tolist(),
        "tf": tf.random.uniform([3]).numpy().tolist(),
        "tf_global_generator": tf.random.get_global_generator().normal([2]).numpy().tolist(),
        "keras": keras.random.normal([2]).numpy().tolist(),
    }


def official(seed: int) -> dict[str, object]:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    tf.random.set_seed(seed)
    tf.random.set_global_generator(tf.random.Generator.from_seed(seed))
    keras.utils.set_random_seed(seed)
    return draws()


def test_streams_equal_official_seeding(seeder: object) -> None:
    expected = official(SEED)
    report = jupyter_seed.seed_everything(SEED)
    assert {"random", "numpy", "torch", "tensorflow", "keras"} <= set(report.seeded)
    assert report.ok
    assert draws() == expected


def test_reseed_restarts_streams(seeder: object) -> None:
    jupyter_seed.seed_everything(11)
    first = draws()
    jupyter_seed.seed_everything(11)
    assert draws() == first
    jupyter_seed.seed_everything(12)
    assert draws() != first


def test_keras_matches_set_random_seed_alone(seeder: object) -> None:
    keras.utils.set_random_seed(5)
    expected = (random.random(), np.random.rand(), keras.random.uniform([2]).numpy().tolist(),
                tf.random.uniform([2]).numpy().tolist())
    jupyter_seed.seed_everything(5)
    got = (random.random(), np.random.rand(), keras.random.uniform([2]).numpy().tolist(),
           tf.random.uniform([2]).numpy().tolist())
    assert got == expected


def test_keras_layer_initialisation_is_reproducible(seeder: object) -> None:
    def weights() -> list[float]:
        layer = keras.layers.Dense(4)
        layer.build((None, 3))
        return layer.kernel.numpy().ravel().tolist()

    jupyter_seed.seed_everything(21)
    first = weights()
    jupyter_seed.seed_everything(21)
    assert weights() == first


def test_tf_global_generator_created_after_seeding_starts_from_seed(seeder: object) -> None:
    from tensorflow.python.ops import stateful_random_ops

    stateful_random_ops.global_generator = None
    jupyter_seed.seed_everything(77)
    got = tf.random.get_global_generator().uniform([3]).numpy().tolist()
    assert got == tf.random.Generator.from_seed(77).uniform([3]).numpy().tolist()


def test_seeded_restores_outer_streams_exactly(seeder: object) -> None:
    inner_expected = official(999)

    jupyter_seed.seed_everything(1)
    draws()
    undisturbed = draws()

    jupyter_seed.seed_everything(1)
    draws()
    with jupyter_seed.seeded(999) as report:
        assert {"random", "numpy", "torch", "tensorflow", "keras"} <= set(report.seeded)
        inner = draws()
    assert inner == inner_expected
    assert draws() == undisturbed
    assert jupyter_seed.state()["applied_seed"] == 1


def test_seeded_restores_on_exception(seeder: object) -> None:
    jupyter_seed.seed_everything(2)
    before = (random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state().tolist())
    with pytest.raises(ZeroDivisionError):
        with jupyter_seed.seeded(3):
            random.random()
            np.random.rand()
            torch.rand(1)
            raise ZeroDivisionError
    after = (random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state().tolist())
    assert after == before
    assert jupyter_seed.state()["applied_seed"] == 2


def test_state_reads_back_framework_seeds(seeder: object) -> None:
    jupyter_seed.seed_everything(8)
    torch.manual_seed(9)  # the user reseeds torch behind our back
    sources = {entry["name"]: entry for entry in jupyter_seed.state()["sources"]}
    assert sources["torch"]["seeded_with"] == 9 and sources["torch"]["seeded"] is False
    assert sources["tensorflow"]["seeded_with"] == 8 and sources["tensorflow"]["seeded"] is True
    assert sources["keras"]["seeded_with"] == 8
    assert sources["numpy"]["seeded"] is True


def test_deterministic_mode_is_read_back_from_frameworks(seeder: object) -> None:
    from tensorflow.python.framework import config

    jupyter_seed.seed_everything(4, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert not torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert config.is_op_determinism_enabled()
    flags = {entry["name"]: entry["determinism"] for entry in jupyter_seed.state()["sources"]}
    assert flags["torch"]["deterministic_algorithms"] is True
    assert flags["torch"]["CUBLAS_WORKSPACE_CONFIG"] in (":4096:8", ":16:8")
    assert flags["tensorflow"]["op_determinism"] is True

    jupyter_seed.seed_everything(4, deterministic="warn")
    assert torch.is_deterministic_algorithms_warn_only_enabled()

    jupyter_seed.seed_everything(4, deterministic=False)
    assert not torch.are_deterministic_algorithms_enabled()
    assert not config.is_op_determinism_enabled()
    flags = {entry["name"]: entry["determinism"] for entry in jupyter_seed.state()["sources"]}
    assert flags["torch"]["deterministic_algorithms"] is False
    assert flags["tensorflow"]["op_determinism"] is False


def test_state_is_json_serialisable(seeder: object) -> None:
    import json

    jupyter_seed.seed_everything(6, deterministic="strict")
    state = jupyter_seed.state()
    assert json.loads(json.dumps(state)) == state
    assert state["protocol"] == 1 and state["seed"] == 6 and state["deterministic"] == "strict"


def test_jax_key_equals_official_key(seeder: object) -> None:
    jax = pytest.importorskip("jax")
    jupyter_seed.seed_everything(13)
    ours = jax.random.normal(jupyter_seed.jax_key(), (3,))
    theirs = jax.random.normal(jax.random.key(13), (3,))
    assert ours.tolist() == theirs.tolist()
