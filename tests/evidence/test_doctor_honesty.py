"""The notebook doctor on repeated pairs (real kernels): no cause from one lucky pair, user modules probed.

Uninitialised memory (``np.empty``) differs in some runs only and a printed clock value in
every run; neither may be blamed, with [confirmed], on entropy, hash seeds, threads or
framework ops (memory is confirmed as itself, on dosed pairs). An unseeded call inside a helper module beside the notebook is the user's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("nbclient")

from jupyter_seed.evidence.checks.doctor_causes import CLOCK_KINDS, FIXES
from jupyter_seed.evidence.checks.notebook import check_notebook

pytestmark = pytest.mark.kernel

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "nondeterministic"
WRONG_BLAME = {
    "unseeded entropy",
    "hash randomisation",
    "math threads",
    "nondeterministic framework ops",
    "no seed",
} | (set(FIXES) - CLOCK_KINDS)


def test_uninitialised_memory_and_clock_values_are_never_confirmed_on_a_wrong_cause() -> None:
    report = check_notebook(CORPUS / "uninitialised_memory_and_clocks.ipynb", runs=4)
    by_index = {cell.index: cell for cell in report.cells}
    for cell in report.differing:
        wrong = [str(c) for c in cell.causes if c.confirmed and c.kind in WRONG_BLAME]
        assert not wrong, (cell.index, cell.source, wrong)
        assert all(re.search(r"\d+ of \d+ (pairs?|runs)", c.evidence) for c in cell.causes), cell.causes
    for index, kind in ((5, "time.perf_counter_ns()"), (6, "time.monotonic()")):
        first = by_index[index].causes[0]
        assert not by_index[index].reproducible and (first.kind, first.confirmed) == (kind, True), first
        assert f"called at cell {index} line 1; the value it returned is printed" in first.evidence
    for index in (2, 3, 4):  # np.empty: not produced by any generator (issue 26)
        cell = by_index[index]
        if not cell.reproducible:
            first = cell.causes[0]
            assert first.kind == "uninitialised memory", cell.causes
            assert f"numpy.empty() called at cell {index} line" in first.evidence
            if first.confirmed:  # on dosed pairs: the memory filled with each dose's own bytes
                assert "each dose with its own output" in first.evidence
            else:  # the check's own runs were not all different (the memory repeated): observed only
                summary = cell.causes[1]
                assert first.label == "observed" and summary.label == "not found", cell.causes
                assert re.search(r"differed in \d+ of \d+ pairs?", summary.evidence)
    assert by_index[7].reproducible  # waiting 3 ms on the stand-in clock ends in about 3 ms
    assert report.doctor_seconds is not None and report.doctor_seconds < 300


def test_an_unseeded_call_in_a_helper_module_is_named_with_its_module_line_and_cell(tmp_path: Path) -> None:
    import nbformat

    (tmp_path / "utils.py").write_text(
        "import uuid\nimport numpy as np\n\n\ndef noisy(n):\n    rng = np.random.default_rng()\n"
        "    return rng.random(n)\n\n\ndef run_id():\n    return uuid.uuid4().hex[:8]\n",
        encoding="utf-8",
    )
    notebook = nbformat.v4.new_notebook()
    for source in ("import utils", "x = 2\nprint(utils.noisy(3).round(3))", "print(utils.run_id())"):
        notebook.cells.append(nbformat.v4.new_code_cell(source))
    path = tmp_path / "uses_helpers.ipynb"
    nbformat.write(notebook, path)
    report = check_notebook(path)
    causes = {cell.index: cell.causes for cell in report.differing}
    assert set(causes) == {2, 3}, report.render("text")
    first = causes[2][0]
    assert (first.kind, first.confirmed) == ("numpy.random.default_rng()", True), causes[2]
    assert "noisy() in utils.py line 6, reached from cell 2 line 2" in first.evidence
    assert "differed in" in first.evidence and "agreed in 2 of 2 pairs" in first.evidence
    first = causes[3][0]
    assert (first.kind, first.confirmed) == ("uuid.uuid4()", True), causes[3]
    assert "run_id() in utils.py line 11, reached from cell 3 line 1" in first.evidence
