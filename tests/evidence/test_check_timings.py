"""``jupyter-seed check`` in real kernels: a sweep cell, whose per-seed wall times differ in every
run, reproduces; a cell tagged ``jupyter-seed-expect-differ`` differs without failing the check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

from jupyter_seed.evidence.checks.notebook import EXPECT_DIFFER_TAG, check_notebook
from jupyter_seed.evidence.checks.runner import execute_runs

pytestmark = pytest.mark.kernel

# Sleeps for an OS-entropy time, so the wall times of two runs differ (they would anyway).
SWEEP = (
    "%%seed --sweep 0:4\n"
    "import os, random, time\n"
    "time.sleep(0.002 + os.urandom(1)[0] / 5000)\n"
    "random.random()"
)
UNSEEDED = "import numpy as np\nprint(np.random.default_rng().integers(0, 10**9))"
SEEDED = "import numpy as np\nprint(np.random.randint(0, 10**9))"


def notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    for index, (source, tags) in enumerate(
        [(SWEEP, []), (UNSEEDED, [EXPECT_DIFFER_TAG]), (SEEDED, [EXPECT_DIFFER_TAG]), (SEEDED, [])]
    ):
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": tags} if tags else {})
        cell["id"] = f"c{index}"
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def test_a_sweep_reproduces_and_a_tagged_cell_differs_without_failing(tmp_path: Path) -> None:
    path = notebook(tmp_path / "sweep.ipynb")
    report = check_notebook(path, seed=3407, runs=2)
    by_index = {cell.index: cell for cell in report.cells}
    assert by_index[1].reproducible, by_index[1].difference  # the wall times are masked
    assert not by_index[2].reproducible and by_index[2].expected_to_differ  # default_rng(), tagged
    assert by_index[3].reproducible and by_index[3].expected_to_differ  # tagged, reproduced after all
    assert by_index[4].reproducible
    assert report.ok and report.exit_code == 0 and report.doctor_seconds is None  # nothing to diagnose
    text = report.render("text")
    assert f"differs, as its {EXPECT_DIFFER_TAG} tag says" in text
    assert f"reproduced, though tagged {EXPECT_DIFFER_TAG}" in text
    assert report.summary() == f"3 of 4 code cells reproduce; the other one differs, as its {EXPECT_DIFFER_TAG} tag says"


def test_the_sweeps_wall_times_are_in_its_output_and_marked(tmp_path: Path) -> None:
    # What the check masked is there: one marked timing per seed, and the raw outputs differ.
    path = notebook(tmp_path / "sweep.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells = nb.cells[:1]
    nbformat.write(nb, path)
    first, second = execute_runs(nbformat.read(path, as_version=4), runs=2, seed=3407, per_cell=None, cwd=str(tmp_path))
    htmls = [
        next(o["data"]["text/html"] for o in run.cells[-1].outputs if "text/html" in o.get("data", {}))
        for run in (first, second)
    ]
    marked = [re.findall(r'<span class="jupyter-seed-timing">(\d+\.\d+ s)</span>', html) for html in htmls]
    assert [len(times) for times in marked] == [4, 4]
    assert htmls[0] != htmls[1]
