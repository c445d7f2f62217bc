"""``jupyter-seed check --localize``: run the notebook up to a differing cell in two traced kernels.

The runs are the check's own (same seed, mode, folder and limits) with the tracer added to the
setup cell, so every cell from the first to the differing one is traced: the divergence often
starts in an earlier cell that shows nothing. The two traces are compared here, in the parent
(:mod:`.compare`). A pair whose traces agree is tried once more (a difference that shows in some
runs only); a run that fails gives no divergence, never an error: the localizer adds to the
report and changes no verdict.
"""

from __future__ import annotations

import linecache
import tempfile
from pathlib import Path
from typing import Any

from ..runner import NotebookCheckError, code_cells, execute_runs
from .compare import Divergence, first_divergence
from .kernel_hooks import MAX_EVENTS_VARIABLE, TRACE_DIRECTORY_VARIABLE, setup_code
from .trace_file import read_trace

PAIRS = 2
"""Traced pairs tried before the localizer gives up on a cell whose traces agree."""


def localize_cells(
    notebook: Any, indices: list[int], run_args: dict[str, Any], *, max_events: int | None = None
) -> dict[int, Divergence | None]:
    """Where two runs part, for each cell at ``indices`` (1-based, markdown counted).

    One traced pair runs the notebook up to the last of them and serves every one; a second
    pair runs only for cells the first left without a divergence.
    """
    cells = code_cells(notebook)
    numbers = {cell_index: number for number, (cell_index, _) in enumerate(cells, start=1)}
    wanted = sorted(index for index in set(indices) if index in numbers)
    found: dict[int, Divergence | None] = dict.fromkeys(indices)
    if not wanted:
        return found
    _, nbformat = _nbformat()
    truncated = nbformat.NotebookNode({**notebook, "cells": list(notebook.cells[: wanted[-1]])})
    places = {f"cell:{number}": cell_index for number, (cell_index, _) in enumerate(cells, start=1)}
    folder = Path(run_args.get("cwd") or ".")

    def place(label: str) -> str:
        return f"cell {places[label]}" if label in places else label

    def source_line(label: str, line: int) -> str | None:
        if label in places:
            lines = notebook.cells[places[label] - 1].source.splitlines()
        else:
            lines = [text.rstrip("\n") for text in linecache.getlines(str(folder / label))]
        return lines[line - 1].strip() if 0 < line <= len(lines) else None

    with tempfile.TemporaryDirectory(prefix="jupyter-seed-trace-") as directory:
        env = {TRACE_DIRECTORY_VARIABLE: directory}
        if max_events is not None:
            env[MAX_EVENTS_VARIABLE] = str(max_events)
        for _ in range(PAIRS):
            try:
                execute_runs(truncated, runs=2, **run_args, env=env, setup_extra=setup_code())
            except NotebookCheckError:
                return found
            paths = sorted(Path(directory).glob("*.jsonl"))
            if len(paths) != 2:
                return found
            first, second = (read_trace(str(path)) for path in paths)
            for path in paths:
                path.unlink()
            for index in wanted:
                divergence = first_divergence(first, second, numbers[index], place, source_line)
                if divergence is not None and _unlocated(found[index]):
                    found[index] = divergence
            wanted = [index for index in wanted if _unlocated(found[index])]
            if not wanted:
                break
            truncated = nbformat.NotebookNode({**notebook, "cells": list(notebook.cells[: wanted[-1]])})
    return found


def localize_cell_in_notebook(
    notebook: Any, index: int, run_args: dict[str, Any], *, max_events: int | None = None
) -> Divergence | None:
    """Where two runs of the notebook up to cell ``index`` (1-based, markdown counted) part."""
    return localize_cells(notebook, [index], run_args, max_events=max_events)[index]


def _unlocated(divergence: Divergence | None) -> bool:
    """Nothing found yet, or only that the trace was cut before anything differed."""
    return divergence is None or divergence.file is None


def _nbformat() -> Any:
    from ..loading import require_nbclient

    return require_nbclient()


