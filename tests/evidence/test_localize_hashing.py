"""The localizer's fingerprints of TensorFlow and Keras values (real TensorFlow on CPU)."""

from __future__ import annotations

import pytest

from jupyter_seed.evidence.checks.localize.hashing import Hasher

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")


def test_a_keras_history_is_fingerprinted_by_what_it_recorded() -> None:
    first, second, same = (keras.callbacks.History() for _ in range(3))
    first.history, second.history, same.history = {"loss": [0.31]}, {"loss": [0.32]}, {"loss": [0.31]}
    hasher = Hasher()
    assert hasher.digest(first) is not None
    assert hasher.digest(first) != hasher.digest(second)
    assert hasher.digest(first) == hasher.digest(same)


def test_tensors_and_variables_are_fingerprinted_by_their_bytes() -> None:
    hasher = Hasher()
    assert hasher.digest(tf.constant([1.0, 2.0])) == hasher.digest(tf.constant([1.0, 2.0]))
    assert hasher.digest(tf.constant([1.0, 2.0])) != hasher.digest(tf.constant([1.0, 2.5]))
    variable = tf.Variable([1.0, 2.0])
    before = hasher.digest(variable)
    variable.assign_add([1.0, 0.0])
    assert hasher.digest(variable) != before
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    before = hasher.digest(layer)
    layer.kernel.assign(tf.zeros_like(layer.kernel))
    assert hasher.digest(layer) != before
