"""Acceptance corpus: real public notebooks (tests/corpus/real, see SOURCES.md) under `jupyter-seed check`.

With the default mode (``%seed 0`` once at the start), every notebook that reproduces
gets exit 0 despite progress bars, %timeit, Keras fit output and framework log lines;
a notebook with a real unseeded source gets exit 1 and the doctor names the source.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("sklearn")

from jupyter_seed.evidence.checks.notebook import check_notebook
from jupyter_seed.evidence.checks.runner import execute_runs, load_notebook

pytestmark = pytest.mark.kernel

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "real"
UNSEEDED = {"numpy_random_quickstart_unseeded.ipynb": "numpy.random.default_rng()"}
TIMED = "tf_data_performance.ipynb"
"""Benchmarks print the time a helper (defined in an earlier cell) measured with two clock readings."""
TIMELINE_PLOTS = {67, 68}
"""Its two cells that plot clock readings: the doctor cannot follow them into an image, and says so."""
NOTEBOOKS = sorted(path.name for path in CORPUS.glob("*.ipynb"))


def test_corpus_has_at_least_ten_notebooks_with_recorded_sources() -> None:
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert len(NOTEBOOKS) >= 10
    assert all(name in sources for name in NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_real_notebook_verdict(name: str, tmp_path: Path) -> None:
    # A copy: notebooks write files beside themselves (the TF guide saves a checkpoint).
    path = Path(shutil.copy(CORPUS / name, tmp_path / name))
    report = check_notebook(path, timeout=90)
    if name == TIMED:
        _timed_verdicts(report)
        return
    if name not in UNSEEDED:
        assert report.exit_code == 0, report.render("text")
        return
    assert report.exit_code == 1
    for cell in report.differing:
        assert cell.causes and cell.causes[0].kind == UNSEEDED[name], report.render("text")


def _timed_verdicts(report: object) -> None:
    text = report.render("text")  # type: ignore[attr-defined]
    differing = {cell.index: cell for cell in report.differing}  # type: ignore[attr-defined]
    assert report.exit_code == 1 and len(differing) == 13, text  # type: ignore[attr-defined]
    assert TIMELINE_PLOTS <= set(differing), text
    for index, cell in differing.items():
        first = cell.causes[0]
        if index in TIMELINE_PLOTS:
            assert not first.confirmed, text  # never a guessed cause
            continue
        assert (first.kind, first.confirmed) == ("time.perf_counter()", True), text
        # located where the helper reads the clock, in the cell that defined it
        assert " reached from cell " in first.evidence and "the time between two readings" in first.evidence


# ------------------------------------------------ the classes of issue 19, each in a real notebook
JUPYTEXT_NOTEBOOKS = ("jax_common_gotchas.ipynb", "jax_thinking_in_jax.ipynb")


@pytest.mark.parametrize("name", JUPYTEXT_NOTEBOOKS)
def test_jax_docs_are_old_format_notebooks_with_cell_ids(name: str) -> None:
    """A1: jupytext writes nbformat 4.0 with ids on some cells; the check runs them (verdict above)."""
    nbformat = pytest.importorskip("nbformat")
    raw = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    assert (raw["nbformat"], raw["nbformat_minor"]) == (4, 0) and "jupytext" in raw["metadata"]
    ids = [cell["id"] for cell in raw["cells"] if "id" in cell]
    assert ids and len(ids) < len(raw["cells"])
    with pytest.raises(nbformat.ValidationError, match="'id' was unexpected"):
        nbformat.validate(nbformat.reads(json.dumps(raw), as_version=4))
    notebook = load_notebook(CORPUS / name)
    assert [cell.id for cell in notebook.cells if cell.id in ids] == ids  # the ids the file has are kept


def _stream_chunks(cell: object) -> list[tuple[str, str]]:
    outputs = cell.outputs  # type: ignore[attr-defined]
    return [(o["name"], o["text"]) for o in outputs if o["output_type"] == "stream"]


def test_a_jax_warning_shows_each_kernels_pid_and_still_reproduces(tmp_path: Path) -> None:
    """A2: the last code cell warns at notebook code, printing ipykernel's per-process cell file."""
    path = Path(shutil.copy(CORPUS / "jax_common_gotchas.ipynb", tmp_path / "gotchas.ipynb"))
    first, second = execute_runs(load_notebook(path), runs=2, seed=0, per_cell=None, cwd=str(tmp_path))
    last_cells = [[cell for cell in run.cells if cell.cell_type == "code"][-1] for run in (first, second)]
    warnings = ["".join(text for name, text in _stream_chunks(cell) if name == "stderr") for cell in last_cells]
    assert all("/ipykernel_" in text and "UserWarning" in text for text in warnings), warnings
    assert warnings[0] != warnings[1]  # the PIDs
    assert check_notebook(path, runs=2).ok


def test_keras_fit_writes_its_warning_between_progress_chunks(tmp_path: Path) -> None:
    """A3: the TF guide's `fit` cell: stdout in chunks, a UserWarning on stderr among them."""
    path = Path(shutil.copy(CORPUS / "tf_basic_training_loops.ipynb", tmp_path / "loops.ipynb"))
    (executed,) = execute_runs(load_notebook(path), runs=1, seed=0, per_cell=None, cwd=str(tmp_path))
    fit = next(cell for cell in executed.cells if "keras_model.fit(" in cell.source)
    names = [name for name, _ in _stream_chunks(fit)]
    # Where the stderr chunk lands among the stdout chunks is a race between the kernel's stream threads.
    assert "stderr" in names and names.count("stdout") > 2, names
    assert any("UserWarning" in text for name, text in _stream_chunks(fit) if name == "stderr")
