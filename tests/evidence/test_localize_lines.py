"""The localizer finds the line and the value where two runs part: user modules, NumPy, TF, JAX, loops."""

from __future__ import annotations

from pathlib import Path

import pytest
from localize_support import line_of, localize, write_module, write_notebook

HELPERS = """
import os

import numpy as np


def draw_bytes():
    noise = os.urandom(8)
    return int.from_bytes(noise, "big") % 1000


def draw_normal():
    rng = np.random.default_rng()
    sample = rng.normal(size=3)
    return float(sample.sum())


def middle(kind):
    if kind == "bytes":
        return draw_bytes() + 1
    return draw_normal() + 1


def outer(kind):
    scaled = middle(kind) * 2
    return scaled
"""


@pytest.mark.parametrize(("kind", "needle", "what"), [
    ("bytes", "noise = os.urandom(8)", "noise"),
    ("normal", "rng = np.random.default_rng()", "rng"),
])
def test_an_unseeded_draw_three_calls_deep_in_a_helper_module_is_located(
    tmp_path: Path, kind: str, needle: str, what: str
) -> None:
    module = write_module(tmp_path, "lib/helpers.py", HELPERS)
    write_module(tmp_path, "lib/__init__.py", "")
    notebook = write_notebook(
        tmp_path / "draws.ipynb",
        "import time\nstarted = time.time()  # differs too, and never reaches the cell below",
        "from lib import helpers",
        f"total = 0\nvalue = helpers.outer({kind!r})\nprint(round(value, 6))",
        markdown_first=True,
    )
    found = localize(notebook, 4)
    assert found is not None, "no divergence found"
    assert (found.file, found.line, found.what) == ("lib/helpers.py", line_of(module, needle), what), found
    assert found.code == needle
    assert found.op is None and found.inputs_equal is None


def test_a_divergence_from_a_numpy_cell_is_followed_back_through_a_torch_model(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "flow.ipynb",
        """
        import numpy as np
        import torch
        scale = 2.0
        data = np.random.default_rng().normal(size=(16, 4)).astype("float32")
        labels = np.arange(16) % 2
        """,
        "x = torch.from_numpy(data) * scale\ny = torch.from_numpy(labels).float()",
        """
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(5):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x).squeeze(1), y)
            loss.backward()
            opt.step()
        print(f"{loss.item():.6f}")
        """,
    )
    found = localize(notebook, 3)
    assert found is not None
    assert (found.file, found.line, found.what) == ("cell 1", 4, "data"), found


def test_a_tensorflow_cell_is_localized_to_its_line(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "tf.ipynb",
        """
        import tensorflow as tf
        base = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        weights = tf.random.Generator.from_non_deterministic_state().normal((2, 2))
        product = tf.matmul(base, weights)
        print(float(tf.reduce_sum(product)))
        """,
    )
    found = localize(notebook, 1)
    assert found is not None
    assert (found.file, found.line, found.what) == ("cell 1", 3, "weights"), found


def test_a_jax_cell_is_localized_to_its_line(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "jax.ipynb",
        """
        import os
        import jax
        import jax.numpy as jnp
        key = jax.random.key(int.from_bytes(os.urandom(4), "big"))
        sample = jax.random.normal(key, (3,))
        print(float(jnp.sum(sample * 2)))
        """,
    )
    found = localize(notebook, 1)
    assert found is not None
    assert (found.file, found.line, found.what) == ("cell 1", 4, "key"), found


def test_a_cell_whose_traced_values_agree_gets_no_divergence(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "clean.ipynb",
        "import numpy as np\nrng = np.random.default_rng(7)",
        "values = rng.normal(size=4)\nprint(values.round(3))",
    )
    assert localize(notebook, 2) is None


def test_a_ten_million_step_loop_is_cut_and_the_cut_reported(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "loop.ipynb",
        "total = 0\nfor step in range(10**7):\n    total += step\nprint(total)",
    )
    found = localize(notebook, 1, max_events=20_000)
    assert found is not None and found.file is None, found
    assert found.trace_cut is not None and "cell 1, line" in found.trace_cut and "20000 events" in found.trace_cut


def test_the_tracer_stays_bounded_on_a_long_loop_in_process(tmp_path: Path) -> None:
    import tracemalloc

    from jupyter_seed.evidence.checks.localize.trace_file import read_trace
    from jupyter_seed.evidence.checks.localize.tracer import LineTracer

    cell_file = str(tmp_path / "ipykernel_1" / "2.py")
    code = compile("total = 0\nfor step in range(300_000):\n    total += step\n", cell_file, "exec")
    tracer = LineTracer(str(tmp_path / "trace.jsonl"), str(tmp_path), max_events=5_000)
    tracer.begin_cell(None, cell_file)
    tracemalloc.start()
    tracer.start()
    try:
        exec(code, {})
    finally:
        tracer.close()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert tracer.cut and peak < 8 * 2**20, peak
    trace = read_trace(str(tmp_path / "trace.jsonl"))
    assert len(trace.records) <= 5_000 and trace.cut is not None
    assert (trace.cut["file"], trace.cut["events"]) == ("cell:1", 5_000)
    assert (tmp_path / "trace.jsonl").stat().st_size < 2 * 2**20
