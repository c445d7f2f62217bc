"""Execute a notebook K times in fresh kernels (nbclient), for the notebook check.

Each run executes a copy of the notebook in its own kernel, with a setup cell
injected first (``%load_ext jupyter_seed`` and ``%seed N --per-cell MODE``; its
outputs are not part of the report). Runs go in parallel. nbclient and nbformat
are imported only when a check runs: they are extras.
"""

from __future__ import annotations

import copy
import json
import math
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from ...seeding.errors import describe_error, short_text

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
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
)
"""Read at start-up by OpenMP, MKL, OpenBLAS, NumExpr, Accelerate and TensorFlow (torch follows OpenMP)."""


def kernel_env(threads: int | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every kernel a check starts, the same for the CLI and the pytest gate.

    ``threads``: math threads per kernel, so parallel kernels share the cores instead of
    each starting one thread per core (a variable the user set is kept).
    """
    env = dict(os.environ)
    # Under pytest, ipykernel sees PYTEST_CURRENT_TEST and stops capturing C-level output,
    # which would make the pytest gate see other outputs than `jupyter-seed check`.
    env.pop("PYTEST_CURRENT_TEST", None)
    # The kernel must import this very jupyter_seed, installed or not (a source checkout).
    package_parent = str(Path(__file__).resolve().parent.parent)
    paths = [package_parent] + [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != package_parent
    ]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if threads is not None:
        for name in THREAD_VARIABLES:
            env.setdefault(name, str(threads))
        env.setdefault("TF_NUM_INTEROP_THREADS", "1")
    env.update(extra or {})
    return env


def threads_per_kernel(parallel: int) -> int | None:
    """Each of ``parallel`` kernels' share of the cores; ``None`` (no limit) for a single kernel."""
    return None if parallel <= 1 else max(1, usable_cores() // parallel)


def _kernel_name(notebook: Any) -> str:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = notebook.metadata.get("kernelspec", {}).get("name") or "python3"
    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return "python3"  # the notebook was saved elsewhere; run it on this environment's Python
    return name


def setup_source(seed: int, per_cell: str | None, extra: str = "") -> str:
    """The injected first cell: ``%seed N`` once, or with ``--per-cell MODE``; ``extra`` code after it."""
    mode = f" --per-cell {per_cell}" if per_cell else ""
    return f"%load_ext jupyter_seed\n%seed {seed}{mode} --quiet" + (f"\n{extra}" if extra else "")


def _with_setup_cell(notebook: Any, seed: int | None, per_cell: str | None, extra: str = "") -> Any:
    _, nbformat = _require_nbclient()
    copy_ = copy.deepcopy(notebook)
    for cell in copy_.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    if seed is not None or extra:
        source = setup_source(seed, per_cell, extra) if seed is not None else extra
        setup = nbformat.v4.new_code_cell(source)
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
    if isinstance(error, exceptions.CellTimeoutError):
        return f"{where} timed out after {timeout:g} s (--timeout)"
    if isinstance(error, exceptions.CellExecutionError):
        message = " ".join(f"{error.ename}: {error.evalue}".split()).rstrip(": ")
        return f"{where} raised {short_text(message, 200)}"
    if isinstance(error, exceptions.DeadKernelError):
        return f"the kernel died ({describe_error(error)})"
    return describe_error(error)


def usable_cores() -> int:
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


def _guard_signal_handlers(loop: Any, on_interrupt: Any) -> None:
    """Route Ctrl-C and SIGTERM to ``on_interrupt`` for the whole check.

    nbclient installs its own handler per client (it cleans up that one kernel and
    lets the others run on) and removes it when the client ends; on this check's own
    loop, those registrations are ignored so that an interrupt stops every run.
    """
    add, remove = loop.add_signal_handler, loop.remove_signal_handler
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            add(number, on_interrupt)
    except (RuntimeError, NotImplementedError, ValueError):
        return  # not the main thread (a check inside Jupyter): Ctrl-C is the caller's
    owned = (signal.SIGINT, signal.SIGTERM)
    loop.add_signal_handler = lambda number, *a: None if number in owned else add(number, *a)
    loop.remove_signal_handler = lambda number: False if number in owned else remove(number)


async def _shut_down(clients: list[Any]) -> None:
    """Stop every kernel still running (a run cancelled while its kernel was starting)."""
    for client in clients:
        manager = getattr(client, "km", None)
        try:
            if manager is not None and manager.has_kernel:
                await manager.shutdown_kernel(now=True)
                await manager.cleanup_resources()
        except Exception:  # noqa: BLE001, S110 - already gone: nothing to stop
            pass


def execute_runs(
    notebook: Any,
    *,
    runs: int,
    seed: int | None,
    per_cell: str | None,
    cwd: str,
    timeout: float | None = None,
    parallel: int | None = None,
    env: dict[str, str] | None = None,
    setup_extra: str = "",
) -> list[Any]:
    """Execute ``runs`` copies of ``notebook`` (``seed=None``: no seed, the notebook as it is).

    Runs use separate kernels, ``parallel`` at a time (default: one per CPU core), each
    with its share of the cores' math threads; ``env`` adds kernel variables and
    ``setup_extra`` code to the setup cell. Raises NotebookCheckError naming the cell when
    any run fails, and KeyboardInterrupt once every kernel is shut down after Ctrl-C.
    """
    import asyncio

    limit = max(1, min(runs, parallel or usable_cores()))
    kernel_environment = kernel_env(threads_per_kernel(limit), env)
    kernel_name = _kernel_name(notebook)
    copies = [_with_setup_cell(notebook, seed, per_cell, setup_extra) for _ in range(runs)]
    # nbclient's timeout is an integer trait: a fractional limit is rounded up, never down.
    whole_timeout = None if timeout is None else max(1, math.ceil(timeout))
    client_class = _client_class()
    clients = [
        client_class(
            copy_,
            timeout=whole_timeout,
            kernel_name=kernel_name,
            resources={"metadata": {"path": cwd}},
            allow_errors=False,
            record_timing=False,
            shutdown_kernel="immediate",  # outputs are collected by then; no need to wait
        )
        for copy_ in copies
    ]
    interrupted = False

    async def run_all() -> list[BaseException | Any]:
        gate = asyncio.Semaphore(limit)

        async def one(client: Any) -> Any:
            async with gate:
                # The kernels' own stderr (ipykernel's transport warnings) would bury our one-line errors.
                return await client.async_execute(env=kernel_environment, stderr=subprocess.DEVNULL)

        tasks = [asyncio.ensure_future(one(client)) for client in clients]

        def on_interrupt() -> None:
            nonlocal interrupted
            interrupted = True
            for task in tasks:
                task.cancel()

        _guard_signal_handlers(asyncio.get_running_loop(), on_interrupt)
        try:
            return await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await _shut_down(clients)

    results = _run_coroutine(run_all)
    if interrupted:
        raise KeyboardInterrupt
    for result, copy_ in zip(results, copies):
        if isinstance(result, BaseException):
            if isinstance(result, (KeyboardInterrupt, SystemExit)):
                raise result
            has_setup = seed is not None or bool(setup_extra)
            raise NotebookCheckError(_describe_failure(result, copy_, has_setup, timeout)) from None
    return copies
