"""Execute a notebook K times in fresh kernels (nbclient), for the notebook check.

Each run executes a copy of the notebook in its own kernel, with a setup cell
injected first (``%load_ext jupyter_seed`` and ``%seed N --per-cell MODE``; its
outputs are not part of the report). Runs go in parallel. nbclient and nbformat
are imported only when a check runs: they are extras.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

SETUP_CELL_ID = "jupyter-seed-check-setup"


class NotebookCheckError(Exception):
    """The notebook could not be run; the message is one line for stderr (exit code 2)."""


# ------------------------------------------------------------------ loading
def _require_nbclient() -> tuple[Any, Any]:
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
    """Read and validate a notebook; every way it can fail becomes one NotebookCheckError line."""
    _, nbformat = _require_nbclient()
    notebook_path = Path(path)
    if not notebook_path.is_file():
        raise NotebookCheckError(f"{path}: no such notebook file")
    try:
        text = notebook_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise NotebookCheckError(f"{path}: cannot read: {error}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookCheckError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # noqa: BLE001 - nbformat raises several kinds
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise NotebookCheckError(f"{path}: not a valid notebook: {message}") from None
    for index, cell in enumerate(notebook.cells):
        # Cells in notebooks older than nbformat 4.5 have no id; derived per-cell seeds need one.
        if not cell.get("id"):
            cell["id"] = f"cell-{index + 1}"
    return notebook


def code_cells(notebook: Any) -> list[tuple[int, Any]]:
    return [
        (index, cell)
        for index, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code" and cell.source.strip()
    ]


# ---------------------------------------------------------------- executing
def _kernel_env() -> dict[str, str]:
    # The kernel must import this very jupyter_seed, installed or not (a source checkout).
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent)
    paths = [package_parent] + [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != package_parent
    ]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def _kernel_name(notebook: Any) -> str:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = notebook.metadata.get("kernelspec", {}).get("name") or "python3"
    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return "python3"  # the notebook was saved elsewhere; run it on this environment's Python
    return name


def setup_source(seed: int, per_cell: str) -> str:
    return f"%load_ext jupyter_seed\n%seed {seed} --per-cell {per_cell} --quiet"


def _with_setup_cell(notebook: Any, seed: int | None, per_cell: str) -> Any:
    _, nbformat = _require_nbclient()
    copy_ = copy.deepcopy(notebook)
    for cell in copy_.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    if seed is not None:
        setup = nbformat.v4.new_code_cell(setup_source(seed, per_cell))
        setup["id"] = SETUP_CELL_ID
        copy_.cells.insert(0, setup)
    return copy_


def _client_class() -> Any:
    nbclient, _ = _require_nbclient()

    class CellIdNotebookClient(nbclient.NotebookClient):  # type: ignore[misc, name-defined]
        """Sends each cell's id as ``metadata.cellId``, as JupyterLab does (nbclient does not).

        Derived per-cell seeds are keyed by the cell id, so without it a check would
        derive different seeds from the ones a user's JupyterLab session gets.
        """

        current_cell_id: str | None = None

        async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:
            self.current_cell_id = cell.get("id")
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

        async def async_start_new_kernel_client(self) -> Any:
            client = await super().async_start_new_kernel_client()
            session, channel, owner = client.session, client.shell_channel, self

            def execute(
                code: str,
                silent: bool = False,
                store_history: bool = True,
                user_expressions: dict[str, Any] | None = None,
                allow_stdin: bool | None = None,
                stop_on_error: bool = True,
            ) -> str:
                content = {
                    "code": code,
                    "silent": silent,
                    "store_history": store_history,
                    "user_expressions": user_expressions or {},
                    "allow_stdin": client.allow_stdin if allow_stdin is None else allow_stdin,
                    "stop_on_error": stop_on_error,
                }
                metadata = {"cellId": owner.current_cell_id} if owner.current_cell_id else {}
                message = session.msg("execute_request", content, metadata=metadata)
                channel.send(message)
                return str(message["header"]["msg_id"])

            client.execute = execute
            return client

    return CellIdNotebookClient


async def _execute_one(
    notebook: Any, *, cwd: str, timeout: float | None, kernel_name: str, env: dict[str, str]
) -> Any:
    client = _client_class()(
        notebook,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": cwd}},
        allow_errors=False,
        record_timing=False,
    )
    # The kernels' own stderr (ipykernel's transport warnings) would bury our one-line errors.
    await client.async_execute(env=env, stderr=subprocess.DEVNULL)
    return notebook


def _describe_failure(error: BaseException, notebook: Any, has_setup: bool, timeout: float | None) -> str:
    nbclient, _ = _require_nbclient()
    exceptions = nbclient.exceptions
    offset = 1 if has_setup else 0
    failing = None
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            failing = index
            break
    where = (
        "the setup cell (%load_ext jupyter_seed)"
        if failing == 0 and has_setup
        else (f"cell {failing + 1 - offset}" if failing is not None else "a cell")
    )
    if isinstance(error, exceptions.CellExecutionError):
        return f"{where} raised {error.ename}: {error.evalue}".rstrip(": ")
    if isinstance(error, exceptions.CellTimeoutError):
        return f"a cell timed out after {timeout:g} s (--timeout)"
    if isinstance(error, exceptions.DeadKernelError):
        return f"the kernel died ({error})"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours taskset and container CPU sets
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _run_coroutine(make_coroutine: Any) -> Any:
    """``asyncio.run`` that also works where this thread already runs an event loop.

    Inside Jupyter (and under Playwright's sync API) a loop is running, and
    ``asyncio.run`` refuses to nest; a worker thread gets a loop of its own.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jupyter-seed-check") as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def execute_runs(
    notebook: Any,
    *,
    runs: int,
    seed: int | None,
    per_cell: str,
    cwd: str,
    timeout: float | None = None,
    parallel: int | None = None,
) -> list[Any]:
    """Execute ``runs`` copies of ``notebook`` (``seed=None``: no setup cell, a plain run).

    Runs use separate kernels, ``parallel`` at a time (default: one per CPU core).
    Raises NotebookCheckError naming the cell when any run fails.
    """
    import asyncio

    limit = max(1, min(runs, parallel or _usable_cores()))
    env = _kernel_env()
    kernel_name = _kernel_name(notebook)
    copies = [_with_setup_cell(notebook, seed, per_cell) for _ in range(runs)]

    async def run_all() -> list[BaseException | Any]:
        gate = asyncio.Semaphore(limit)

        async def one(copy_: Any) -> Any:
            async with gate:
                return await _execute_one(copy_, cwd=cwd, timeout=timeout, kernel_name=kernel_name, env=env)

        return await asyncio.gather(*(one(c) for c in copies), return_exceptions=True)

    results = _run_coroutine(run_all)
    for number, (result, copy_) in enumerate(zip(results, copies), start=1):
        if isinstance(result, BaseException):
            if isinstance(result, (KeyboardInterrupt, SystemExit)):
                raise result
            raise NotebookCheckError(_describe_failure(result, copy_, seed is not None, timeout)) from None
    return copies


