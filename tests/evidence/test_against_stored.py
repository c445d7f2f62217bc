"""``jupyter-seed run`` and ``check --against-stored``: notebooks stored by a real run, then edited."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import run_python

from jupyter_seed.cli import main
from jupyter_seed.evidence.checks.against_stored import CLASSES, NO_PROVENANCE, NOT_COMPARED

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

pytestmark = pytest.mark.kernel

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "real"

SOURCES = (
    "import numpy as np\nvalues = np.random.default_rng(1).random(3)",
    "print(repr(float(values.sum())))",
    "print('total', int(values.sum() * 1000))",
    "y = 2\ny",
    "print('same every time')",
)
DRIFT, CHANGE, CLEARED, SAME = 2, 3, 4, 5  # 1-based cell indices


def write_notebook(path: Path, *sources: str) -> Path:
    notebook = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    for index, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        cell["id"] = f"c{index}"
        notebook.cells.append(cell)
    nbformat.write(notebook, path)
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stored_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def check_json(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, err = cli(
        capsys, "check", str(path), "--against-stored", "--format", "json", "--no-doctor", *extra
    )
    assert code in (0, 1), err
    return code, json.loads(out)


def classes(report: dict[str, Any]) -> dict[int, str]:
    return {cell["index"]: cell["class"] for cell in report["cells"]}


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A notebook with outputs and provenance written by `jupyter-seed run`."""
    path = write_notebook(tmp_path_factory.mktemp("stored") / "stored.ipynb", *SOURCES)
    assert main(["run", str(path)]) == 0
    return path


def edited(stored: Path, tmp_path: Path, edit: Any) -> Path:
    """A copy of the stored notebook, changed by ``edit(notebook_json)``."""
    path = tmp_path / "edited.ipynb"
    notebook = stored_json(stored)
    edit(notebook)
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def stdout_of(notebook: dict[str, Any], index: int) -> str:
    return "".join(notebook["cells"][index - 1]["outputs"][0]["text"])


def set_stdout(notebook: dict[str, Any], index: int, text: str) -> None:
    notebook["cells"][index - 1]["outputs"][0]["text"] = [text]


def ulps_off(notebook: dict[str, Any]) -> float:
    """Move the printed float of the drift cell 3 ULPs; returns the absolute change."""
    value = float(stdout_of(notebook, DRIFT))
    moved = value
    for _ in range(3):
        moved = math.nextafter(moved, math.inf)
    set_stdout(notebook, DRIFT, repr(moved) + "\n")
    return moved - value


def really_changed(notebook: dict[str, Any]) -> None:
    words, number = stdout_of(notebook, CHANGE).split()
    set_stdout(notebook, CHANGE, f"{words} {int(number) + 7}\n")


def clear(notebook: dict[str, Any]) -> None:
    cell = notebook["cells"][CLEARED - 1]
    cell["outputs"], cell["execution_count"] = [], None


# ------------------------------------------------------------------- run
def test_run_stores_outputs_and_the_provenance_stamp(stored: Path) -> None:
    notebook = stored_json(stored)
    record = notebook["metadata"]["jupyter_seed"]
    assert (record["seed"], record["per_cell"], record["deterministic"]) == (0, "off", "off")
    provenance = record["provenance"]
    import numpy

    assert provenance["frameworks"]["numpy"] == numpy.__version__
    assert provenance["seed"] == 0 and "precision" in provenance and "python" in provenance
    assert [cell["execution_count"] for cell in notebook["cells"]] == [
        1,
        2,
        3,
        4,
        5,
    ]  # setup cell not counted
    assert all(cell["id"] != "jupyter-seed-provenance" for cell in notebook["cells"])
    assert "same every time" in stdout_of(notebook, SAME)


def test_run_that_fails_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_notebook(tmp_path / "fails.ipynb", "print('first')", "1 / 0")
    before = path.read_bytes()
    code, out, err = cli(capsys, "run", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "cell 2 raised ZeroDivisionError" in err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fails.ipynb"]  # no temporary file left


def test_run_output_leaves_the_source_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_notebook(tmp_path / "source.ipynb", "print(40 + 2)")
    before = path.read_bytes()
    code, out, _ = cli(capsys, "run", str(path), "--output", str(tmp_path / "out.ipynb"), "--mode", "asis")
    assert code == 0 and "Provenance: jupyter-seed" in out
    assert path.read_bytes() == before
    written = stored_json(tmp_path / "out.ipynb")
    assert stdout_of(written, 1) == "42\n"
    assert "seed" not in written["metadata"]["jupyter_seed"]  # asis: no configuration to apply
    assert written["metadata"]["jupyter_seed"]["provenance"]["seed"] is None


# ---------------------------------------------------------- against stored
def test_untouched_notebook_matches_with_one_fresh_run(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = check_json(capsys, stored)
    assert code == 0 and report["ok"]
    assert classes(report) == {1: "matches", 2: "matches", 3: "matches", 4: "matches", 5: "matches"}
    assert report["fresh_runs"] == 1, "no second run when every cell matches"
    assert report["configuration_origin"] == "recorded" and report["seed"] == 0
    confidence = report["confidence"]
    assert confidence["runs_compared"] == 2 and confidence["miss_chance"] == pytest.approx(0.81)
    assert "--runs 28 brings that under 5%" in confidence["text"]


def test_each_change_gets_its_class(stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moved: list[float] = []

    def edit(notebook: dict[str, Any]) -> None:
        moved.append(ulps_off(notebook))
        really_changed(notebook)
        clear(notebook)

    path = edited(stored, tmp_path, edit)
    code, report = check_json(capsys, path)
    assert code == 1
    assert classes(report) == {
        1: "matches",
        2: "float-drift",
        3: "changed",
        4: "no-stored-output",
        5: "matches",
    }
    assert report["fresh_runs"] == 2, "a cell differed beyond tolerance: one more fresh run"
    drift = report["cells"][DRIFT - 1]["drift"]
    assert drift["max_abs"] == pytest.approx(moved[0]) and drift["numbers"] == 1
    assert drift["max_rel"] < 1e-14
    changed = report["cells"][CHANGE - 1]
    assert changed["difference"]["where"] == "stdout line 1"
    assert any("in the environment the notebook recorded" in line for line in changed["detail"])


def test_only_float_drift_exits_0_within_tolerance_and_1_without(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = edited(stored, tmp_path, ulps_off)
    code, report = check_json(capsys, path)
    assert code == 0 and classes(report)[DRIFT] == "float-drift" and report["fresh_runs"] == 1
    code, out, _ = cli(capsys, "check", str(path), "--against-stored", "--no-doctor")
    assert code == 0 and "float-drift" in out and "largest absolute difference" in out
    code, report = check_json(capsys, path, "--rtol", "0", "--atol", "0")
    assert code == 1 and classes(report)[DRIFT] == "changed"


def test_recorded_version_that_differs_is_environment(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy

    def edit(notebook: dict[str, Any]) -> None:
        really_changed(notebook)
        notebook["metadata"]["jupyter_seed"]["provenance"]["frameworks"]["numpy"] = "1.0.0"

    code, report = check_json(capsys, edited(stored, tmp_path, edit))
    assert code == 1 and classes(report)[CHANGE] == "environment"
    assert report["cells"][CHANGE - 1]["changes"] == [f"numpy 1.0.0 → {numpy.__version__}"]
    assert report["environment_changes"] == [f"numpy 1.0.0 → {numpy.__version__}"]
    assert classes(report)[SAME] == "matches"


def test_no_provenance_says_an_environment_change_cannot_be_told_apart(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(notebook: dict[str, Any]) -> None:
        really_changed(notebook)
        del notebook["metadata"]["jupyter_seed"]["provenance"]

    code, out, _ = cli(
        capsys, "check", str(edited(stored, tmp_path, edit)), "--against-stored", "--no-doctor"
    )
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith(f"  cell   {CHANGE}"))
    assert "changed" in line
    assert NO_PROVENANCE in out and "Provenance: none stored" in out


def test_unseeded_cell_is_nondeterministic_with_its_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_notebook(
        tmp_path / "entropy.ipynb", "import os\nprint(os.urandom(4).hex())", "print('fine')"
    )
    assert main(["run", str(path)]) == 0
    capsys.readouterr()
    code, out, err = cli(capsys, "check", str(path), "--against-stored", "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert classes(report) == {1: "nondeterministic", 2: "matches"}
    cell = report["cells"][0]
    assert cell["run_difference"]["run"] == 2
    assert any("os.urandom" in cause["kind"] and cause["confirmed"] for cause in cell["causes"]), cell[
        "causes"
    ]


def test_the_doctor_budget_reaches_the_doctor_of_the_stored_outputs_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_notebook(tmp_path / "hashes.ipynb", "print(hash('jupyter-seed') % 100003)")
    assert main(["run", str(path)]) == 0
    capsys.readouterr()
    runs = {}
    for budget in ("0.001", "60"):
        code, out, err = cli(
            capsys, "check", str(path), "--against-stored", "--doctor-budget", budget, "--format", "json"
        )
        assert code == 1, err
        runs[budget] = json.loads(out)
    cut, full = runs["0.001"], runs["60"]
    assert any(
        entry.startswith("not tried (budget 0.0 s): hash seed") for entry in cut["doctor_experiments"]
    ), cut
    assert not any(cause["confirmed"] for cause in cut["cells"][0]["causes"])
    assert [c["kind"] for c in full["cells"][0]["causes"] if c["confirmed"]] == ["hash randomisation"], full


def test_bad_options_are_one_line_and_exit_2(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ("--against-stored", "--rtol", "-1"),
        ("--against-stored", "--atol", "nan"),
        ("--rtol", "0.1"),
    ):
        code, out, err = cli(capsys, "check", str(stored), *args)
        assert code == 2 and out == "" and err.count("\n") == 1, (args, err)
        assert "--rtol" in err or "--atol" in err, err


def test_text_and_markdown_name_every_class(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(notebook: dict[str, Any]) -> None:
        ulps_off(notebook)
        clear(notebook)

    path = edited(stored, tmp_path, edit)
    code, out, _ = cli(capsys, "check", str(path), "--against-stored", "--format", "markdown", "--no-doctor")
    assert code == 0
    assert "| cell | class | source | detail |" in out and "float-drift" in out and "no stored output" in out
    assert "Rests on: the stored outputs and 1 fresh run agree" in out


# --------------------------------------------------------- a real notebook
def test_real_notebook_with_its_committed_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The JAX docs' Sharp Bits notebook, outputs as committed upstream (JAX of then, no provenance)."""
    source = CORPUS / "jax_common_gotchas.ipynb"
    path = tmp_path / source.name
    shutil.copy(source, path)
    code, out, err = cli(capsys, "check", str(path), "--against-stored", "--format", "json", "--no-doctor")
    assert code in (0, 1), err
    report = json.loads(out)
    committed = stored_json(source)
    code_cells = [
        cell for cell in committed["cells"] if cell["cell_type"] == "code" and "".join(cell["source"]).strip()
    ]
    assert len(report["cells"]) == len(code_cells)
    assert all(cell["class"] in (*CLASSES, *NOT_COMPARED) for cell in report["cells"])
    never_run = sum(not cell.get("outputs") and cell.get("execution_count") is None for cell in code_cells)
    assert report["counts"]["no-stored-output"] == never_run
    assert report["counts"]["matches"] > 0, "most of the docs' printed values still hold"
    assert not report["provenance_recorded"]
    for cell in report["cells"]:
        if cell["class"] == "changed":
            assert any(NO_PROVENANCE in line for line in cell["detail"])
    text = cli(capsys, "check", str(path), "--against-stored", "--no-doctor")[1]
    assert text.splitlines()[0].startswith(f"{path}: against its stored outputs; mode asis")
    assert "no configuration recorded in the notebook" in text.splitlines()[0]
    assert text.splitlines()[-1].startswith("Result: ")


# -------------------------------------------------------- the pytest option
def test_pytest_option_one_test_per_notebook_with_the_class_table(stored: Path, tmp_path: Path) -> None:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(stored, folder / "good.ipynb")
    edited(stored, folder, really_changed).rename(folder / "bad.ipynb")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--jupyter-seed-against-stored",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-q",
            "--no-header",
            str(folder),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout
    assert "bad.ipynb::gives-stored-outputs" in result.stdout
    for line in ("cell   1 matches", f"cell   {CHANGE} changed", "Result: 1 of 5 code cells differ"):
        assert line in result.stdout, result.stdout


def test_pytest_option_bad_tolerance_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--jupyter-seed-against-stored",
            "--jupyter-seed-rtol",
            "x",
            "-q",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 4 and "--jupyter-seed-rtol must be a finite number" in result.stderr


# ---------------------------------------------------------------- provenance
def test_provenance_names_numpy_before_its_random_module_and_imports_nothing() -> None:
    code = (
        "import json, sys, numpy, jupyter_seed\n"
        "before = 'numpy.random' in sys.modules\n"
        "provenance = jupyter_seed.state()['provenance']\n"
        "print(json.dumps([before, provenance['frameworks'], provenance['precision'],\n"
        "    sorted(m for m in ('torch', 'tensorflow', 'jax') if m in sys.modules)]))"
    )
    before, frameworks, precision, imported = json.loads(run_python(code).strip().splitlines()[-1])
    import numpy

    assert frameworks.get("numpy") == numpy.__version__, (before, frameworks)
    assert precision == {} and imported == []


def test_provenance_names_the_precision_switches_of_imported_frameworks() -> None:
    pytest.importorskip("torch")
    code = (
        "import json, torch, jupyter_seed\n"
        "torch.set_float32_matmul_precision('high')\n"
        "print(json.dumps(jupyter_seed.state()['provenance']))"
    )
    provenance = json.loads(run_python(code).strip().splitlines()[-1])
    precision = provenance["precision"]
    assert precision["torch.float32_matmul_precision"] == "high"
    assert isinstance(precision["torch.backends.cuda.matmul.allow_tf32"], bool)
    assert isinstance(precision["torch.backends.cudnn.allow_tf32"], bool)
    assert "torch" in provenance["frameworks"]


def test_provenance_names_jax_precision_and_threefry() -> None:
    pytest.importorskip("jax")
    code = (
        "import json, jax, jupyter_seed\n"
        "jax.config.update('jax_default_matmul_precision', 'float32')\n"
        "print(json.dumps(jupyter_seed.state()['provenance']))"
    )
    provenance = json.loads(run_python(code).strip().splitlines()[-1])
    assert provenance["precision"]["jax_default_matmul_precision"] == "float32"
    assert isinstance(provenance["precision"]["jax_threefry_partitionable"], bool)
    assert provenance["frameworks"]["jax"] and provenance["frameworks"]["jaxlib"]


def test_notebook_that_loads_the_extension_itself_matches_its_session_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stored as a JupyterLab session makes them (no setup cell), configuration recorded by the toolbar."""
    path = write_notebook(
        tmp_path / "own.ipynb", "%load_ext jupyter_seed", "%seed 3", "import random\nprint(random.random())"
    )
    assert main(["run", str(path), "--mode", "asis"]) == 0
    notebook = stored_json(path)
    notebook["metadata"]["jupyter_seed"].update(seed=3, per_cell="off", deterministic="off")
    path.write_text(json.dumps(notebook), encoding="utf-8")
    capsys.readouterr()
    code, report = check_json(capsys, path)
    assert code == 0, report["cells"]
    assert report["configuration_origin"] == "recorded" and report["seed"] == 3
    assert set(classes(report).values()) == {"matches"}


def test_papermill_prepare_only_then_run_stamps_the_parameterised_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's papermill recipe: papermill injects the parameters, `jupyter-seed run` stamps."""
    pytest.importorskip("papermill")
    path = write_notebook(
        tmp_path / "train.ipynb",
        "seed = 0",
        "%load_ext jupyter_seed\n%seed $seed",
        "import random\nprint(random.random())",
    )
    notebook = stored_json(path)
    notebook["cells"][0]["metadata"]["tags"] = ["parameters"]
    path.write_text(json.dumps(notebook), encoding="utf-8")
    out = tmp_path / "out-7.ipynb"
    subprocess.run(
        [sys.executable, "-m", "papermill", str(path), str(out), "-p", "seed", "7", "--prepare-only"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert main(["run", str(out), "--mode", "asis"]) == 0
    written = stored_json(out)
    assert written["metadata"]["jupyter_seed"]["provenance"]["seed"] == 7
    import random

    assert stdout_of(written, len(written["cells"])) == f"{random.Random(7).random()!r}\n"
    capsys.readouterr()
    code, report = check_json(capsys, out)
    assert code == 0 and set(classes(report).values()) == {"matches"}


def test_clean_run_vs_run_check_says_what_it_rests_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_notebook(tmp_path / "clean.ipynb", "import random\nprint(random.random())")
    code, out, _ = cli(capsys, "check", str(path), "--format", "json")
    assert code == 0
    confidence = json.loads(out)["confidence"]
    assert confidence["runs_compared"] == 2 and confidence["runs_for_under_5_percent"] == 29
    assert confidence["text"] == (
        "2 identical runs: a cell that differs in 1 run out of 10 would be missed 81% of the time; "
        "--runs 29 brings that under 5%"
    )
    code, out, _ = cli(capsys, "check", str(path))
    assert f"Rests on: {confidence['text']}." in out


def test_run_of_a_missing_notebook_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "run", str(tmp_path / "missing.ipynb"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "missing.ipynb" in err
    code, out, err = cli(capsys, "check", str(tmp_path / "missing.ipynb"), "--against-stored")
    assert code == 2 and out == "" and err.count("\n") == 1


def test_a_cell_tagged_expect_differ_is_reported_but_not_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import nbformat

    path = write_notebook(tmp_path / "tagged.ipynb", "import os\nprint(os.urandom(4).hex())", "print('fine')")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].metadata["tags"] = ["jupyter-seed-expect-differ"]
    nbformat.write(notebook, path)
    assert main(["run", str(path)]) == 0
    capsys.readouterr()
    code, out, err = cli(capsys, "check", str(path), "--against-stored", "--format", "json")
    assert code == 0, (out, err)
    report = json.loads(out)
    assert classes(report) == {1: "nondeterministic", 2: "matches"} and report["ok"]
    assert "differs, as its jupyter-seed-expect-differ tag says" in report["cells"][0]["detail"][-1]
    assert "causes" not in report["cells"][0] or report["cells"][0]["causes"] == []  # not diagnosed
    code, out, _ = cli(capsys, "check", str(path), "--against-stored")
    assert code == 0 and "1 more differs, as tagged jupyter-seed-expect-differ" in out
