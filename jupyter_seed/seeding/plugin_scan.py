"""Whether any installed distribution declares an entry-point group, cheaply.

``importlib.metadata`` costs ~10 ms to import and scan. Reading the
``entry_points.txt`` files directly costs 3-15 ms in an environment with a few
hundred distributions, on the first ``%seed`` of every kernel. So the answer is
kept per ``sys.path`` folder in a small file next to this module's bytecode,
with the folder's modification time: installing or removing a distribution adds
or removes a ``*.dist-info`` folder, which changes that time, and the folder is
read again. Only folders that hold distributions (or are large) are kept: a
notebook folder changes with every save, and listing it costs less than
rewriting the file. The file only lists folders on the current ``sys.path``.
Where it cannot be written, every process scans.
"""

from __future__ import annotations

import json
import os
import sys

CACHE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__", "entry_point_groups.json")


LARGE_FOLDER = 1000
"""Entries above which a folder without distributions is still worth remembering."""


def folder_declares(folder: str, header: bytes) -> tuple[bool, bool]:
    """Whether a distribution in ``folder`` declares ``header``, and whether to remember the answer."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False, False
    distributions = [name for name in names if name.endswith((".dist-info", ".egg-info"))]
    remember = bool(distributions) or len(names) > LARGE_FOLDER
    for name in distributions:
        try:
            with open(os.path.join(folder, name, "entry_points.txt"), "rb") as handle:
                if header in handle.read():
                    return True, remember
        except OSError:
            continue
    return False, remember


def _read_cache() -> dict[str, list[object]]:
    try:
        with open(CACHE_PATH, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(cache: dict[str, list[object]]) -> None:
    temporary = f"{CACHE_PATH}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(CACHE_PATH), exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(cache, handle)
        os.replace(temporary, CACHE_PATH)  # atomic: kernels starting together never read half a file
    except OSError:
        try:
            os.remove(temporary)
        except OSError:
            pass


def group_is_declared(group: str) -> bool:
    """Whether any distribution on ``sys.path`` declares the entry-point ``group``.

    Only folders whose modification time changed since the last look are read
    again: a notebook folder changes often but holds no distributions, while
    site-packages, which holds hundreds, rarely changes.
    """
    header = f"[{group}]".encode()
    cache = _read_cache()
    kept: dict[str, list[object]] = {}
    found = False
    for entry in dict.fromkeys(os.path.abspath(entry or ".") for entry in sys.path):
        try:
            stamp = os.stat(entry).st_mtime_ns
        except OSError:
            continue
        key = f"{group}\0{entry}"
        known = cache.get(key)
        if isinstance(known, list) and len(known) == 2 and known[0] == stamp and isinstance(known[1], bool):
            declared, remember = known[1], True
        else:
            declared, remember = folder_declares(entry, header)
        if remember:
            kept[key] = [stamp, declared]
        found = found or declared
    if kept != cache:
        _write_cache(kept)
    return found
