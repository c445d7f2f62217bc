"""Provenance: recorded in state(), stamped by %seed, compared by jupyter-seed check."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pytest
from support import run_python

from jupyter_seed.seeding.provenance import current_environment, environment_changes, stamp


def test_state_carries_provenance(seeder) -> None:
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    np.random.rand()
    seeder.seed_everything(3407, deterministic="warn", workers=True)
    seeder.set_per_cell("derived")
    provenance = seeder.state()["provenance"]
    json.dumps(provenance, allow_nan=False)
    assert provenance["seed"] == 3407
    assert (provenance["per_cell"], provenance["deterministic"], provenance["workers"]) == ("derived", "warn", True)
    assert provenance["frameworks"]["torch"] == torch.__version__
    assert provenance["frameworks"]["numpy"] == np.__version__
    assert "random" not in provenance["frameworks"]
    assert provenance["python"] == platform.python_version()
    assert provenance["device"] == ("cuda" if torch.cuda.device_count() else "cpu")
    assert not torch.cuda.is_initialized(), "reading the device kind must not initialise CUDA"
    assert seeder.provenance() == provenance  # what `%seed N` prints, from the loaded sources only
    line = stamp(provenance)
    assert "\n" not in line
    for part in ("seed 3407", "per-cell derived", "deterministic warn", f"torch {torch.__version__}"):
        assert part in line


def test_hash_seed_fixed_is_read_from_the_process() -> None:
    code = "import jupyter_seed; print(jupyter_seed.state()['provenance']['hash_seed_fixed'])"
    assert run_python(code, env={"PYTHONHASHSEED": "0"}).strip() == "True"
    assert run_python(code, env={"PYTHONHASHSEED": "random"}).strip() == "False"


def test_seed_magic_prints_a_one_line_stamp(shell, capsys) -> None:
    shell.run_line_magic("seed", "11")
    lines = capsys.readouterr().out.splitlines()
    stamps = [line for line in lines if line.startswith("Provenance: jupyter-seed ")]
    assert len(stamps) == 1 and "seed 11" in stamps[0]


def test_environment_changes_list_frameworks_first() -> None:
    recorded = {"jupyter_seed": {"provenance": {
        "python": "3.9.0", "jupyter_seed": "0.1.0",
        "frameworks": {"torch": "2.13.0+cpu", "numpy": "2.4.6", "polars": "1.0.0"},
    }}}
    current = {"python": "3.11.7", "jupyter_seed": "0.1.0",
               "frameworks": {"torch": "2.12.0", "numpy": "2.4.6", "polars": None}}
    assert environment_changes(recorded, current) == [
        "recorded with polars 1.0.0, now not installed",
        "recorded with torch 2.13.0+cpu, now 2.12.0",
        "recorded with Python 3.9.0, now 3.11.7",
    ]


@pytest.mark.parametrize(
    "metadata",
    [{}, {"jupyter_seed": None}, {"jupyter_seed": {"provenance": "x"}}, {"jupyter_seed": {"provenance": {}}},
     {"jupyter_seed": {"provenance": {"frameworks": ["torch"]}}}],
)
def test_missing_or_malformed_record_gives_no_changes(metadata) -> None:
    assert environment_changes(metadata, {"python": None, "frameworks": {}}) == []


def test_hostile_record_stays_one_short_line() -> None:
    recorded = {"jupyter_seed": {"provenance": {"frameworks": {"torch": "1\n" * 5000}}}}
    (change,) = environment_changes(recorded, {"frameworks": {"torch": "2"}})
    assert "\n" not in change and len(change) <= 160


def test_current_environment_reads_installed_versions_without_importing() -> None:
    out = run_python(
        """
        import sys
        from jupyter_seed.seeding.provenance import current_environment
        found = current_environment(["torch", "numpy", "no_such_framework"])["frameworks"]
        print(found["no_such_framework"], "torch" in sys.modules)
        import torch
        print(found["torch"] == torch.__version__)
        """
    )
    assert out.split() == ["None", "False", "True"]


@pytest.mark.kernel
def test_check_lists_environment_changes_first_among_causes(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    from jupyter_seed.evidence.checks.notebook import check_notebook

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nprint(os.urandom(4).hex())")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["jupyter_seed"] = {"seed": 0, "provenance": {"frameworks": {"numpy": "0.0.1"}}}
    path = tmp_path / "drift.ipynb"
    nbformat.write(notebook, path)
    report = check_notebook(path, doctor=False)
    (cell,) = report.differing
    assert str(cell.causes[0]).startswith("[observed] environment changed: recorded with numpy 0.0.1, now ")
    assert current_environment(["numpy"])["frameworks"]["numpy"] in str(cell.causes[0])
