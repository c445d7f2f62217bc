"""Execute a notebook K times in fresh kernels (nbclient), for the notebook check.

Each run executes a copy of the notebook in its own kernel, with a setup cell
injected first (``%load_ext jupyter_seed`` and ``%seed N --per-cell MODE``; its
outputs are not part of the report). Runs go in parallel. nbclient and nbformat
are imported only when a check runs: they are extras.
"""

from __future__ import annotations

import atexit
import math
import os
import signal
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ...seeding.messages import describe_error, short_text
from .kernel_start import DeferredShutdowns, notebook_client_class
from .loading import NotebookCheckError, load_notebook, require_nbclient

__all__ = ["NotebookCheckError", "code_cells", "execute_runs", "for_each_run", "load_notebook"]

SETUP_CELL_ID = "jupyter-seed-check-setup"
DEFAULT_CELL_TIMEOUT = 600.0
"""``jupyter-seed check``'s limit per cell (s): a cell that never ends stops the check in one line."""


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
    package_parent = str(Path(__file__).resolve().parents[3])
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


def kernel_name_for(notebook: Any) -> str:
    """The notebook's kernel when this machine has it, else ``python3`` (saved elsewhere: run it here)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    kernelspec = notebook.metadata.get("kernelspec")
    name = kernelspec.get("name") if isinstance(kernelspec, dict) else None
    name = name if isinstance(name, str) and name else "python3"
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
    """A copy of ``notebook`` to execute, with empty outputs and the setup cell first.

    Only what nbclient changes is copied (the notebook's metadata, each cell's outputs and
    execution count): a deep copy would cost the memory of every stored output once per
    run, and recursion on deeply nested metadata.
    """
    _, nbformat = require_nbclient()
    node = nbformat.NotebookNode
    copy_ = node({**notebook, "metadata": node(dict(notebook.metadata))})
    copy_.cells = [
        node({**cell, "outputs": [], "execution_count": None}) if cell.cell_type == "code" else node(cell)
        for cell in notebook.cells
    ]
    if seed is not None or extra:
        source = setup_source(seed, per_cell, extra) if seed is not None else extra
        setup = nbformat.v4.new_code_cell(source)
        setup["id"] = SETUP_CELL_ID
        copy_.cells.insert(0, setup)
    return copy_


def _describe_failure(error: BaseException, notebook: Any, has_setup: bool, timeout: float | None) -> str:
    nbclient, _ = require_nbclient()
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
        # nbclient registers an exit hook per client and drops it only when the run ends normally;
        # left behind, it would hold the client (and its notebook) and fail at interpreter exit.
        atexit.unregister(client._cleanup_kernel)


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
    """Every executed copy, in the order the runs finished (see :func:`for_each_run`).

    Keeps all ``runs`` copies: for the doctor's few runs. The check itself compares each
    run as it finishes with :func:`for_each_run`, so its memory does not grow with ``runs``.
    """
    executed: list[Any] = []
    for_each_run(
        notebook,
        runs=runs,
        on_run=lambda _number, copy_: executed.append(copy_),
        seed=seed,
        per_cell=per_cell,
        cwd=cwd,
        timeout=timeout,
        parallel=parallel,
        env=env,
        setup_extra=setup_extra,
    )
    return executed


def for_each_run(
    notebook: Any,
    *,
    runs: int,
    on_run: Callable[[int, Any], None],
    seed: int | None,
    per_cell: str | None,
    cwd: str,
    timeout: float | None = None,
    parallel: int | None = None,
    env: dict[str, str] | None = None,
    setup_extra: str = "",
    variants: Sequence[tuple[dict[str, str], str]] | None = None,
    at_once: int | None = None,
    record_timing: bool = False,
) -> None:
    """Execute ``runs`` copies of ``notebook`` (``seed=None``: no seed, the notebook as it is).

    Each executed copy is handed to ``on_run(number, copy)`` as its run finishes (numbered
    from 1 in the order they finish) and then let go: the runner holds no finished copy,
    so only ``on_run``'s own references and the runs in flight take memory. A copy is
    made when its run starts. Runs use separate kernels, ``parallel`` at a time (default:
    one per CPU core), each with its share of the cores' math threads; ``env`` adds kernel
    variables and ``setup_extra`` code to the setup cell. When a run fails the others are
    stopped and NotebookCheckError names the cell (an exception from ``on_run`` stops them
    too and is raised); KeyboardInterrupt comes once every kernel is shut down after Ctrl-C.
    ``variants``: one ``(env, setup_extra)`` per run instead of the same for all (the doctor's
    experiments side by side); ``on_run`` then gets the run's index in ``variants``, from 0.
    ``at_once``: kernels running at the same time, when more than ``parallel`` (which still sets
    each kernel's math threads): a light kernel spends much of its start waiting, not computing.
    ``record_timing``: nbclient's timestamps in each executed cell's ``metadata.execution``.
    """
    import asyncio

    if variants is not None:
        runs = len(variants)
    limit = max(1, min(runs, parallel or usable_cores()))
    per_run = list(variants) if variants is not None else [(env or {}, setup_extra)] * runs
    environments = [kernel_env(threads_per_kernel(limit), extra) for extra, _ in per_run]
    kernel_name = kernel_name_for(notebook)
    # nbclient's timeout is an integer trait: a fractional limit is rounded up, never down.
    whole_timeout = None if timeout is None else max(1, math.ceil(timeout))
    client_class = notebook_client_class()
    empty_notebook = require_nbclient()[1].v4.new_notebook()
    live: list[Any] = []  # clients whose kernel may still run, for the shutdown after a cancel
    interrupted = False
    finished = 0

    async def run_all() -> BaseException | None:
        gate = asyncio.Semaphore(max(limit, min(runs, at_once or 0)))
        shutdowns = DeferredShutdowns()

        async def one(number: int) -> None:
            nonlocal finished
            extra = per_run[number][1]
            has_setup = seed is not None or bool(extra)
            async with gate:
                copy_ = _with_setup_cell(notebook, seed, per_cell, extra)
                client = client_class(
                    copy_,
                    timeout=whole_timeout,
                    kernel_name=kernel_name,
                    resources={"metadata": {"path": cwd}},
                    allow_errors=False,
                    record_timing=record_timing,
                    shutdown_kernel="immediate",  # outputs are collected by then; no need to wait
                )
                client.shutdowns = shutdowns
                live.append(client)
                try:
                    # The kernels' own stderr (ipykernel's transport warnings) would bury our one-line errors.
                    await client.async_execute(env=environments[number], stderr=subprocess.DEVNULL)
                except Exception as error:  # noqa: BLE001 - described in one line, naming the cell
                    live.remove(client)
                    raise NotebookCheckError(_describe_failure(error, copy_, has_setup, timeout)) from None
                live.remove(client)  # nbclient shut its kernel down; a cancelled one stays listed
                # The client sits in reference cycles that only the cyclic collector frees: without
                # this, each executed copy would outlive its comparison until a collection runs.
                client.nb = empty_notebook
                del client
            finished += 1
            on_run(number if variants is not None else finished, copy_)

        in_order: list[BaseException] = []  # failures as they happened

        async def recorded(number: int) -> None:
            try:
                await one(number)
            except asyncio.CancelledError:
                raise
            except BaseException as error:
                # A run stopped because another failed ends in nbclient's DeadKernelError: only
                # the failure that came first says what went wrong.
                in_order.append(error)
                raise

        tasks = [asyncio.ensure_future(recorded(number)) for number in range(runs)]

        def on_interrupt() -> None:
            nonlocal interrupted
            interrupted = True
            for task in tasks:
                task.cancel()

        _guard_signal_handlers(asyncio.get_running_loop(), on_interrupt)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in tasks:
                task.cancel()  # a run failed: the others' results no longer matter
            await asyncio.wait(tasks)
        finally:
            await shutdowns.wait()
            await _shut_down(live)
        return in_order[0] if in_order else None

    failure = _run_coroutine(run_all)
    if interrupted:
        raise KeyboardInterrupt
    if failure is not None:
        raise failure
