"""The notebook check under hostile input and interruption, its modes and per-cell control (real kernels)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

from jupyter_seed.cli import main
from jupyter_seed.evidence.checks.notebook import check_notebook
from jupyter_seed.evidence.checks.runner import kernel_env

pytestmark = pytest.mark.kernel

ROOT = Path(__file__).resolve().parents[2]


def write_notebook(path: Path, *sources: str, tags: dict[int, list[str]] | None = None) -> Path:
    notebook = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    for index, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        cell["id"] = f"c{index}"
        if tags and index in tags:
            cell.metadata["tags"] = tags[index]
        notebook.cells.append(cell)
    nbformat.write(notebook, path)
    return path


def test_modes_asis_once_and_per_cell_are_offered_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_notebook(tmp_path / "modes.ipynb", "import random", "print(random.random())", "print(random.random())")
    code = main(["check", str(path), "--mode", "asis"])
    out = capsys.readouterr().out
    assert code == 1 and "mode asis: the notebook as it is, no seed added" in out
    code = main(["check", str(path), "--seed", "4"])
    out = capsys.readouterr().out
    assert code == 0 and "mode once: %seed 4 at the start" in out
    report = check_notebook(path, seed=4, mode="per-cell", per_cell="same")
    assert report.ok and "mode per-cell: %seed 4 --per-cell same" in report.render("text")
    assert json.loads(report.render("json"))["mode"] == "per-cell"
    with pytest.raises(ValueError, match="--per-cell goes with --mode per-cell"):
        check_notebook(path, mode="asis", per_cell="same")


def test_a_cell_tagged_skip_runs_but_is_not_compared(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "skip.ipynb",
        "import uuid\nprint(uuid.uuid4())",
        "import uuid\nrun_id = uuid.uuid4()\nprint(run_id)",
        "print(len(str(run_id)))",
        tags={1: ["jupyter-seed-skip"]},
    )
    report = check_notebook(path)
    assert [cell.index for cell in report.differing] == [1]
    assert report.cells[1].skipped and "skipped" in report.render("text")


def test_fractional_timeouts_are_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quick = write_notebook(tmp_path / "quick.ipynb", "x = 1\nx")
    assert main(["check", str(quick), "--timeout", "2.5"]) == 0
    slow = write_notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(30)")
    code = main(["check", str(slow), "--timeout", "2.5"])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().splitlines() == [
        "jupyter-seed check: error: a cell timed out after 2.5 s (--timeout)"
    ]


def test_a_cell_error_with_newlines_is_reported_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_notebook(tmp_path / "raises.ipynb", "raise ValueError('first line\\nsecond line')")
    code = main(["check", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().splitlines() == [
        "jupyter-seed check: error: cell 1 raised ValueError: first line second line"
    ]


def test_kernels_do_not_inherit_pytest_current_test(tmp_path: Path) -> None:
    assert "PYTEST_CURRENT_TEST" in os.environ and "PYTEST_CURRENT_TEST" not in kernel_env()
    path = write_notebook(tmp_path / "env.ipynb", "import os\nprint('PYTEST_CURRENT_TEST' in os.environ)")
    from jupyter_seed.evidence.checks.runner import execute_runs, load_notebook

    (executed,) = execute_runs(load_notebook(path), runs=1, seed=0, per_cell=None, cwd=str(tmp_path))
    assert executed.cells[1].outputs[0]["text"].strip() == "False"


def test_parallel_kernels_share_the_cores(tmp_path: Path) -> None:
    from jupyter_seed.evidence.checks.runner import threads_per_kernel, usable_cores

    assert threads_per_kernel(1) is None
    env = kernel_env(threads_per_kernel(2))
    expected = str(max(1, usable_cores() // 2))
    if "OMP_NUM_THREADS" not in os.environ:
        assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == env["MKL_NUM_THREADS"] == expected


def test_ctrl_c_stops_promptly_starts_no_kernel_and_exits_130(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    path = write_notebook(
        tmp_path / "long.ipynb",
        f"import os, time\nopen(os.path.join({str(pids)!r}, str(os.getpid())), 'w').close()\ntime.sleep(120)",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTEST_CURRENT_TEST", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_seed.cli", "check", str(path), "--runs", "3", "--parallel", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(pids.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None, "no kernel started"
        time.sleep(0.2)
    (kernel_pid,) = [int(p.name) for p in pids.iterdir()]
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    took = time.monotonic() - interrupted
    assert process.returncode == 130, err
    assert took < 5, took
    assert err.strip().splitlines() == ["jupyter-seed check: interrupted; every kernel it started is shut down"]
    time.sleep(1)
    assert len(list(pids.iterdir())) == 1  # no further kernel started
    with pytest.raises(ProcessLookupError):
        os.kill(kernel_pid, 0)


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTEST_CURRENT_TEST", None)
    from importlib.metadata import entry_points

    installed = any(e.value == "jupyter_seed.pytest_plugin" for e in entry_points(group="pytest11"))
    load = [] if installed else ["-p", "jupyter_seed.pytest_plugin"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *load, "-p", "no:cacheprovider", "-q", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=280, check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jupyter-seed-seed", "4294967296"], "--jupyter-seed-seed"),
        (["--jupyter-seed-runs", "1"], "--jupyter-seed-runs"),
        (["--jupyter-seed-timeout", "-1"], "--jupyter-seed-timeout"),
        (["--jupyter-seed-ignore", "("], "not a valid regular expression"),
        (["--jupyter-seed-mode", "asis", "--jupyter-seed-per-cell", "same"], "--jupyter-seed-per-cell goes with"),
    ],
)
def test_plugin_options_are_validated_once_at_start_up(tmp_path: Path, args: list[str], message: str) -> None:
    write_notebook(tmp_path / "test_a.ipynb", "x = 1")
    done = _pytest(tmp_path, "--jupyter-seed-check", *args)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage-error exit
    (line,) = [line for line in done.stderr.splitlines() if line.strip()]
    assert message in line and "could not run" not in done.stdout


def test_plugin_accepts_a_fractional_timeout(tmp_path: Path) -> None:
    write_notebook(tmp_path / "test_a.ipynb", "x = 1\nx")
    done = _pytest(tmp_path, "--jupyter-seed-check", "--jupyter-seed-timeout", "2.5")
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


def test_in_mode_asis_the_doctor_tries_a_seed_first(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "asis.ipynb", "import random\nprint(random.random())", "print(hash('x') % 1000)")
    # A generous budget: the default (1.5x the check) may stop before the hash-seed experiment.
    report = check_notebook(path, mode="asis", doctor_budget="10x")
    first, second = (cell.causes[0] for cell in report.differing)
    assert (first.kind, first.confirmed) == ("no seed", True) and "%seed N" in first.fix
    assert (second.kind, second.confirmed) == ("hash randomisation", True)


# ------------------------------------- notebooks as jupytext and myst-nb save them (issue 19, A1)
def write_old_format_notebook(path: Path, *sources: str, minor: int = 4) -> Path:
    """nbformat 4.<minor> with an ``id`` on some cells, as jupytext writes (the JAX docs): the 4.4 schema
    has no ids, so strict ``nbformat.validate`` refuses the file that nbclient and JupyterLab run."""
    cells = [
        {"cell_type": "markdown", "id": "b79e0c62", "metadata": {}, "source": ["## Debugging"]},
        *(
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
            | ({"id": f"61675ec{index}"} if index % 2 == 0 else {})
            for index, source in enumerate(sources)
        ),
    ]
    notebook = {
        "cells": cells,
        "metadata": {
            "jupytext": {"formats": "ipynb,md:myst"},
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": minor,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")
    with pytest.raises(nbformat.ValidationError, match="'id' was unexpected"):
        nbformat.validate(nbformat.reads(path.read_text(), as_version=4))
    return path


def test_old_format_notebooks_with_cell_ids_run_in_check_pytest_and_the_doctor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_old_format_notebook(
        tmp_path / "jupytext.ipynb", "import random\nprint(random.random())", "print(random.random())"
    )
    assert main(["check", str(path)]) == 0, capsys.readouterr()
    report = check_notebook(path, mode="per-cell", per_cell="derived")
    assert report.ok and [cell.cell_id for cell in report.cells] == ["61675ec0", "cell-3"]  # kept, given
    unseeded = check_notebook(path, mode="asis")  # differs: the doctor runs on it too
    assert not unseeded.ok and unseeded.differing[0].causes, unseeded.render("text")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--jupyter-seed-check", path.name],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}',
            "Unsupported nbformat version 5",
        ),
        ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": {}}', "'cells' is not a list"),
        ('[1, 2]', "the file holds a JSON list"),
        (
            '{"nbformat": 4, "nbformat_minor": 4, "metadata": {},'
            ' "cells": [{"cell_type": "code", "id": "x"}]}',
            "not a valid notebook",
        ),
    ],
)
def test_what_nbclient_cannot_run_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "refused.ipynb"
    path.write_text(content)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


# ------------------------------------------------------- deeply nested notebooks (issue 19, A9)
def _nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("layout", ["array", "metadata"])
def test_a_deeply_nested_notebook_is_one_line_and_exit_2_in_the_cli_and_pytest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    path = tmp_path / "deep.ipynb"
    if layout == "array":  # beyond what Python's json module reads
        path.write_text("[" * 100_000 + "]" * 100_000)
    else:  # valid JSON that nbformat (and so JupyterLab's server) cannot turn into a notebook
        notebook = nbformat.v4.new_notebook()
        notebook.cells.append(nbformat.v4.new_code_cell("1"))
        raw = json.loads(nbformat.writes(notebook))
        raw["cells"][0]["metadata"]["deep"] = _nested(700)
        path.write_text(json.dumps(raw))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    refusal = f"{path}: not a valid notebook: its JSON is nested too deeply to read"
    assert err == [f"jupyter-seed check: error: {refusal}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--jupyter-seed-check", path.name],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2 and "RecursionError" not in output and "Traceback" not in output, output
    errors = [line for line in output.splitlines() if "nested too deeply" in line]
    assert errors == [f"jupyter-seed: {refusal}"], output


def test_nested_metadata_nbformat_reads_is_run_without_copying_it_per_run(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("print(1)"))
    raw = json.loads(nbformat.writes(notebook))
    raw["cells"][0]["metadata"]["deep"] = _nested(420)  # nbformat reads it; copy.deepcopy of it recurses
    path = tmp_path / "nested.ipynb"
    path.write_text(json.dumps(raw))
    assert check_notebook(path, runs=2, parallel=1).ok


# One run's kernel gets a frame that is no Jupyter message on its shell socket: ipykernel's shell
# thread raises in its ZMQStream callback and pyzmq logs that, with the traceback, into the stderr
# of the cell running then. The other run's kernel never sees it (the first kernel to create the
# marker file sends it). The kernel's plumbing, not the notebook: the check says both reproduce.
TRANSPORT_FAULT_IN_ONE_RUN = """
import json, os, time, zmq
from ipykernel import get_connection_file
try:
    os.close(os.open("fault-sent", os.O_CREAT | os.O_EXCL))
except FileExistsError:
    pass
else:
    info = json.load(open(get_connection_file()))
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.connect(f"tcp://{info['ip']}:{info['shell_port']}")
    sock.send_multipart([b"not a jupyter message"])
time.sleep(1)
print("trained")
"""


def test_the_kernels_own_transport_error_in_one_run_is_not_a_difference(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "fault.ipynb", TRANSPORT_FAULT_IN_ONE_RUN)
    report = check_notebook(path, runs=2)
    assert (tmp_path / "fault-sent").exists()
    assert report.ok, report.render("text")
    # ... and the same kernel log next to a stderr line that differs is still a difference
    different = TRANSPORT_FAULT_IN_ONE_RUN.replace('print("trained")', 'import sys; print(os.getpid(), file=sys.stderr)')
    (tmp_path / "fault-sent").unlink()
    assert not check_notebook(write_notebook(tmp_path / "other.ipynb", different), runs=2, doctor=False).ok
