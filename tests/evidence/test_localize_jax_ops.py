"""JAX primitives in the localizer: real kernels, real JAX on CPU, jit turned off only while traced."""

from __future__ import annotations

from pathlib import Path

import pytest
from localize_support import localize, write_notebook

from jupyter_seed.evidence.checks.localize.jax_ops import op_label

pytest.importorskip("jax")


def test_op_labels_are_the_primitives_names() -> None:
    assert op_label("scatter-add") == "jax:scatter-add"
    assert op_label("pure_callback") == "jax:pure_callback"


def test_a_library_callback_inside_a_jitted_function_is_named_as_the_primitive(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "jax_callback.ipynb",
        """
        import jax
        import jax.numpy as jnp
        import numpy as np

        @jax.jit
        def shuffle_and_sum(x):
            scaled = jnp.sin(x) * 2.0
            shuffled = jax.pure_callback(np.random.permutation, jax.ShapeDtypeStruct(x.shape, x.dtype), scaled)
            return shuffled * jnp.arange(4.0)
        """,
        """
        values = jnp.arange(4.0)
        weighted = shuffle_and_sum(values)
        print(weighted)
        """,
    )
    # As it is: NumPy's global generator is unseeded, so the callback's result differs, with the
    # same inputs, inside the body of the jitted function (traced as Python while jit is off).
    found = localize(notebook, 2, seed=None)
    assert found is not None
    assert (found.file, found.line, found.what) == ("cell 1", 8, "shuffled"), found
    assert (found.op, found.inputs_equal) == ("jax:pure_callback", True), found
    assert "JAX op jax:pure_callback (inputs equal, output differs: a Python callback inside JAX)" in str(found)
    assert found.fix and "%seed N" in found.fix


def test_a_numpy_difference_flowing_into_a_jitted_function_is_followed_back_to_its_line(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "jax_upstream.ipynb",
        "import numpy as np\nimport jax\nimport jax.numpy as jnp",
        """
        features = np.random.default_rng().normal(size=(3, 2)).astype("float32")
        weights = jnp.ones((2, 2))
        """,
        """
        @jax.jit
        def layer(w, x):
            return jax.nn.relu(x @ w).sum()

        loss = layer(weights, jnp.asarray(features))
        print(float(loss))
        """,
    )
    found = localize(notebook, 3)  # %seed 0 seeds NumPy's global generator, not a default_rng()
    assert found is not None
    assert (found.file, found.line, found.what) == ("cell 2", 1, "features"), found
    assert found.op is None


def test_a_clean_jax_cell_has_no_divergence(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "jax_clean.ipynb",
        "import jax",
        """
        key = jax.random.key(7)
        draw = jax.jit(lambda k: jax.random.normal(k, (3,)))(key)
        print(draw)
        """,
    )
    assert localize(notebook, 2) is None


def test_jit_is_off_only_while_traced_and_back_on_once_the_trace_is_cut(tmp_path: Path) -> None:
    import jax
    import jax.numpy as jnp
    from jax._src import core

    from jupyter_seed.evidence.checks.localize.jax_ops import JaxOpRecorder
    from jupyter_seed.evidence.checks.localize.tracer import LineTracer

    original = core.EvalTrace.__dict__["process_primitive"]
    tracer = LineTracer(str(tmp_path / "trace.jsonl"), str(tmp_path))
    recorder = JaxOpRecorder(tracer)
    try:
        recorder.enter()
        assert jax.config.jax_disable_jit and core.EvalTrace.__dict__["process_primitive"] is not original
        recorder.exit()
        assert not jax.config.jax_disable_jit and core.EvalTrace.__dict__["process_primitive"] is original
        recorder.enter()
        tracer.cut = True
        jnp.arange(3.0) + 1.0  # the first primitive after the cut puts jit back
        assert not jax.config.jax_disable_jit and core.EvalTrace.__dict__["process_primitive"] is original
        recorder.enter()  # later cells of a cut trace run compiled
        assert not jax.config.jax_disable_jit
    finally:
        recorder.exit()
        tracer.close()
    assert core.EvalTrace.__dict__["process_primitive"] is original
