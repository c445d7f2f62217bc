"""The doctor on a corpus of cells with one known cause of nondeterminism each (real kernels)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("nbclient")

from jupyter_seed.evidence.checks.notebook import check_notebook, load_notebook

pytestmark = pytest.mark.kernel

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "nondeterministic" / "known_causes.ipynb"


def test_the_doctor_names_the_true_cause_first_and_blames_nothing_reproducible() -> None:
    notebook = load_notebook(CORPUS)
    known = {
        index: cell.metadata["jupyter_seed_known_cause"]
        for index, cell in enumerate(notebook.cells, start=1)
        if "jupyter_seed_known_cause" in cell.metadata
    }
    report = check_notebook(CORPUS, doctor_budget="10x")  # every experiment, on this 2-core machine too
    by_index = {cell.index: cell for cell in report.cells}
    named_first = []
    for index, cause in known.items():
        cell = by_index[index]
        if cause is None:
            assert cell.reproducible and not cell.causes, f"cell {index}: {cell.difference} {cell.causes}"
            continue
        assert not cell.reproducible, f"cell {index} should differ"
        if cell.causes and cell.causes[0].kind == cause and cell.causes[0].confirmed:
            named_first.append(index)
    nondeterministic = [i for i, c in known.items() if c is not None]
    assert len(nondeterministic) >= 12 and len(known) - len(nondeterministic) >= 4
    missed = {i: (known[i], [str(c) for c in by_index[i].causes]) for i in nondeterministic if i not in named_first}
    assert len(named_first) >= len(nondeterministic) - 1, missed
    text = report.render("text")
    assert "cause 1: [confirmed] uuid.uuid4(): called at cell 7 line 1" in text
    data = json.loads(report.render("json"))
    causes = {cell["index"]: cell["causes"] for cell in data["cells"]}
    assert causes[11][0]["kind"] == "hash randomisation" and "kernelspec" in causes[11][0]["fix"]
    assert "cause 1: [confirmed]" in report.render("markdown")
    assert report.doctor_seconds is not None


def test_no_diagnostic_runs_when_nothing_differs(tmp_path: Path) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("import random\nprint(random.random())"))
    path = tmp_path / "fine.ipynb"
    nbformat.write(notebook, path)
    report = check_notebook(path)
    assert report.ok and report.doctor_seconds is None
