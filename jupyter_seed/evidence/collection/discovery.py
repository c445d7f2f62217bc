"""Which notebooks a list of paths names: files, folders (recursively) and globs, in any mix.

Folders are walked in name order, skipping ``.ipynb_checkpoints`` (JupyterLab's autosaved
copies), hidden folders (``.git``, ``.venv``, ``.tox``) and ``node_modules``, ``__pycache__``,
``site-packages``: a checkout's own notebooks, not the copies and installed packages beside them.
A file named explicitly is always taken. Each notebook is listed once, in the order first named.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from ...seeding.error_root import JupyterSeedError
from ...seeding.messages import short_text

__all__ = ["CHECKPOINTS", "DiscoveryError", "find_notebooks", "is_single_file"]

CHECKPOINTS = ".ipynb_checkpoints"
SKIPPED_FOLDERS = frozenset({CHECKPOINTS, "node_modules", "__pycache__", "site-packages"})
GLOB_CHARACTERS = frozenset("*?[")


class DiscoveryError(JupyterSeedError, ValueError):
    """A path that names no notebook; one line naming it."""


def is_single_file(paths: list[str]) -> bool:
    """One path, no glob: the single check (its output, its errors), whatever the file is."""
    return len(paths) == 1 and not _is_glob(paths[0]) and not os.path.isdir(paths[0])


def _is_glob(path: str) -> bool:
    return any(character in GLOB_CHARACTERS for character in path) and not os.path.exists(path)


def _skipped(name: str) -> bool:
    return name in SKIPPED_FOLDERS or name.startswith(".")


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, folders, files in os.walk(folder, onerror=None):
        folders[:] = sorted(name for name in folders if not _skipped(name))
        found += [Path(root) / name for name in sorted(files) if name.endswith(".ipynb")]
    return found


def _in_checkpoints(path: Path) -> bool:
    return CHECKPOINTS in path.parts


def find_notebooks(paths: list[str]) -> list[Path]:
    """Every notebook the paths name, each once; a path naming none is a :class:`DiscoveryError`."""
    if not paths:
        raise DiscoveryError("no notebook given: name files, folders or globs")
    found: list[Path] = []
    seen: set[Path] = set()
    for text in paths:
        path = Path(os.path.expanduser(text))
        if _is_glob(text):
            matches = [Path(m) for m in sorted(glob.glob(os.path.expanduser(text), recursive=True))]
            named = [m for n in matches for m in (_walk(n) if n.is_dir() else [n]) if m.suffix == ".ipynb"]
            named = [m for m in named if not _in_checkpoints(m)]
            if not named:
                raise DiscoveryError(f"{short_text(text, 300)}: the pattern matches no notebook")
        elif path.is_dir():
            named = _walk(path)
            if not named:
                raise DiscoveryError(f"{short_text(text, 300)}: the folder holds no notebook (.ipynb)")
        elif path.is_file():
            named = [path]
        else:
            raise DiscoveryError(f"{short_text(text, 300)}: no such file or folder")
        for notebook in named:
            key = notebook.resolve()
            if key not in seen:
                seen.add(key)
                found.append(notebook)
    return found
