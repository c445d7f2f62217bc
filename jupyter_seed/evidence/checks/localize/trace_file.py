"""Read one kernel's trace (JSON lines written by :mod:`.tracer`) into records keyed across kernels.

A record's key is ``(file label, line, run)``: ``cell:N`` for the N-th traced cell or a path
relative to the notebook's folder, so the same line's same run in two kernels has the same key
(the cells' temp file names contain each kernel's process id and are not used).
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, int, int]


@dataclass
class Trace:
    records: list[dict[str, Any]] = field(default_factory=list)
    cells: dict[int, str | None] = field(default_factory=dict)
    """Traced cell number → its cell id."""
    cut: dict[str, Any] | None = None
    positions: dict[Key, int] = field(default_factory=dict)
    _names: dict[tuple[Any, str], list[int]] = field(default_factory=dict)
    _ids: dict[int, list[int]] = field(default_factory=dict)
    _children: dict[Key, list[int]] = field(default_factory=dict)
    _ops: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def get(self, key: Key) -> dict[str, Any] | None:
        position = self.positions.get(key)
        return None if position is None else self.records[position]

    # ------------------------------------------------------------ indexes
    def index(self) -> None:
        for position, record in enumerate(self.records):
            self.positions.setdefault(record["key"], position)
            for label in record.get("out", {}):
                self._names.setdefault(scope(record, label), []).append(position)
            for label, found in record.get("ids", {}).items():
                if label not in record.get("out", {}):
                    continue  # only read there: not where the shared data changed
                for number in found:
                    self._ids.setdefault(number, []).append(position)
            parent = record.get("parent")
            if parent is not None:
                self._children.setdefault(parent, []).append(position)
            for op_index, op in enumerate(record.get("ops", ())):
                for digest in str(op[2]).split(","):
                    self._ops.setdefault(digest, []).append((position, op_index))

    def writers(self, record: dict[str, Any], label: str, before: int) -> list[int]:
        """Positions before ``before`` that wrote ``label`` (or data it shares), latest first."""
        found = set(_before(self._names.get(scope(record, label), []), before))
        for number in record.get("ids", {}).get(label, ()):
            found.update(_before(self._ids.get(number, []), before))
        return sorted(found, reverse=True)

    def children(self, key: Key, before: int) -> list[int]:
        return list(_before(self._children.get(key, []), before))

    def op_producers(self, digest: str, before: tuple[int, int]) -> list[tuple[int, int]]:
        known = self._ops.get(digest, [])
        return [place for place in reversed(known) if place < before]


def _before(positions: list[int], limit: int) -> list[int]:
    return positions[: bisect.bisect_left(positions, limit)]


def scope(record: dict[str, Any], label: str) -> tuple[Any, str]:
    """Which variable a label names: a module global, or a local of one frame (one call)."""
    if label.startswith("g:"):
        return (record.get("m", ""), label)
    return (record.get("f"), label)


def read_trace(path: str) -> Trace:
    trace = Trace()
    files: dict[int, str] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line torn when the kernel stopped mid-write
                if not isinstance(entry, dict):
                    continue
                if "name" in entry and "file" in entry:
                    files[entry["file"]] = entry["name"]
                elif "cell" in entry and "k" not in entry:
                    trace.cells[entry["cell"]] = entry.get("id")
                elif "cut" in entry:
                    cut = dict(entry["cut"])
                    cut["file"] = files.get(int(cut.get("file", -1)), "?")
                    trace.cut = cut
                elif "k" in entry:
                    trace.records.append(_keyed(entry, files))
    except OSError:
        pass
    trace.index()
    return trace


def _keyed(entry: dict[str, Any], files: dict[int, str]) -> dict[str, Any]:
    number, line, run = entry.pop("k")
    entry["key"] = (files.get(number, "?"), line, run)
    parent = entry.pop("p", None)
    entry["parent"] = (files.get(parent[0], "?"), parent[1], parent[2]) if parent else None
    entry.setdefault("out", {})
    entry.setdefault("in", {})
    return entry
