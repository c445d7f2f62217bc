"""papermill: `papermill nb.ipynb out.ipynb -p seed 7` with `%seed $seed` reproduces, run after run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("papermill")
pytest.importorskip("numpy")

pytestmark = pytest.mark.kernel


def _notebook(path: Path) -> None:
    parameters = nbformat.v4.new_code_cell("seed = 0")
    parameters.metadata["tags"] = ["parameters"]
    cells = [
        parameters,
        nbformat.v4.new_code_cell("%load_ext jupyter_seed\n%seed $seed -q"),
        nbformat.v4.new_code_cell("import numpy as np, random\nprint(np.random.rand(3).tolist(), random.random())"),
        nbformat.v4.new_code_cell("import jupyter_seed\nprint('seed', jupyter_seed.state()['seed'])"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


def _papermill(source: Path, target: Path, seed: int) -> list[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-m", "papermill", str(source), str(target), "-p", "seed", str(seed),
         "-k", "python3", "--no-progress-bar"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    executed = json.loads(target.read_text())
    return ["".join(output.get("text", "")) for cell in executed["cells"] for output in cell.get("outputs", [])]


def test_papermill_parameter_seeds_the_notebook_and_reproduces(tmp_path: Path) -> None:
    import random

    import numpy as np

    source = tmp_path / "train.ipynb"
    _notebook(source)
    first = _papermill(source, tmp_path / "out-7a.ipynb", 7)
    again = _papermill(source, tmp_path / "out-7b.ipynb", 7)
    other = _papermill(source, tmp_path / "out-8.ipynb", 8)
    assert first == again
    assert first != other
    assert "seed 7\n" in first
    np.random.seed(7)
    random.seed(7)
    assert first[0] == f"{np.random.rand(3).tolist()} {random.random()}\n"
