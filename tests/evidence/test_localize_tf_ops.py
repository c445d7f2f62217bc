"""TensorFlow eager ops in the localizer: real kernels, real TensorFlow on CPU."""

from __future__ import annotations

from pathlib import Path

import pytest
from localize_support import localize, write_notebook

from jupyter_seed.evidence.checks.localize.tf_ops import op_label

pytest.importorskip("tensorflow")


def test_op_labels_name_raw_ops_random_ops_and_tf_functions() -> None:
    assert op_label("MatMul") == "tf.raw_ops.MatMul"
    assert op_label(b"Reshape") == "tf.raw_ops.Reshape"
    assert op_label("RandomUniform") == "tf.raw_ops.RandomUniform#random"
    assert op_label("RngReadAndSkip") == "tf.raw_ops.RngReadAndSkip#random"
    # a stateless op is a pure function of its seed input: not a draw of its own
    assert op_label("StatelessRandomNormalV2") == "tf.raw_ops.StatelessRandomNormalV2"
    assert op_label("__inference_train_step_1234") == "tf.function train_step"


def test_an_unseeded_tensorflow_draw_is_named_as_its_op_with_equal_inputs(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "tf_random.ipynb",
        "import tensorflow as tf",
        """
        scale = tf.constant([1.0, 2.0, 3.0])
        noise = tf.random.uniform([3])
        scaled = scale * noise
        print(scaled.numpy())
        """,
    )
    found = localize(notebook, 2, seed=None)  # as it is: TensorFlow's global seed left unset
    assert found is not None
    assert (found.file, found.line, found.what) == ("cell 2", 2, "noise"), found
    assert (found.op, found.inputs_equal) == ("tf.raw_ops.RandomUniform", True), found
    assert "TensorFlow op tf.raw_ops.RandomUniform" in str(found)
    assert "a random op whose generator differed" in str(found)
    assert found.fix and "%seed N" in found.fix and "tf.random.Generator.from_seed" in found.fix


def test_a_tf_function_that_draws_inside_is_named_as_the_function(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "tf_function.ipynb",
        """
        import tensorflow as tf

        @tf.function
        def augment(batch):
            return batch * tf.random.uniform(tf.shape(batch))
        """,
        """
        batch = tf.ones([4])
        augmented = augment(batch)
        print(augmented.numpy())
        """,
    )
    found = localize(notebook, 2, seed=None)
    assert found is not None
    assert (found.file, found.line, found.what) == ("cell 2", 2, "augmented"), found
    assert (found.op, found.inputs_equal) == ("tf.function augment", True), found
    assert "whose graph is not traced op by op" in str(found)
    assert found.fix and "enable_op_determinism" in found.fix


def test_a_difference_made_before_a_tensorflow_op_is_followed_back_to_its_line(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "tf_upstream.ipynb",
        "import numpy as np\nimport tensorflow as tf",
        """
        features = np.random.default_rng().normal(size=(2, 2)).astype("float32")
        weights = tf.Variable(tf.ones([2, 2]))
        """,
        """
        hidden = tf.matmul(tf.constant(features), weights)
        activated = tf.nn.relu(hidden) + 1.0
        print(float(tf.reduce_sum(activated)))
        """,
    )
    found = localize(notebook, 3)  # %seed 0 seeds TensorFlow: the unseeded NumPy generator remains
    assert found is not None
    assert (found.file, found.line, found.what) == ("cell 2", 1, "features"), found
    assert found.op is None


def test_a_keras_training_cell_is_followed_back_to_the_model_whose_weights_differ(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "keras_fit.ipynb",
        "import numpy as np\nimport keras",
        """
        x = np.linspace(0, 1, 64, dtype="float32").reshape(32, 2)
        y = (x.sum(axis=1) > 1).astype("float32")
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        """,
        """
        history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        print(round(history.history["loss"][-1], 4))
        """,
    )
    # As it is, Keras draws each layer's seed from Python's unseeded `random`: the weights differ
    # from the line that builds the model, through the History the printed loss is read from.
    found = localize(notebook, 3, seed=None)
    assert found is not None
    assert (found.file, found.line, found.what) == ("cell 2", 3, "model"), found
    assert found.op is not None and found.op.startswith("tf.raw_ops."), found
    assert found.inputs_equal is False
    assert "library code that is not traced" in str(found)
