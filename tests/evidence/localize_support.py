"""Notebooks and helper modules for the localizer's tests (real kernels, real frameworks on CPU)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from jupyter_seed.evidence.checks.localize.compare import Divergence
from jupyter_seed.evidence.checks.localize.notebook_run import localize_cell_in_notebook
from jupyter_seed.evidence.checks.runner import load_notebook


def write_notebook(path: Path, *sources: str, markdown_first: bool = False) -> Path:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    if markdown_first:
        notebook.cells.append(nbformat.v4.new_markdown_cell("# a title cell, counted in the numbering"))
    for source in sources:
        notebook.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(source).strip()))
    nbformat.write(notebook, path)
    return path


def write_module(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path


def localize(path: Path, index: int, *, seed: int | None = 0, **extra: Any) -> Divergence | None:
    """The divergence of notebook cell ``index`` (1-based) under the check's default mode."""
    run_args = {"seed": seed, "per_cell": None, "cwd": str(path.parent), "timeout": 120, "parallel": 2}
    return localize_cell_in_notebook(load_notebook(path), index, run_args, **extra)


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line of ``path`` containing ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")
