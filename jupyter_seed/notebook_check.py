"""``jupyter-seed check NOTEBOOK.ipynb``: run a notebook K times in fresh kernels and compare every cell.

Each run executes a copy of the notebook with nbclient in its own kernel, with a
setup cell injected first (``%load_ext jupyter_seed`` and ``%seed N --per-cell
MODE``; its outputs are not part of the report). Runs go in parallel, up to one
per CPU core. Outputs are compared with :func:`jupyter_seed.compare.outputs_difference`:
images by decoded pixels, text after the volatile-text rules.

Exit codes: 0 every cell reproduces, 1 some cell differs, 2 the notebook could
not be run (missing file, bad JSON, a cell error, a timeout, bad arguments).
nbclient and nbformat are imported only when a check runs: they are extras.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .compare import VOLATILE_PATTERNS, Difference, outputs_difference, volatile_rules
from .seeds import parse_seed_text, validate_seed

EXIT_REPRODUCIBLE = 0
EXIT_DIFFERENT = 1
EXIT_NOT_RUN = 2
DEFAULT_SEED = 0
SETUP_CELL_ID = "jupyter-seed-check-setup"
Format = Literal["text", "json", "markdown"]


class NotebookCheckError(Exception):
    """The notebook could not be run; the message is one line for stderr (exit code 2)."""


# --------------------------------------------------------------------- report
@dataclass
class CellReport:
    index: int
    """1-based position of the cell in the notebook (markdown cells count)."""
    cell_id: str | None
    source: str
    difference: Difference | None = None
    run: int | None = None
    """The run (2..K) that first differed from run 1."""
    causes: list[str] = field(default_factory=list)

    @property
    def reproducible(self) -> bool:
        return self.difference is None

    @property
    def first_line(self) -> str:
        lines = self.source.strip().splitlines()
        text = lines[0] if lines else ""
        return text if len(text) <= 60 else text[:59] + "…"


@dataclass
class NotebookReport:
    path: str
    seed: int
    per_cell: str
    runs: int
    seconds: float
    cells: list[CellReport] = field(default_factory=list)

    @property
    def differing(self) -> list[CellReport]:
        return [cell for cell in self.cells if not cell.reproducible]

    @property
    def ok(self) -> bool:
        return not self.differing

    @property
    def exit_code(self) -> int:
        return EXIT_REPRODUCIBLE if self.ok else EXIT_DIFFERENT

    def summary(self) -> str:
        if self.ok:
            return f"all {len(self.cells)} code cells reproduce"
        return f"{len(self.differing)} of {len(self.cells)} code cells differ"

    def to_text(self) -> str:
        lines = [
            f"{self.path}: seed {self.seed}, per-cell {self.per_cell}, {self.runs} runs, {self.seconds:.1f} s"
        ]
        for cell in self.cells:
            mark = "ok     " if cell.reproducible else "DIFFERS"
            lines.append(f"  cell {cell.index:>3} {mark} {cell.first_line}")
            if cell.difference is not None:
                lines.append(f"               run {cell.run} vs run 1: {cell.difference}")
                lines += [f"               likely cause: {cause}" for cause in cell.causes]
        lines.append(f"Result: {self.summary()}.")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        def escape(text: str) -> str:
            return text.replace("|", "\\|").replace("`", "'")

        lines = [
            f"### `{escape(self.path)}`: {self.summary()}",
            "",
            f"Seed {self.seed}, per-cell `{self.per_cell}`, {self.runs} runs, {self.seconds:.1f} s.",
            "",
            "| cell | status | source | first difference |",
            "| ---: | --- | --- | --- |",
        ]
        for cell in self.cells:
            status = "✅ reproduces" if cell.reproducible else "❌ differs"
            detail = "" if cell.difference is None else f"run {cell.run} vs run 1: {cell.difference}"
            if cell.causes:
                detail += " (likely cause: " + "; ".join(cell.causes) + ")"
            lines.append(f"| {cell.index} | {status} | `{escape(cell.first_line)}` | {escape(detail)} |")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {
                "notebook": self.path,
                "seed": self.seed,
                "per_cell": self.per_cell,
                "runs": self.runs,
                "seconds": round(self.seconds, 3),
                "ok": self.ok,
                "exit_code": self.exit_code,
                "cells": [
                    {
                        "index": cell.index,
                        "id": cell.cell_id,
                        "reproducible": cell.reproducible,
                        "source": cell.source,
                        "likely_causes": cell.causes,
                        "difference": None
                        if cell.difference is None
                        else {
                            "run": cell.run,
                            "where": cell.difference.where,
                            "first": cell.difference.first,
                            "second": cell.difference.second,
                        },
                    }
                    for cell in self.cells
                ],
            },
            indent=2,
        )

    def render(self, format: Format) -> str:
        return {"text": self.to_text, "json": self.to_json, "markdown": self.to_markdown}[format]()


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


def _code_cells(notebook: Any) -> list[tuple[int, Any]]:
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


# -------------------------------------------------------------------- check
def check_notebook(
    path: str | os.PathLike[str],
    *,
    seed: int = DEFAULT_SEED,
    per_cell: str = "same",
    runs: int = 2,
    timeout: float | None = None,
    ignore: Sequence[str] = (),
    parallel: int | None = None,
) -> NotebookReport:
    """Run the notebook ``runs`` times under ``seed`` and compare every code cell's outputs.

    Raises :class:`NotebookCheckError` (one line) when it cannot be run; bad arguments
    raise ``ValueError`` before any kernel starts.
    """
    seed = validate_seed(seed)
    if per_cell not in ("same", "derived"):
        raise ValueError(f"--per-cell must be 'same' or 'derived', got {per_cell!r}")
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise ValueError(f"--runs must be an integer of at least 2, got {runs!r}")
    if parallel is not None and (isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1):
        raise ValueError(f"--parallel must be a positive integer, got {parallel!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"--timeout must be a positive number of seconds, got {timeout!r}")
    rules = volatile_rules(ignore)
    notebook = load_notebook(path)
    started = time.perf_counter()
    executed = execute_runs(
        notebook,
        runs=runs,
        seed=seed,
        per_cell=per_cell,
        cwd=str(Path(path).resolve().parent),
        timeout=timeout,
        parallel=parallel,
    )
    report = NotebookReport(str(path), seed, per_cell, runs, time.perf_counter() - started)
    for index, cell in _code_cells(notebook):
        cell_report = CellReport(index, cell.get("id"), cell.source)
        for run, other in enumerate(executed[1:], start=2):
            # Copies carry the setup cell at 0, so notebook cell N (1-based) is cells[N] there.
            found = outputs_difference(
                executed[0].cells[index].outputs, other.cells[index].outputs, "", rules
            )
            if found is not None:
                cell_report.difference = Difference(
                    found.where.strip() or "outputs", found.first, found.second
                )
                cell_report.run = run
                cell_report.causes = _likely_causes(cell.source)
                break
        report.cells.append(cell_report)
    return report


def _likely_causes(source: str) -> list[str]:
    from IPython.core.inputtransformer2 import TransformerManager

    from .cell_check import analyze_cell, likely_causes

    try:
        names = analyze_cell(TransformerManager().transform_cell(source))
    except SyntaxError:
        return []
    return likely_causes(names, patch_default_rng="--patch-default-rng" in source, across_processes=True)


# ---------------------------------------------------------------------- CLI
def _seed_type(text: str) -> int:
    try:
        return parse_seed_text(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _runs_type(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


def _timeout_type(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    rules = "; ".join(f"{pattern!s} -> {replacement}" for pattern, replacement in VOLATILE_PATTERNS)
    parser.description = (
        "Run a notebook --runs times in fresh kernels with jupyter_seed loaded and the seed applied, "
        "and compare every cell's outputs. Exit 0: all cells reproduce; 1: some differ; "
        "2: the notebook could not be run."
    )
    parser.add_argument("notebook", help="the .ipynb file")
    parser.add_argument(
        "--seed", type=_seed_type, default=DEFAULT_SEED, help="seed for %%seed (default: %(default)s)"
    )
    parser.add_argument(
        "--per-cell",
        choices=("same", "derived"),
        default="same",
        help="per-cell reseeding mode (default: %(default)s)",
    )
    parser.add_argument(
        "--runs", type=_runs_type, default=2, help="executions to compare, at least 2 (default: 2)"
    )
    parser.add_argument(
        "--timeout", type=_timeout_type, default=None, help="seconds per cell (default: none)"
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="REGEX",
        help=f"also replace matches of REGEX before comparing text (repeatable). Always applied: {rules}",
    )
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="report format"
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=None,
        metavar="N",
        help="kernels at a time (default: one per CPU core, at most --runs)",
    )
    parser.set_defaults(handler=run_from_args)
    return parser


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``check`` to the ``jupyter-seed`` command's subparsers."""
    parser = subparsers.add_parser("check", help="check that a notebook reproduces its outputs run after run")
    return configure_parser(parser)


def run_from_args(args: argparse.Namespace) -> int:
    try:
        report = check_notebook(
            args.notebook,
            seed=args.seed,
            per_cell=args.per_cell,
            runs=args.runs,
            timeout=args.timeout,
            ignore=args.ignore,
            parallel=args.parallel,
        )
    except (NotebookCheckError, ValueError) as error:
        print(f"jupyter-seed check: error: {error}", file=sys.stderr)
        return EXIT_NOT_RUN
    print(report.render(args.format))
    return report.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jupyter_seed.notebook_check NOTEBOOK ...``, the same as ``jupyter-seed check``."""
    from .cli import main as cli_main

    return cli_main(["check", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
