"""``jupyter-seed check`` on the shipped example notebooks and on small ones built here, in real kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

from jupyter_seed.cli import main
from jupyter_seed.evidence.checks.notebook import NotebookCheckError, check_notebook, load_notebook
from jupyter_seed.seeding.seeds import derive_seed

pytestmark = pytest.mark.kernel

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "check"


def write_notebook(path: Path, *sources: str, ids: list[str] | None = None) -> Path:
    notebook = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    for index, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        cell["id"] = ids[index] if ids else f"c{index}"
        notebook.cells.append(cell)
    nbformat.write(notebook, path)
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------- examples
def test_reproducible_example_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, str(EXAMPLES / "reproducible.ipynb"), "--seed", "3407")
    assert code == 0, out + err
    assert "Result: all 6 code cells reproduce." in out
    assert "DIFFERS" not in out


def test_not_reproducible_example_exits_1_and_names_the_cell(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, str(EXAMPLES / "not_reproducible.ipynb"), "--format", "json")
    assert code == 1 and err == ""
    report = json.loads(out)
    assert report["exit_code"] == 1 and not report["ok"]
    by_index = {cell["index"]: cell for cell in report["cells"]}
    assert by_index[3]["reproducible"]  # np.random.rand under the seed
    differing = by_index[4]
    assert not differing["reproducible"] and "default_rng" in differing["source"]
    assert (
        differing["difference"]["where"] == "output 1 text/plain line 1"
        and differing["difference"]["run"] == 2
    )
    assert any("default_rng() without a seed" in cause for cause in differing["likely_causes"])


def test_figure_example_reproduces_and_an_unseeded_figure_differs_by_pixels(tmp_path: Path) -> None:
    assert check_notebook(EXAMPLES / "figure.ipynb").ok
    unseeded = write_notebook(
        tmp_path / "unseeded_figure.ipynb",
        "import numpy as np, matplotlib.pyplot as plt",
        "plt.plot(np.random.default_rng().random(50)); plt.show()",
    )
    report = check_notebook(unseeded, runs=3)
    (cell,) = report.differing
    assert cell.index == 2 and cell.run == 2
    # Decoded content differs: in pixels, or in size when random tick labels change the layout.
    where = cell.difference.where  # type: ignore[union-attr]
    assert "image/png pixel[" in where or "image/png size" in where, where
    markdown = report.render("markdown")
    assert "❌ differs" in markdown and "| 2 |" in markdown


def test_erroring_example_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, str(EXAMPLES / "erroring.ipynb"))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        (
            "jupyter-seed check: error: cell 3 raised FileNotFoundError: "
            "[Errno 2] No such file or directory: 'data/missing.csv'"
        )
    ]


# ------------------------------------------------------------ cannot run
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such notebook file"),
        ('{"cells": [', "not valid JSON"),
        ('{"cells": 3}', "not a valid notebook"),
    ],
)
def test_unreadable_notebooks_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "broken.ipynb"
    if content is not None:
        path.write_text(content)
    code, out, err = run_cli(capsys, str(path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "1"], "from 2 to 100"),
        (["--runs", "101"], "from 2 to 100"),
        (["--seed", "-3"], "seed must be"),
        (["--ignore", "("], "not a valid regular"),
        (["--timeout", "0"], "must be positive"),
        (["--per-cell", "off"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    try:
        code, _, err = run_cli(capsys, str(EXAMPLES / "figure.ipynb"), *args)
    except SystemExit as exit_:  # argparse's own errors
        code, err = int(exit_.code or 0), capsys.readouterr().err
    assert code == 2 and message in err


def test_cell_timeout_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(60)")
    code, _, err = run_cli(capsys, str(path), "--timeout", "3")
    assert code == 2 and "timed out after 3 s" in err


# ---------------------------------------------------------------- modes
def test_derived_mode_uses_cell_ids_and_ignore_rules(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "derived.ipynb",
        "import numpy as np, uuid",
        "print(repr(float(np.random.rand())))",
        "print('run id:', uuid.uuid4())",
        ids=["setup-imports", "draw-cell", "uuid-cell"],
    )
    report = check_notebook(path, seed=11, per_cell="derived", ignore=[r"run id: \S+"])
    assert report.ok, report.render("text")
    import numpy as np

    notebook_run_value = float(np.random.RandomState(derive_seed(11, "draw-cell")).rand())
    from jupyter_seed.evidence.checks.notebook import execute_runs

    (executed,) = execute_runs(load_notebook(path), runs=1, seed=11, per_cell="derived", cwd=str(tmp_path))
    assert executed.cells[2].outputs[0]["text"].strip() == repr(notebook_run_value)
    without_ignore = check_notebook(path, seed=11, per_cell="derived")
    assert [cell.index for cell in without_ignore.differing] == [3]


def test_old_notebook_without_cell_ids_gets_ids(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    path.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 2,
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "source": "1",
                        "outputs": [],
                        "execution_count": None,
                    }
                ],
            }
        )
    )
    assert load_notebook(path).cells[0]["id"] == "cell-1"


def test_missing_nbclient_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nbclient", None)
    with pytest.raises(NotebookCheckError, match="needs nbclient and nbformat: pip install"):
        load_notebook(EXAMPLES / "figure.ipynb")


# ----------------------------------------------------------- pytest plugin
def _plugin_installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.value == "jupyter_seed.pytest_plugin" for ep in entry_points(group="pytest11"))


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    # From a source checkout the entry point is not registered: load the plugin by name instead.
    load = [] if _plugin_installed() else ["-p", "jupyter_seed.pytest_plugin"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *load, "-p", "no:cacheprovider", "-q", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )


def test_pytest_option_checks_notebooks(tmp_path: Path) -> None:
    write_notebook(tmp_path / "test_good.ipynb", "import numpy as np", "np.random.rand(2)")
    write_notebook(tmp_path / "test_bad.ipynb", "import numpy as np", "np.random.default_rng().random(2)")
    plain = _pytest(tmp_path)
    assert "no tests ran" in plain.stdout, plain.stdout  # inert without its option
    checked = _pytest(tmp_path, "--jupyter-seed-check", "--jupyter-seed-seed", "5")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "1 failed, 1 passed" in checked.stdout
    assert "cell   2 DIFFERS" in checked.stdout and "test_bad.ipynb" in checked.stdout
    assert "cause 1: [confirmed] numpy.random.default_rng(): called at cell 2 line 1" in checked.stdout


def test_plugin_imports_cheaply_and_is_registered() -> None:
    code = (
        "import sys, jupyter_seed.pytest_plugin as p; "
        "print(sorted(m for m in ('nbclient', 'nbformat', 'numpy', 'IPython', 'jupyter_client') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.strip() == "[]"
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"jupyter_seed": "jupyter_seed.pytest_plugin"}


def test_report_renders_in_every_format() -> None:
    from jupyter_seed.evidence.checks.notebook import CellReport, NotebookReport
    from jupyter_seed.evidence.outputs.values import Difference

    report = NotebookReport(
        "nb.ipynb",
        1,
        "same",
        2,
        1.5,
        [
            CellReport(1, "a", "x = 1"),
            CellReport(2, "b", "y | z", Difference("output 1 stdout line 1", "'1'", "'2'"), 2),
        ],
    )
    assert report.exit_code == 1 and "1 of 2 code cells differ" in report.render("text")
    assert json.loads(report.render("json"))["cells"][1]["difference"]["second"] == "'2'"
    assert "y \\| z" in report.render("markdown")
    data: Any = json.loads(report.render("json"))
    assert data["ok"] is False


def test_check_works_where_an_event_loop_is_already_running() -> None:
    """As in a Jupyter cell, or under Playwright's sync API: asyncio.run cannot nest."""
    import asyncio

    async def from_inside_a_loop() -> Any:
        return check_notebook(EXAMPLES / "reproducible.ipynb", seed=3407)

    from concurrent.futures import ThreadPoolExecutor

    # A thread of our own, so this test does not depend on whether one runs here already.
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(lambda: asyncio.run(from_inside_a_loop())).result()
    assert report.ok


# ------------------------------------------------- memory does not grow with --runs (issue 19, B11)
def _peak_check_memory(path: Path, runs: int) -> int:
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        report = check_notebook(path, runs=runs, parallel=1, doctor=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok, report.render("text")
    return peak


def test_runs_are_compared_as_they_finish_so_memory_does_not_grow_with_runs(tmp_path: Path) -> None:
    """A cell printing 3 MB: keeping every run would hold 4 more copies (12 MB) at 6 runs than at 2."""
    path = write_notebook(tmp_path / "big.ipynb", "print('x' * 3_000_000)")
    _peak_check_memory(path, 2)  # the first check also imports nbclient, jupyter_client, zmq
    at_two, at_six = _peak_check_memory(path, 2), _peak_check_memory(path, 6)
    assert at_six < at_two + 1_500_000, (at_two, at_six)  # not even half a run's output more


def test_the_runner_holds_no_finished_run(tmp_path: Path) -> None:
    import gc
    import weakref

    from jupyter_seed.evidence.checks.runner import for_each_run

    notebook = load_notebook(write_notebook(tmp_path / "small.ipynb", "print(1)"))
    delivered: list[weakref.ref[Any]] = []
    alive_at_delivery: list[int] = []

    def on_run(number: int, executed: Any) -> None:
        gc.collect()
        alive_at_delivery.append(sum(ref() is not None for ref in delivered))
        delivered.append(weakref.ref(executed))

    for_each_run(notebook, runs=4, on_run=on_run, seed=0, per_cell=None, cwd=str(tmp_path), parallel=1)
    gc.collect()
    assert alive_at_delivery == [0, 0, 0, 0] and all(ref() is None for ref in delivered)
