"""pytest plugin: ``pytest --jupyter-seed-check notebooks/`` gates CI on reproducible notebooks.

Registered as a ``pytest11`` entry point, so pytest loads it in every run of every
project that has jupyter-seed installed: it imports nothing beyond pytest at load
and does nothing unless ``--jupyter-seed-check`` is given. Then every collected
``*.ipynb`` becomes one test item that runs ``jupyter-seed check`` on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jupyter-seed", "reproducible notebooks (jupyter-seed check)")
    group.addoption(
        "--jupyter-seed-check",
        action="store_true",
        default=False,
        help="collect *.ipynb files; each passes when every cell reproduces across runs",
    )
    group.addoption("--jupyter-seed-seed", default="0", metavar="N", help="seed (default: 0)")
    group.addoption("--jupyter-seed-runs", default="2", metavar="K", help="runs to compare (default: 2)")
    group.addoption(
        "--jupyter-seed-mode",
        choices=("asis", "once", "per-cell"),
        default=None,
        help="asis, once (default) or per-cell, as `jupyter-seed check --mode`",
    )
    group.addoption(
        "--jupyter-seed-per-cell",
        choices=("same", "derived"),
        default=None,
        help="per-cell reseeding mode; implies --jupyter-seed-mode per-cell",
    )
    group.addoption("--jupyter-seed-timeout", default=None, metavar="S", help="seconds per cell")
    group.addoption(
        "--jupyter-seed-ignore",
        action="append",
        default=[],
        metavar="REGEX",
        help="extra volatile-text rule (repeatable)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Validate the options once, as the CLI does: one usage error at start-up, not one per notebook."""
    if not config.getoption("jupyter_seed_check", False):
        return
    from .cli import build_parser

    option = config.getoption
    argv = ["check", "notebook.ipynb", "--seed", str(option("jupyter_seed_seed"))]
    argv += ["--runs", str(option("jupyter_seed_runs"))]
    for flag, name in (("--mode", "jupyter_seed_mode"), ("--per-cell", "jupyter_seed_per_cell")):
        if option(name) is not None:
            argv += [flag, option(name)]
    if option("jupyter_seed_timeout") is not None:
        argv += ["--timeout", str(option("jupyter_seed_timeout"))]
    for pattern in option("jupyter_seed_ignore"):
        argv += ["--ignore", pattern]
    try:
        args = _parse_quietly(build_parser(), argv)
        from .evidence.checks.notebook import resolve_mode
        from .evidence.outputs.text_rules import volatile_rules

        resolve_mode(args.mode, args.per_cell)
        volatile_rules(args.ignore)
    except ValueError as error:
        raise pytest.UsageError(f"jupyter-seed: {error}") from None
    config.stash[_CHECK_OPTIONS] = {
        "seed": args.seed,
        "runs": args.runs,
        "mode": args.mode,
        "per_cell": args.per_cell,
        "timeout": args.timeout,
        "ignore": args.ignore,
    }


def _parse_quietly(parser: Any, argv: list[str]) -> Any:
    """Parse like the CLI, turning its one-line error into a ValueError in pytest's words."""
    import contextlib
    import io

    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            return parser.parse_args(argv)
    except SystemExit:
        message = errors.getvalue().strip().splitlines()[-1:] or ["invalid option"]
        text = message[0].replace("jupyter-seed check: error: argument ", "")
        raise ValueError(text.replace("--", "--jupyter-seed-", 1)) from None


_CHECK_OPTIONS = pytest.StashKey[dict[str, Any]]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".ipynb" and parent.config.getoption("jupyter_seed_check", False):
        if ".ipynb_checkpoints" in file_path.parts:
            return None
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(pytest.File):
    def collect(self) -> Any:
        yield NotebookItem.from_parent(self, name="reproducible")


class NotReproducible(Exception):
    """Carries the report text for the failure message."""


class NotebookItem(pytest.Item):
    def runtest(self) -> None:
        from .evidence.checks.notebook import NotebookCheckError, check_notebook

        try:
            report = check_notebook(self.path, **self.config.stash[_CHECK_OPTIONS])
        except (NotebookCheckError, ValueError) as error:
            raise NotReproducible(f"could not run: {error}") from None
        if not report.ok:
            raise NotReproducible(report.render("text"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        if isinstance(excinfo.value, NotReproducible):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"jupyter-seed check {self.path.name}"
