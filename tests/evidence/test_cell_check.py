"""``%%seed --check``: real cells with real numpy/torch/matplotlib in an in-process IPython shell."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jupyter_seed.evidence.checks.cell import analyze_cell


@pytest.fixture(autouse=True)
def _agg_backend() -> None:
    import matplotlib

    matplotlib.use("Agg")


def run(shell: Any, source: str) -> Any:
    result = shell.run_cell(source)
    return result


def test_analysis_finds_assigned_and_read_before_assigned() -> None:
    names = analyze_cell("import numpy as np\nx += 1\ny = x + z\nz = 2\nfor i in range(3):\n    total = i\n")
    assert {"np", "x", "y", "z", "i", "total"} <= names.assigned
    assert names.read_before_assigned == {"x", "z"}
    assert "range" in names.read
    comprehension = analyze_cell("squares = [i * i for i in range(n)]\ni = 0")
    assert comprehension.read_before_assigned == set() and "n" in comprehension.read
    calls = analyze_cell("import time\nt = time.time()\nr = np.random.default_rng()\n").calls
    assert "time.time/0" in calls and "np.random.default_rng/0" in calls


def test_seeded_torch_and_numpy_cell_passes(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(
        shell,
        "%%seed --check 3407\nimport numpy as np, torch\n"
        "w = torch.randn(4, 3)\na = np.random.rand(5)\nprint(a.round(3))\nfloat(w.sum())",
    )
    out = capsys.readouterr().out
    assert result.error_in_exec is None
    assert "Reproducible: 2 runs under seed 3407" in out
    printed = out.splitlines()[0]
    assert printed.startswith("[") and out.count(printed) == 1  # the last run's print only
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(3407)
        expected = torch.randn(4, 3)
    assert torch.equal(shell.user_ns["w"], expected)  # the final namespace is a real run's
    assert result.result == float(expected.sum())


def test_unseeded_default_rng_fails_naming_the_value_and_cause(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(
        shell, "%%seed --check 1\nimport numpy as np\nnoise = np.random.default_rng().normal(size=5)"
    )
    out = capsys.readouterr().out
    assert result.error_in_exec is None
    assert "NOT reproducible" in out
    assert "run 2 vs run 1: noise[0] (first of 5 differing elements)" in out
    assert "default_rng() without a seed" in out


def test_time_time_fails_with_cause(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(shell, "%%seed --check 5 --runs 3\nimport time\nstamp = time.time()\nstamp")
    out = capsys.readouterr().out
    assert "NOT reproducible: 3 runs" in out
    assert "run 2 vs run 1: value:" in out and "run 3 vs run 1" in out
    assert "cause 1: [confirmed] time.time(): called at line 2; the value it returned is printed in the output" in out


def test_stateful_cell_is_reported_as_stateful_not_nondeterministic(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "counter = 0")
    result = run(shell, "%%seed --check 7\ncounter += 1\ncounter")
    out = capsys.readouterr().out
    assert "STATEFUL" in out and "NOT reproducible" not in out
    assert "reads 'counter' before assigning it" in out
    assert shell.user_ns["counter"] == 1 and result.result == 1


def test_in_place_mutation_is_stateful(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(shell, "import torch\ntorch.manual_seed(0)\nmodel = torch.nn.Linear(3, 1)")
    run(
        shell,
        "%%seed --check 3\nwith torch.no_grad():\n    model.weight.add_(torch.randn(1, 3))\n"
        "loss = float(model(torch.ones(3)).detach())",
    )
    out = capsys.readouterr().out
    assert "STATEFUL" in out
    assert "changes 'model' in place" in out


def test_matplotlib_figure_pixels_are_compared(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(shell, "import matplotlib.pyplot as plt\nimport numpy as np")
    run(
        shell,
        "%%seed --check 11\nfig = plt.figure()\nplt.plot(np.random.rand(20))\nplt.close(fig) if False else None",
    )
    assert "Reproducible" in capsys.readouterr().out
    shell.run_line_magic("close", "all") if "close" in shell.magics_manager.magics["line"] else None
    run(shell, "import matplotlib.pyplot as plt\nplt.close('all')")
    run(shell, "%%seed --check 11\nplt.figure()\nplt.plot(np.random.default_rng().random(20));")
    out = capsys.readouterr().out
    assert "NOT reproducible" in out and "figures[0]" in out
    assert len(__import__("matplotlib.pyplot").pyplot.get_fignums()) == 1  # only the last run's figure stays
    run(shell, "plt.close('all')")


def test_every_run_failing_raises_the_error(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(shell, "%%seed --check 1\n1 / 0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert "Reproducible" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("%%seed --check --runs 1 3\nx = 1", "--runs must be an integer from 2 to 100, got 1"),
        ("%%seed --runs 3 3\nx = 1", "--runs goes with --check"),
        ("%%seed --check --runs two 3\nx = 1", "--runs must be an integer from 2 to 100, got 'two'"),
        ("%%seed --check --sweep 0:3\nx = 1", "--check cannot be used with --sweep"),
        ("%%seed --check -5\nx = 1", ""),
        ("%%seed --check 3\nx = (", "does not parse"),
        ("%seed --check", "belongs to the cell magic"),
    ],
)
def test_bad_input_is_one_line_usage_error_and_changes_nothing(shell: Any, source: str, message: str) -> None:
    from IPython.core.error import UsageError

    import jupyter_seed

    jupyter_seed.seed_everything(99)
    before = jupyter_seed.state()
    shell.user_ns.pop("x", None)
    result = run(shell, source)
    assert isinstance(result.error_in_exec, UsageError)
    assert "\n" not in str(result.error_in_exec) and message in str(result.error_in_exec)
    assert jupyter_seed.state() == before
    assert "x" not in shell.user_ns


def test_check_without_any_seed_runs_the_cell_as_it_is_and_flags_randomness(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("unload_ext", "jupyter_seed")
    shell.run_line_magic("load_ext", "jupyter_seed")
    result = run(shell, "%%seed --check\nimport random\ndraw = random.random()")
    out = capsys.readouterr().out
    assert result.error_in_exec is None
    assert "NOT reproducible: 2 runs without a seed differ" in out
    assert "no seed was given" in out
    run(shell, "%%seed --check\nx = sum(range(10))")
    assert "Reproducible: 2 runs without a seed" in capsys.readouterr().out


def test_cells_with_magics_and_get_ipython_are_checked(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(shell, "data = [1, 2]")
    result = run(
        shell,
        "%%seed --check 3\nimport numpy as np\n%env JS_CHECKED=1\ntotal = np.random.rand(3).sum()\n"
        "shell_name = type(get_ipython()).__name__\nprevious = _\ntotal",
    )
    out = capsys.readouterr().out
    assert result.error_in_exec is None, out
    assert "Reproducible: 2 runs under seed 3" in out
    assert "could not snapshot" not in out


def test_snapshot_copies_only_the_users_data(shell: Any) -> None:
    from jupyter_seed.evidence.harness import NamespaceSnapshot

    namespace = shell.user_ns
    namespace["frame"] = {"a": [1, 2]}
    names = {"In", "Out", "get_ipython", "exit", "quit", "_", "__", "_i3", "_5", "_oh", "_ih", "_dh", "np", "frame"}
    snapshot = NamespaceSnapshot(namespace, names)
    assert set(snapshot.saved) == {"frame"} and snapshot.unrestorable == {}


def test_runs_are_bounded_and_memory_does_not_grow_with_them(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import tracemalloc

    from IPython.core.error import UsageError

    result = run(shell, "%%seed --check --runs 5000 1\nx = 1")
    assert isinstance(result.error_in_exec, UsageError)
    assert "from 2 to 100" in str(result.error_in_exec) and "\n" not in str(result.error_in_exec)

    run(shell, "import numpy as np")
    peaks = []
    for runs in (3, 40):
        tracemalloc.start()
        run(shell, f"%%seed --check --runs {runs} 1\nbig = np.random.rand(100_000)\nprint(big[:2])")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert "Reproducible: 40 runs" in capsys.readouterr().out
    assert peaks[1] < peaks[0] + 2_000_000  # 37 more kept runs would be 30 MB more


def test_differing_error_texts_stay_one_line(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(
        shell,
        "%%seed --check 1\nimport os\nif os.urandom(1)[0] % 2 or True:\n"
        "    raise ValueError('line one\\nline two ' + os.urandom(4).hex())",
    )
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if "run 2 vs run 1" in line]
    assert "ValueError: line one line two" in line


def test_keras_snapshot_imports_no_framework_and_reports_in_one_line() -> None:
    import subprocess
    import sys

    code = (
        "import os, sys\nos.environ['KERAS_BACKEND'] = 'torch'\nimport keras\n"
        "from jupyter_seed.evidence.harness import NamespaceSnapshot\n"
        "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
        "snapshot = NamespaceSnapshot({'model': model, 'n': 1}, {'model', 'n'})\n"
        "print(sorted(snapshot.saved), 'tensorflow' in sys.modules)\n"
        "print(snapshot.unrestorable['model'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    first, second = done.stdout.splitlines()
    assert first == "['n'] False"
    assert "keras objects are not copied" in second


@pytest.mark.kernel
def test_check_and_sweep_in_a_real_kernel_show_one_run_of_outputs(tmp_path: Any) -> None:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    from jupyter_seed.evidence.checks.notebook import execute_runs

    notebook = nbformat.v4.new_notebook()
    for source in (
        "import numpy as np, matplotlib.pyplot as plt\nfrom IPython.display import HTML, display",
        (
            "%%seed --check 3\nvalues = np.random.rand(3)\ndisplay(HTML(f'<b>{values.sum():.6f}</b>'))\n"
            "plt.plot(values)\nprint('printed once')"
        ),
        "%%seed --sweep 0:5\nnp.random.rand()",
    ):
        notebook.cells.append(nbformat.v4.new_code_cell(source))
    (executed,) = execute_runs(notebook, runs=1, seed=0, per_cell="same", cwd=str(tmp_path))
    check_outputs = executed.cells[2].outputs
    kinds = [(o["output_type"], sorted(o.get("data", {}))) for o in check_outputs]
    assert kinds.count(("display_data", ["text/html", "text/plain"])) == 1
    assert sum("image/png" in o.get("data", {}) for o in check_outputs) == 1  # the last run's figure only
    text = "".join(
        o.get("text", "") for o in check_outputs if o["output_type"] == "stream" and o["name"] == "stdout"
    )
    assert text.count("printed once") == 1 and "Reproducible: 2 runs under seed 3" in text
    expected = np.random.RandomState(3).rand(3).sum()
    assert f"<b>{expected:.6f}</b>" in str(check_outputs)
    (sweep_output,) = [o for o in executed.cells[3].outputs if o["output_type"] == "execute_result"]
    assert "Sweep over 5 seeds" in sweep_output["data"]["text/html"]
    assert "data:image/png;base64," in sweep_output["data"]["text/html"]


def test_check_uses_the_active_seed_and_quiet_hides_success(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("seed", "5 --quiet")
    run(shell, "%%seed --check\nimport random\ndraw = random.random()")
    assert "Reproducible: 2 runs under seed 5" in capsys.readouterr().out
    run(shell, "%%seed --check --quiet\ndraw = random.random()")
    assert capsys.readouterr().out == ""
    run(shell, "%%seed --check --quiet\nimport os\ntoken = os.urandom(4)")
    out = capsys.readouterr().out
    assert "NOT reproducible" in out and "cause 1: [confirmed] os.urandom(): called at line 2" in out


def test_the_doctor_blames_nothing_without_evidence(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """torch loaded without deterministic algorithms is no cause by itself; a cell that differs for
    a reason the probes cannot see gets no named cause, and the namespace is the last run's."""
    run(shell, "import torch\nimport itertools\nticks = itertools.count()")
    run(shell, "%%seed --check 2\nweights = torch.randn(3)\nshown = next(ticks)")
    out = capsys.readouterr().out
    assert "torch" not in out.split("\n", 1)[1] and "deterministic" not in out
    assert "STATEFUL" in out or "cause: none found" in out


def test_the_doctor_names_an_unseeded_generator_with_its_line(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "import random")
    result = run(shell, "%%seed --check 4\nlabel = 'x'\ndraw = random.Random().random()\ndraw")
    out = capsys.readouterr().out
    assert "cause 1: [confirmed] random.Random(): called at line 2" in out and "random.Random(seed)" in out
    assert result.result == shell.user_ns["draw"]  # the namespace is the shown run's


# ------------------------------------ the output rules of `jupyter-seed check` (issue 19, A6)
def test_an_elapsed_time_cell_reproduces_as_in_the_cli(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "import time\nimport numpy as np")
    run(
        shell,
        "%%seed --check 1\nt0 = time.perf_counter()\ntotal = np.random.rand(20_000).sum()\n"
        "elapsed = time.perf_counter() - t0\nprint(f'took {elapsed * 1000:.2f} ms')\nprint(round(total, 6))",
    )
    out = capsys.readouterr().out
    assert "Reproducible: 2 runs under seed 1" in out and "and total" in out, out
    assert "not compared: 'elapsed', 't0', set from a clock" in out
    # A value built from a clock that is not a timing is still compared.
    run(shell, "%%seed --check 1\nstamp = int(time.time() * 1e6)\nrng = np.random.default_rng(stamp)\n"
        "draw = rng.random()")
    assert "NOT reproducible" in capsys.readouterr().out


def test_a_timeit_cell_reproduces_as_in_the_cli(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(shell, "import numpy as np")
    run(shell, "%%seed --check 2 --runs 3\n%timeit -n 50 -r 3 np.random.rand(200)\nprint(np.random.rand(2))")
    out = capsys.readouterr().out
    assert "per loop" in out and "Reproducible: 3 runs under seed 2" in out, out


def test_a_keras_fit_cell_reproduces_and_is_not_called_stateful() -> None:
    """Keras `fit` progress (`18ms/step`, ANSI, `\\r`, `\\b`) and per-process layer names (`dense_1`)."""
    import subprocess
    import sys

    code = (
        "import os\nos.environ['KERAS_BACKEND'] = 'torch'\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\nshell.run_line_magic('load_ext', 'jupyter_seed')\n"
        "shell.run_cell('import numpy as np, keras\\nx = np.random.rand(64, 4).astype(\"float32\")\\n"
        "y = (x.sum(1) > 2).astype(\"float32\")')\n"
        "fit = ('%%seed --check 1\\nmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), "
        "keras.layers.Dense(1, activation=\"sigmoid\")])\\nmodel.compile(optimizer=\"adam\", "
        "loss=\"binary_crossentropy\", metrics=[\"accuracy\"])\\n"
        "history = model.fit(x, y, epochs=2, batch_size=16)')\n"
        "for cell in (fit, fit, '%%seed --check 1\\nhistory = model.fit(x, y, epochs=1, verbose=0)'):\n"
        "    shell.run_cell(cell)\n    print('=====')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    first, again, training_on = done.stdout.split("=====")[:3]
    assert "ms/step" in first and "\x08" in first, done.stdout + done.stderr
    for out in (first, again):  # again: `model` and `history` exist before the check and are not copied
        assert "Reproducible: 2 runs under seed 1" in out and "STATEFUL" not in out, out
        assert "could not snapshot" not in out  # the cell assigns them before it reads them
    # A cell that trains the model a previous cell made does depend on its previous run.
    assert "STATEFUL" in training_on and "could not snapshot 'model'" in training_on, training_on
