"""What ``jupyter-seed run`` and ``check --against-stored`` share: the recorded configuration and the stamp.

A notebook records how its outputs were made in ``metadata.jupyter_seed``: the
configuration (``seed``, ``per_cell``, ``deterministic``, as the toolbar writes it)
and ``provenance``, the kernel's ``jupyter_seed.state()["provenance"]`` at the end
of the run. Headless runs read the kernel's provenance from one extra cell
executed after the notebook's own (removed from what is stored or compared).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...seeding.modes import DETERMINISTIC_MODES, PER_CELL_MODES
from ...seeding.seeds import InvalidSeedError, validate_seed
from ..options import CheckMode
from .loading import require_nbclient

PROVENANCE_CELL_ID = "jupyter-seed-provenance"
_MARKER = "jupyter-seed-provenance:"
PROVENANCE_SOURCE = (
    "import json as _jupyter_seed_json, jupyter_seed.seeding.seeder as _jupyter_seed_seeder\n"
    f"print({_MARKER!r} + _jupyter_seed_json.dumps(_jupyter_seed_seeder.get_seeder().provenance()))\n"
    "del _jupyter_seed_json, _jupyter_seed_seeder"
)
"""Run after the notebook's cells: the provenance of the kernel that ran them (Seeder.provenance())."""


@dataclass(frozen=True)
class RunConfiguration:
    """How to run a notebook: a check mode, its seed and per-cell mode, and deterministic mode."""

    mode: CheckMode
    seed: int | None
    per_cell: str | None
    deterministic: str = "off"
    origin: str = "given"
    """Where it comes from: ``"given"`` (options), ``"recorded"`` (metadata) or ``"none recorded"``."""

    @property
    def text(self) -> str:
        if self.mode == "asis":
            words = "mode asis: the notebook as it is, no seed added"
        elif self.mode == "once":
            words = f"mode once: %seed {self.seed} at the start"
        else:
            words = f"mode per-cell: %seed {self.seed} --per-cell {self.per_cell}"
        if self.deterministic != "off":
            words += f", deterministic {self.deterministic}"
        origin = {
            "recorded": "as recorded in the notebook's metadata",
            "none recorded": "no configuration recorded in the notebook",
        }.get(self.origin)
        return f"{words} ({origin})" if origin else words

    def setup_extra(self) -> str:
        if self.deterministic == "off":
            return ""
        return (
            "from jupyter_seed.seeding.seeder import get_seeder as _jupyter_seed_get\n"
            f"_jupyter_seed_get().set_deterministic({self.deterministic!r})\n"
            "del _jupyter_seed_get"
        )

    def metadata(self, provenance: Mapping[str, Any] | None) -> dict[str, Any]:
        """``metadata.jupyter_seed`` for a notebook run this way (the toolbar's shape)."""
        record: dict[str, Any] = {}
        if self.seed is not None:
            record.update(seed=self.seed, per_cell=self.per_cell or "off", deterministic=self.deterministic)
        if provenance is not None:
            record["provenance"] = dict(provenance)
        return record


def recorded_configuration(notebook: Any) -> RunConfiguration | None:
    """The configuration in ``metadata.jupyter_seed``, or ``None`` when absent or malformed."""
    record = notebook.get("metadata", {}).get("jupyter_seed")
    if not isinstance(record, Mapping) or record.get("seed") is None:
        return None
    try:
        seed = validate_seed(record.get("seed"))
    except InvalidSeedError:
        return None
    per_cell = record.get("per_cell", "off")
    deterministic = record.get("deterministic", "off")
    if per_cell not in PER_CELL_MODES or deterministic not in DETERMINISTIC_MODES:
        return None
    if per_cell == "off":
        return RunConfiguration("once", seed, None, str(deterministic), "recorded")
    return RunConfiguration("per-cell", seed, str(per_cell), str(deterministic), "recorded")


def with_provenance_cell(notebook: Any) -> Any:
    """A shallow copy of ``notebook`` with the provenance cell last (the cells themselves are shared)."""
    _, nbformat = require_nbclient()
    node = nbformat.NotebookNode
    cell = nbformat.v4.new_code_cell(PROVENANCE_SOURCE)
    cell["id"] = PROVENANCE_CELL_ID
    return node({**notebook, "cells": [*notebook.cells, cell]})


def provenance_of(executed: Any) -> dict[str, Any] | None:
    """The provenance the last cell of an executed :func:`with_provenance_cell` copy printed."""
    last = executed.cells[-1]
    if last.get("id") != PROVENANCE_CELL_ID:
        return None
    for output in last.get("outputs", []):
        text = output.get("text", "")
        text = text if isinstance(text, str) else "".join(text)
        for line in text.splitlines():
            if line.startswith(_MARKER):
                try:
                    value = json.loads(line[len(_MARKER) :])
                except ValueError:
                    return None
                return value if isinstance(value, dict) else None
    return None


def executed_cell(executed: Any, notebook: Any, index: int) -> Any:
    """Cell ``index`` (1-based in ``notebook``) of an executed copy with the setup and provenance cells."""
    offset = (
        len(executed.cells)
        - len(notebook.cells)
        - (1 if executed.cells[-1].get("id") == PROVENANCE_CELL_ID else 0)
    )
    return executed.cells[index - 1 + offset]
