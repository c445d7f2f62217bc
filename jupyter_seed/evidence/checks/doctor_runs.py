"""How the doctor runs kernels: a round of experiment kernels side by side, on the notebook's prefix.

:class:`NotebookRuns` (``jupyter-seed check``) runs only the cells up to the last cell
still to explain, and every kernel of a round in one call of the runner (its own
environment and setup cell each), as many at a time as the check itself ran.
:class:`CallbackRuns` adapts the older interface (a ``run(env, setup_extra, runs)``
callable and a pair comparison): the whole notebook, one group of equal kernels at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .runner import SETUP_CELL_ID, for_each_run, usable_cores


@dataclass(frozen=True)
class Variant:
    """One kernel of a round: which experiment, at which dose, with what environment and setup."""

    experiment: str
    dose: int
    env: dict[str, str]
    setup: str


class DoctorRuns(Protocol):
    concurrency: int

    def run(self, variants: list[Variant], last_cell: int) -> list[Any]:
        """Executed copies in the order of ``variants``, cells up to ``last_cell`` (1-based) at least."""

    def differs(self, first: Any, second: Any, index: int) -> bool: ...

    def outputs(self, executed: Any, index: int) -> list[Any]: ...


class NotebookRuns:
    def __init__(
        self, notebook: Any, run_args: dict[str, Any], compare: Callable[[list[Any], list[Any]], bool]
    ) -> None:
        self.notebook, self.run_args, self.compare = notebook, run_args, compare
        chosen = run_args.get("parallel")  # the user's --parallel is a limit: kept as it is
        # Otherwise two kernels per core share, each with the check's threads: experiment kernels
        # are started and stopped more than they compute, so with one per share the cores idle.
        self.concurrency = max(1, chosen) if chosen else kernels_at_once(2 * usable_cores())

    def run(self, variants: list[Variant], last_cell: int) -> list[Any]:
        from .loading import require_nbclient

        nbformat = require_nbclient()[1]
        prefix = nbformat.NotebookNode({**self.notebook, "cells": list(self.notebook.cells[:last_cell])})
        copies: dict[int, Any] = {}
        for_each_run(
            prefix,
            runs=len(variants),
            on_run=lambda number, copy_: copies.__setitem__(number, copy_),
            variants=[(variant.env, variant.setup) for variant in variants],
            at_once=self.concurrency,
            record_timing=True,  # how long each cell took: the cost of a shorter prefix, estimated
            **self.run_args,
        )
        return [copies[number] for number in range(len(variants))]

    def outputs(self, executed: Any, index: int) -> list[Any]:
        offset = 1 if executed.cells and executed.cells[0].get("id") == SETUP_CELL_ID else 0
        return list(executed.cells[index - 1 + offset].get("outputs", []))

    def differs(self, first: Any, second: Any, index: int) -> bool:
        return self.compare(self.outputs(first, index), self.outputs(second, index))


KERNEL_MEMORY_BYTES = 1 << 30
"""Memory set aside per experiment kernel (a framework-heavy kernel takes about this much)."""


def kernels_at_once(wanted: int) -> int:
    """``wanted``, fewer when the memory available would not hold that many kernels (one at least)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo if ":" in line)
        available = int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return wanted  # not Linux: no way to tell, keep the plan
    return max(1, min(wanted, available // KERNEL_MEMORY_BYTES))


class CallbackRuns:
    """The whole notebook per kernel, through ``run(env=, setup_extra=, runs=)``; pairs compared as given."""

    concurrency = 2

    def __init__(
        self, notebook: Any, run: Callable[..., list[Any]], still_differs: Callable[..., bool]
    ) -> None:
        self.notebook, self._run, self._still_differs = notebook, run, still_differs

    def run(self, variants: list[Variant], last_cell: int) -> list[Any]:
        copies: list[Any] = [None] * len(variants)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for number, variant in enumerate(variants):
            groups.setdefault((tuple(sorted(variant.env.items())), variant.setup), []).append(number)
        for numbers in groups.values():
            first = variants[numbers[0]]
            for number, copy_ in zip(
                numbers, self._run(env=first.env, setup_extra=first.setup, runs=len(numbers)), strict=True
            ):
                copies[number] = copy_
        return copies

    def outputs(self, executed: Any, index: int) -> list[Any]:
        position = index - 1 + len(executed.cells) - len(self.notebook.cells)
        return list(executed.cells[position].get("outputs", []))

    def differs(self, first: Any, second: Any, index: int) -> bool:
        return bool(self._still_differs([first, second], index))


def cell_seconds(executed: Any) -> list[float] | None:
    """Seconds each cell of an executed copy took (setup cell left out), from nbclient's timestamps;
    ``None`` when the copy has none (the older callback runs)."""

    cells = list(executed.cells)
    if cells and cells[0].get("id") == SETUP_CELL_ID:
        cells = cells[1:]
    found: list[float] = []
    for cell in cells:
        timing = (cell.get("metadata") or {}).get("execution") or {}
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        try:
            seconds = (_instant(end) - _instant(start)).total_seconds()
        except (TypeError, ValueError):
            seconds = 0.0  # a markdown cell, or a cell nbclient did not time
        found.append(max(0.0, seconds))
    return found if any(found) else None


def median_cell_seconds(copies: list[Any]) -> list[float] | None:
    timed = [found for found in (cell_seconds(copy_) for copy_ in copies) if found is not None]
    if not timed or len({len(found) for found in timed}) != 1:
        return None
    return [sorted(column)[len(column) // 2] for column in zip(*timed, strict=True)]


def _instant(value: Any) -> Any:
    from datetime import datetime

    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def output_text(outputs: list[Any]) -> str:
    parts: list[str] = []
    for output in outputs:
        text = output.get("text")
        if text:
            parts.append(text if isinstance(text, str) else "".join(text))
        for value in (output.get("data") or {}).values():
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, list):
                parts.append("".join(str(item) for item in value))
        if output.get("evalue"):
            parts.append(str(output["evalue"]))
    return "\n".join(parts)


def same_lines_reordered(first: str, second: str) -> bool:
    """The same lines (or comma-separated values) in a different order: which task finished first."""
    if first == second:
        return False
    for split in (str.splitlines, lambda text: text.replace("[", " ").replace("]", " ").split(",")):
        a, b = [part.strip() for part in split(first)], [part.strip() for part in split(second)]
        if len(a) > 1 and sorted(a) == sorted(b):
            return True
    return False


def reordered(runner: DoctorRuns, baseline: list[Any], index: int) -> bool:
    """Whether two baseline runs of cell ``index`` show the same lines in another order."""
    texts = [output_text(runner.outputs(copy_, index)) for copy_ in baseline]
    return any(same_lines_reordered(a, b) for k, a in enumerate(texts) for b in texts[k + 1 :])
