"""Reading a notebook for the check, as JupyterLab and nbclient read it.

nbclient and nbformat are imported only when a check runs: they are extras.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ...seeding.error_root import JupyterSeedError
from ...seeding.messages import short_text


class NotebookCheckError(JupyterSeedError):
    """The notebook could not be run; the message is one line for stderr (exit code 2)."""


# ------------------------------------------------------------------ loading
def require_nbclient() -> tuple[Any, Any]:
    try:
        import nbclient
        import nbformat
    except ImportError:
        raise NotebookCheckError(
            "jupyter-seed check needs nbclient and nbformat: pip install 'jupyter-seed[test]' "
            "(or pip install nbclient nbformat)"
        ) from None
    return nbclient, nbformat


def load_notebook(path: str | os.PathLike[str]) -> Any:
    """Read a notebook as JupyterLab and nbclient do; each way it can fail is one NotebookCheckError line.

    Notebooks of nbformat 4.0–4.4 that carry cell ids (jupytext, myst-nb) are upgraded to
    4.5 as nbformat's own ``v4.upgrade`` does, keeping the ids they have; a notebook the
    schema finds fault with is still run when nbclient can run it (nbformat only logs
    those, and JupyterLab opens them). Refused: unreadable files, bad JSON, what nbformat
    cannot read or convert, and cells nbclient cannot execute.
    """
    _, nbformat = require_nbclient()
    notebook_path = Path(path)
    if not notebook_path.is_file():
        raise NotebookCheckError(f"{path}: no such notebook file")
    try:
        text = notebook_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise NotebookCheckError(f"{path}: cannot read: {error}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookCheckError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise NotebookCheckError(f"{path}: not a valid notebook: {_TOO_DEEP}") from None
    if not isinstance(raw, dict):
        raise NotebookCheckError(f"{path}: not a valid notebook: the file holds a JSON {type(raw).__name__}")
    try:
        # nbformat.reads would also validate and log the schema's complaints, which decide nothing here.
        notebook = nbformat.convert(nbformat.reader.reads(text), 4)
    except RecursionError:
        raise NotebookCheckError(f"{path}: not a valid notebook: {_TOO_DEEP}") from None
    except Exception as error:  # noqa: BLE001 - nbformat raises several kinds
        raise NotebookCheckError(f"{path}: not a valid notebook: {_first_line(error)}") from None
    problem = _unrunnable(notebook)
    if problem is not None:
        raise NotebookCheckError(f"{path}: not a valid notebook: {problem}")
    _give_cells_ids(notebook)
    return notebook


_TOO_DEEP = "its JSON is nested too deeply to read"
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
"""What nbformat 4.5's schema allows as a cell id."""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return short_text(text.splitlines()[0], 200) if text else type(error).__name__


def _unrunnable(notebook: Any) -> str | None:
    """What keeps nbclient from executing the notebook (it ignores the rest of the schema), or None."""
    if notebook.get("nbformat") != 4:
        return f"nbformat {notebook.get('nbformat')!r} cannot be converted to version 4"
    if not isinstance(notebook.get("metadata", {}), dict):
        return "its metadata is not a JSON object"
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        return "'cells' is not a list"
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            return f"cell {number} is not a JSON object"
        if not isinstance(cell.get("cell_type"), str):
            return f"cell {number} has no cell_type"
        if not isinstance(cell.get("source"), str):
            return f"cell {number} has no source text"
        if not isinstance(cell.get("metadata", {}), dict):
            return f"cell {number}: its metadata is not a JSON object"
        tags = cell.get("metadata", {}).get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            return f"cell {number}: metadata.tags is not a list of strings"
    return None


def _give_cells_ids(notebook: Any) -> None:
    """Every cell gets a unique id, as nbformat's ``normalize`` and ``v4.upgrade`` give them.

    Ids the notebook has are kept (jupytext and myst-nb write them into 4.0–4.4 notebooks,
    and JupyterLab sends them as the cells' ids); a missing, malformed or duplicate id
    becomes ``cell-N`` rather than nbformat's random one, so that derived per-cell seeds are
    the same in every check of the file. Older notebooks are marked 4.5, which has ids.
    """
    seen: set[str] = set()
    for index, cell in enumerate(notebook.cells, start=1):
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not _CELL_ID.fullmatch(cell_id) or cell_id in seen:
            cell_id = f"cell-{index}"
            while cell_id in seen:
                cell_id += "-"
            cell["id"] = cell_id
        seen.add(cell_id)
    minor = notebook.get("nbformat_minor", 0)
    if not isinstance(minor, int) or minor < 5:
        notebook.metadata["orig_nbformat_minor"] = minor
        notebook["nbformat_minor"] = 5
