"""Headless runs print nothing of ours: no "No handler found for comm target 'jupyter_seed'".

Before, ``%load_ext`` announced itself by opening a comm to the front end, which
nbclient (and so nbconvert --execute, papermill, jupyter execute) logged. The
toolbar now notices the load from iopub traffic instead (labextension/src/connection.ts).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.kernel

OURS = ("comm target", "jupyter_seed", "jupyter-seed")


def _notebook(path: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("%load_ext jupyter_seed"),
        nbformat.v4.new_code_cell("%seed 3 --quiet"),
        nbformat.v4.new_code_cell("import random\nrandom.random()"),
        nbformat.v4.new_code_cell("%unload_ext jupyter_seed\n%load_ext jupyter_seed"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def _assert_nothing_of_ours(text: str) -> None:
    lines = [line for line in text.splitlines() if any(word in line for word in OURS)]
    assert lines == [], lines


def test_nbclient_logs_nothing_of_ours(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from nbclient import NotebookClient

    caplog.set_level(logging.INFO)
    notebook = nbformat.read(_notebook(tmp_path / "nb.ipynb"), as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    assert notebook.cells[2].outputs[0]["data"]["text/plain"] == repr(__import__("random").Random(3).random())
    _assert_nothing_of_ours("\n".join(record.getMessage() for record in caplog.records))


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--stdout"],
        ["-m", "jupyter", "execute"],
        ["-m", "papermill", "--stdout-file", "/dev/null", "{path}", "out.ipynb"],
    ],
    ids=["nbconvert", "jupyter-execute", "papermill"],
)
def test_command_line_runners_print_nothing_of_ours(tmp_path: Path, command: list[str]) -> None:
    path = _notebook(tmp_path / "nb.ipynb")
    argv = [part.replace("{path}", str(path)) for part in command]
    if "{path}" not in command:
        argv.append(str(path))
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    _assert_nothing_of_ours(done.stderr)
