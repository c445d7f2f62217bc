"""``jupyter-seed run NB [--output OUT]``: execute a notebook headless and store its outputs with the stamp.

As ``jupyter nbconvert --execute`` does (one fresh kernel through nbclient), with the
seed applied the way ``jupyter-seed check`` applies it, and with the kernel's
provenance written to ``metadata.jupyter_seed.provenance``: what
``check --against-stored`` later compares with. The notebook is rewritten in
place unless ``output`` is given, atomically (a temporary file in the target's
folder, then a rename): a run that fails leaves every file as it was.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...seeding.seeds import validate_seed
from ..options import DEFAULT_SEED, resolve_mode, validate_timeout
from .loading import NotebookCheckError, require_nbclient
from .runner import SETUP_CELL_ID, code_cells, for_each_run, load_notebook
from .stored_runs import (
    RunConfiguration,
    executed_cell,
    provenance_of,
    recorded_configuration,
    with_provenance_cell,
)

__all__ = ["RunResult", "run_notebook"]


@dataclass(frozen=True)
class RunResult:
    path: str
    """The file written."""
    configuration: RunConfiguration
    provenance: dict[str, Any] | None
    code_cells: int
    seconds: float


def _configuration(
    seed: int | None, mode: str | None, per_cell: str | None, notebook: Any
) -> RunConfiguration:
    """The options' configuration, else the notebook's recorded one, else ``check``'s default."""
    if seed is None and mode is None and per_cell is None:
        recorded = recorded_configuration(notebook)
        if recorded is not None:
            return recorded
    chosen, per_cell = resolve_mode(mode, per_cell)
    seed = validate_seed(DEFAULT_SEED if seed is None else seed)
    return RunConfiguration(chosen, None if chosen == "asis" else seed, per_cell)


def run_notebook(
    path: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    mode: str | None = None,
    per_cell: str | None = None,
    timeout: float | None = None,
) -> RunResult:
    """Execute ``path`` once and write it (or ``output``) with fresh outputs and provenance.

    Raises :class:`NotebookCheckError` in one line when it cannot be run or written;
    nothing is written then.
    """
    validate_timeout(timeout)
    notebook = load_notebook(path)
    configuration = _configuration(seed, mode, per_cell, notebook)
    target = Path(output if output is not None else path).expanduser()
    if target.is_dir():
        raise NotebookCheckError(f"--output {str(target)!r} is a folder; name the notebook file to write")
    if not target.parent.is_dir():
        raise NotebookCheckError(f"cannot write {str(target)!r}: its folder does not exist")
    started = time.perf_counter()
    executed: list[Any] = []
    for_each_run(
        with_provenance_cell(notebook),
        runs=1,
        on_run=lambda _number, copy_: executed.append(copy_),
        seed=configuration.seed,
        per_cell=configuration.per_cell,
        cwd=str(Path(path).resolve().parent),
        timeout=timeout,
        setup_extra=configuration.setup_extra(),
    )
    copy_ = executed[0]
    provenance = provenance_of(copy_)
    counted = _store_outputs(notebook, copy_)
    record = dict(notebook.metadata.get("jupyter_seed") or {})
    for key in ("seed", "per_cell", "deterministic", "provenance"):
        record.pop(key, None)
    record.update(configuration.metadata(provenance))
    notebook.metadata["jupyter_seed"] = record
    _write_atomically(notebook, target)
    return RunResult(str(target), configuration, provenance, counted, time.perf_counter() - started)


def _store_outputs(notebook: Any, executed: Any) -> int:
    """Copy each code cell's outputs and execution count into ``notebook``, numbered from 1."""
    setup = 1 if executed.cells[0].get("id") == SETUP_CELL_ID else 0
    for index, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        ran = executed_cell(executed, notebook, index)
        cell.outputs = ran.outputs
        count = ran.get("execution_count")
        cell.execution_count = count - setup if isinstance(count, int) and count > setup else count
    return len(code_cells(notebook))


def _write_atomically(notebook: Any, target: Path) -> None:
    _, nbformat = require_nbclient()
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise NotebookCheckError(f"cannot write {str(target)!r}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            nbformat.write(notebook, stream)
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise NotebookCheckError(f"cannot write {str(target)!r}: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
