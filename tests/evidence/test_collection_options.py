"""Every option of the single check on a collection: --against-stored, --localize, the doctor's (issue 24).

A collection checks each notebook with the single check's own options, built by the same
function (``cli_collection.check_arguments``): the same classes and reports here and on a
Dask ``LocalCluster``, and a changed option is a changed cache key.
"""

from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from jupyter_seed.cli import build_parser, main
from jupyter_seed.cli_collection import check_arguments
from jupyter_seed.evidence.collection.command import check_collection
from jupyter_seed.evidence.options import OptionError

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

SAMPLE_VALUES: dict[str, list[str]] = {
    "mode": ["--mode", "asis"],
    "seed": ["--seed", "7"],
    "per_cell": ["--per-cell", "derived"],
    "runs": ["--runs", "3"],
    "timeout": ["--timeout", "9"],
    "ignore": ["--ignore", "x+"],
    "no_doctor": ["--no-doctor"],
    "doctor_budget": ["--doctor-budget", "2x"],
    "localize": ["--localize"],
    "against_stored": ["--against-stored"],
    "rtol": ["--rtol", "0.5"],
    "atol": ["--atol", "0.5"],
}
"""A value other than the default for each option that changes what a notebook's check does."""
NOT_PER_NOTEBOOK = {"notebook", "help", "list_rules", "format", "parallel", "scheduler", "junit_xml", "cache"}
"""What the notebooks are, how the result is shown, and where and how wide it runs (parallel changes
the time, not the verdict): options of the collection itself, not of each notebook's check."""


def write_notebook(path: Path, *cells: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def parsed(*flags: str) -> argparse.Namespace:
    return build_parser().parse_args(["check", "a.ipynb", "b.ipynb", *flags])


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def reports(output: str) -> dict[str, dict[str, Any]]:
    """Each notebook's own JSON report in a collection's JSON, by file name."""
    return {Path(n["notebook"]).name: n for n in json.loads(output)["notebooks"]}


def classes(report: dict[str, Any]) -> list[tuple[int, str]]:
    return [(cell["index"], cell["class"]) for cell in report["cells"]]


# ------------------------------------------------------- every flag, no kernel
def test_every_option_of_the_single_check_reaches_each_notebooks_check() -> None:
    """A flag added to ``check`` and not passed to a collection's notebooks fails here."""
    check = next(
        action.choices["check"]
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    options = {action.dest for action in check._actions} - NOT_PER_NOTEBOOK
    assert options - SAMPLE_VALUES.keys() == set(), "give the new option a sample value here"
    for dest in sorted(options):
        reached = False
        for base in ([], ["--against-stored"]):
            try:
                changed = check_arguments(parsed(*base, *SAMPLE_VALUES[dest]))
            except OptionError:
                continue  # this flag does not go with this kind of check: refused in one line
            reached |= changed != check_arguments(parsed(*base))
        assert reached, f"--{dest.replace('_', '-')} does not reach a notebook's check"


def test_an_option_that_cannot_go_with_another_is_refused_in_one_line_for_a_collection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_notebook(tmp_path / "a.ipynb", "print(1)")
    write_notebook(tmp_path / "b.ipynb", "print(2)")
    for flags, message in (
        (["--against-stored", "--localize"], "--localize compares two fresh runs"),
        (["--rtol", "0.1"], "--rtol goes with --against-stored"),
        (["--doctor-budget", "soon"], "--doctor-budget must be a positive number"),
    ):
        junit, cache = tmp_path / "out" / "j.xml", tmp_path / "cache"
        (tmp_path / "out").mkdir(exist_ok=True)
        command = ["check", str(tmp_path / "a.ipynb"), str(tmp_path / "b.ipynb"), *flags]
        code, out, err = run_cli([*command, "--junit-xml", str(junit), "--cache", str(cache)], capsys)
        assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1 and message in err, err
        assert not junit.exists() and not cache.exists()  # refused before anything ran or was written


def test_check_collection_refuses_an_argument_no_check_takes(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb", "print(1)")
    with pytest.raises(ValueError, match="check_against_stored takes no option 'localize'"):
        check_collection([tmp_path], {"against_stored": True, "localize": True}, progress=False)
    with pytest.raises(ValueError, match="check_notebook takes no option 'rtol'"):
        check_collection([tmp_path], {"rtol": 0.1}, progress=False)


# ----------------------------------------------------------- against stored
@pytest.fixture
def stored_folder(tmp_path: Path) -> Path:
    """Two notebooks run by ``jupyter-seed run``: one still gives its outputs, one's code changed since."""
    folder = tmp_path / "stored"
    write_notebook(folder / "matches.ipynb", "import random\nprint(random.random())")
    changed = write_notebook(
        folder / "changed.ipynb", "import random\nprint(random.random())", "print(2 + 2)"
    )
    for path in (folder / "matches.ipynb", changed):
        assert main(["run", str(path)]) == 0
    stored = nbformat.read(str(changed), as_version=4)
    stored.cells[1].source = "print(2 + 3)"  # its stored output still shows 4
    nbformat.write(stored, str(changed))
    return folder


def test_against_stored_on_a_collection_gives_the_single_checks_classes_here_and_on_a_local_cluster(
    stored_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    single = {}
    for name in ("matches.ipynb", "changed.ipynb"):
        code, out, _ = run_cli(
            ["check", str(stored_folder / name), "--against-stored", "--format", "json"], capsys
        )
        single[name] = (code, classes(json.loads(out)))
    assert single == {
        "matches.ipynb": (0, [(1, "matches")]),
        "changed.ipynb": (1, [(1, "matches"), (2, "changed")]),
    }
    for where in ([], ["--scheduler", "local"]):
        junit = tmp_path / f"junit{len(where)}.xml"
        command = [
            "check",
            str(stored_folder),
            "--against-stored",
            "--format",
            "json",
            "--junit-xml",
            str(junit),
        ]
        code, out, _ = run_cli([*command, *where], capsys)
        found = reports(out)
        assert code == 1, out  # the worst verdict: a cell that is neither matches nor float-drift
        assert {name: (n["report"]["exit_code"], classes(n["report"])) for name, n in found.items()} == single
        assert found["changed.ipynb"]["first_cause"] == "cell 2: changed (stdout line 1)"
        assert found["matches.ipynb"]["verdict"] == "reproducible"
        cases = {
            Path(case.get("name", "")).name: case
            for case in ElementTree.parse(junit).getroot().iter("testcase")  # a real XML parser
        }
        failure = cases["changed.ipynb"].find("failure")
        assert (
            failure is not None
            and "changed" in (failure.text or "")
            and "stored vs fresh" in (failure.text or "")
        )
        assert cases["matches.ipynb"].find("failure") is None and cases["matches.ipynb"].find("error") is None
    code, out, _ = run_cli(["check", str(stored_folder), "--against-stored"], capsys)
    assert "changed.ipynb  differs       1 of 2           cell 2: changed (stdout line 1)" in out


# ------------------------------------------------- flags that reach each notebook
def test_localize_and_the_doctors_budget_reach_each_notebook_here_and_on_a_local_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    folder = tmp_path / "localize"
    write_notebook(folder / "clean.ipynb", "import random\nvalue = random.random()\nprint(value)")
    write_notebook(folder / "entropy.ipynb", "import os\ntoken = os.urandom(8).hex()", "print(token)")
    code, out, _ = run_cli(["check", str(folder), "--format", "json", "--no-doctor"], capsys)
    plain = reports(out)
    assert code == 1 and [c["divergence"] for c in plain["entropy.ipynb"]["report"]["cells"]] == [None, None]
    for where in ([], ["--scheduler", "local"]):
        command = ["check", str(folder), "--format", "json", "--no-doctor", "--localize", *where]
        code, out, _ = run_cli(command, capsys)
        found = reports(out)
        assert code == 1
        cells = found["entropy.ipynb"]["report"]["cells"]
        assert cells[1]["divergence"] is not None, cells  # cell 2 differs; the draw is in cell 1
        assert cells[1]["divergence"]["file"] == "cell 1" and cells[1]["divergence"]["what"] == "token"
        assert all(cell["divergence"] is None for cell in found["clean.ipynb"]["report"]["cells"])


def test_the_doctors_budget_reaches_each_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)  # the kernels hash str at random
    folder = tmp_path / "budget"
    write_notebook(folder / "clean.ipynb", "print(1)")
    write_notebook(folder / "hashed.ipynb", 'print(hash("jupyter-seed"))')
    found = {}
    for budget in ("0.001", "60"):
        code, out, _ = run_cli(["check", str(folder), "--format", "json", "--doctor-budget", budget], capsys)
        assert code == 1
        found[budget] = reports(out)["hashed.ipynb"]
    assert "not tried (budget 0.0 s): hash seed (3 pairs)" in found["0.001"]["report"]["doctor_experiments"]
    assert found["0.001"]["first_cause"] == "cell 1: cause not found [not found]"
    assert found["60"]["first_cause"] == "cell 1: hash randomisation [confirmed]"
    assert not any("not tried" in entry for entry in found["60"]["report"]["doctor_experiments"])


# -------------------------------------------------------------------- cache
def test_the_cache_reruns_a_notebook_when_an_option_of_its_check_changes(
    stored_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    notebook = stored_folder / "matches.ipynb"

    def cached(*flags: str) -> bool:
        # one notebook and --cache: a collection of one (the single check has no cache)
        code, out, _ = run_cli(
            ["check", str(notebook), "--format", "json", "--cache", str(cache), *flags], capsys
        )
        assert code == 0, out
        (outcome,) = json.loads(out)["notebooks"]
        return bool(outcome["cached"])

    assert [cached(), cached()] == [False, True]
    for flags in (["--against-stored"], ["--against-stored", "--rtol", "0.01"], ["--doctor-budget", "2x"]):
        assert [cached(*flags), cached(*flags)] == [False, True], flags
    assert cached("--parallel", "1")  # how wide it runs changes the time, not the verdict


# ---------------------------------------------------------- issue 24's example
def test_the_optuna_example_reproduces_under_its_own_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("optuna")
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    example = Path(__file__).resolve().parents[2] / "examples" / "search" / "optuna_top3.ipynb"
    copy = tmp_path / example.name  # checked on a copy: the committed example stays as it is
    copy.write_bytes(example.read_bytes())
    code, out, _ = run_cli(["check", str(copy), "--no-doctor"], capsys)
    assert code == 0, out
    assert "Result: all 4 code cells reproduce." in out
