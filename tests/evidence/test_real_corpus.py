"""Acceptance corpus: real public notebooks (tests/corpus/real, see SOURCES.md) under `jupyter-seed check`.

With the default mode (``%seed 0`` once at the start), every notebook that reproduces
gets exit 0 despite progress bars, %timeit, Keras fit output and framework log lines;
a notebook with a real unseeded source gets exit 1 and the doctor names the source.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("sklearn")

from jupyter_seed.evidence.checks.notebook import check_notebook

pytestmark = pytest.mark.kernel

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "real"
UNSEEDED = {"numpy_random_quickstart_unseeded.ipynb": "numpy.random.default_rng()"}
NOTEBOOKS = sorted(path.name for path in CORPUS.glob("*.ipynb"))


def test_corpus_has_at_least_ten_notebooks_with_recorded_sources() -> None:
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert len(NOTEBOOKS) >= 10
    assert all(name in sources for name in NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_real_notebook_verdict(name: str) -> None:
    report = check_notebook(CORPUS / name, timeout=90)
    if name not in UNSEEDED:
        assert report.exit_code == 0, report.render("text")
        return
    assert report.exit_code == 1
    for cell in report.differing:
        assert cell.causes and cell.causes[0].kind == UNSEEDED[name], report.render("text")
