"""The doctor runs TensorFlow's op-determinism experiment when TF is imported and reports what TF names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localize_support import write_notebook

from jupyter_seed.evidence.checks.doctor_runs import NotebookRuns
from jupyter_seed.evidence.checks.doctor_tensorflow import imports_tensorflow, tensorflow_causes
from jupyter_seed.evidence.checks.runner import load_notebook


def _runner(notebook: Any, folder: Path) -> Any:
    run_args = {"seed": None, "per_cell": None, "cwd": str(folder), "timeout": 120, "parallel": 1}
    return NotebookRuns(notebook, run_args, lambda a, b: a == b)


def test_tensorflow_names_the_unseeded_random_op_of_the_differing_cell(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "tf.ipynb",
        "import tensorflow as tf\nbase = tf.ones((2, 2))",
        "noise = tf.random.uniform((2, 2))\nprint((base + noise).numpy())",
    )
    notebook = load_notebook(path)
    assert imports_tensorflow(notebook)
    found = tensorflow_causes(notebook, [2], _runner(notebook, tmp_path))
    assert list(found) == [2]
    cause = found[2][0]
    assert cause.kind == "TensorFlow op determinism" and cause.confirmed
    assert "Random ops require a seed" in cause.evidence and "the cell raised" in cause.evidence


def test_no_tensorflow_no_experiment(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "plain.ipynb", "import random\nprint(random.random())")
    notebook = load_notebook(path)
    class Counting:
        concurrency = 1
        calls = 0

        def run(self, variants: list[Any], last_cell: int) -> list[Any]:
            self.calls += 1
            return []

    runs = Counting()
    assert tensorflow_causes(notebook, [1], runs) == {}  # type: ignore[arg-type]
    assert runs.calls == 0, "the experiment ran without TensorFlow in the notebook"
