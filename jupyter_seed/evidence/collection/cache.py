"""``--cache DIR``: a notebook whose inputs are unchanged since a clean verdict is not run again.

The key is a SHA-256 of everything the verdict rests on: the notebook's code cells (id,
source, outputs, tags) and its kernelspec and recorded provenance; every local module it
imports (modules and packages beside it, followed through their own imports); every option of
the check (``--against-stored`` and its tolerances, the doctor's, ``--localize``; ``parallel``
aside: it changes the time, not the verdict); and the environment
(Python, jupyter-seed, the installed versions of every package the notebook and its modules
import, the variables that change seeding and math threads). Any change gives another key,
so it runs. Only clean verdicts are kept: a notebook that differs or fails always runs.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..checks.runner import THREAD_VARIABLES
from .outcome import NotebookOutcome

__all__ = ["CACHE_VERSION", "NotebookCache", "cache_key", "local_imports"]

CACHE_VERSION = 2
"""2: every option of the single check is in the key (the doctor's, ``--localize``, ``--against-stored``)."""
MAX_MODULES = 200
"""Local modules followed per notebook at most: a folder of generated code must not stall the key."""
ENVIRONMENT_VARIABLES = (
    "PYTHONHASHSEED",
    "CUBLAS_WORKSPACE_CONFIG",
    "TF_DETERMINISTIC_OPS",
    *THREAD_VARIABLES,
)


def _imported_names(source: str) -> set[str]:
    """Top-level names of the modules ``source`` imports (relative imports aside)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def _python_of_cell(source: str) -> str:
    """A cell as Python: IPython's own transformation turns magics and ``!`` lines into calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return str(TransformerManager().transform_cell(source))
    except Exception:  # noqa: BLE001 - a cell IPython cannot read imports nothing we can see
        return ""


def _module_files(folder: Path, name: str) -> list[Path]:
    """The files of local module ``name`` beside the notebook: ``name.py``, or a package's ``.py`` files."""
    module = folder / f"{name}.py"
    if module.is_file():
        return [module]
    package = folder / name
    if package.is_dir() and not package.is_symlink():
        return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)[:MAX_MODULES]
    return []


def local_imports(folder: Path, sources: list[str]) -> tuple[dict[str, str], set[str]]:
    """Local module files the sources import, transitively, with their SHA-256; and the other names."""
    pending = set().union(*(_imported_names(source) for source in sources)) if sources else set()
    seen: set[str] = set()
    files: dict[str, str] = {}
    others: set[str] = set()
    while pending and len(files) < MAX_MODULES:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        found = _module_files(folder, name)
        if not found:
            others.add(name)
            continue
        for path in found:
            data = path.read_bytes()
            files[path.relative_to(folder).as_posix()] = hashlib.sha256(data).hexdigest()
            pending |= _imported_names(data.decode("utf-8", "replace")) - seen
    return files, others


def _environment(names: set[str]) -> dict[str, Any]:
    import platform

    third_party = tuple(sorted(n for n in names if n not in sys.stdlib_module_names and n != "jupyter_seed"))
    return {
        **_versions(third_party + ("ipykernel", "nbclient")),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "variables": {name: os.environ.get(name) for name in ENVIRONMENT_VARIABLES},
    }


@functools.lru_cache(maxsize=256)
def _versions(names: tuple[str, ...]) -> dict[str, Any]:
    """Installed versions (reading every distribution's metadata takes a while: once per set of names)."""
    from ...seeding.provenance import current_environment

    return current_environment(list(names))


def cache_key(path: Path, arguments: dict[str, Any]) -> str | None:
    """The notebook's cache key; ``None`` when it cannot be read (it runs, and the check says why)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        cells = [cell for cell in raw["cells"] if cell.get("cell_type") == "code"]
        code = [
            {
                "id": cell.get("id"),
                "source": "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"],
                "outputs": cell.get("outputs", []),
                "tags": cell.get("metadata", {}).get("tags", []),
            }
            for cell in cells
        ]
        metadata = raw.get("metadata", {})
        notebook = {
            "cells": code,
            "kernelspec": metadata.get("kernelspec"),
            "recorded": metadata.get("jupyter_seed"),
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    modules, others = local_imports(path.parent, [_python_of_cell(cell["source"]) for cell in code])
    options = {key: value for key, value in arguments.items() if key != "parallel"}
    key = {
        "cache": CACHE_VERSION,
        "notebook": notebook,
        "modules": modules,
        "options": options,
        "environment": _environment(others),
    }
    text = json.dumps(key, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class NotebookCache:
    """Clean verdicts by key, one small JSON file each, written whole (temp file, then rename)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser()
        if self.folder.exists() and not self.folder.is_dir():
            raise ValueError(f"--cache {folder}: not a folder")

    def _file(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str | None, name: str) -> NotebookOutcome | None:
        if key is None:
            return None
        try:
            data = json.loads(self._file(key).read_text(encoding="utf-8"))
            outcome = NotebookOutcome.from_dict(data)
        except (OSError, ValueError, TypeError):
            return None  # absent or unreadable: the notebook runs and the entry is rewritten
        if outcome.verdict != "reproducible":
            return None
        return NotebookOutcome.from_dict({**outcome.as_dict(), "notebook": name}).as_cached()

    def put(self, key: str | None, outcome: NotebookOutcome) -> None:
        if key is None or outcome.verdict != "reproducible" or outcome.cached:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".entry.", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(outcome.as_dict(), stream)
            os.replace(temporary, self._file(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
