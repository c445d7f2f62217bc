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
    group.addoption("--jupyter-seed-seed", type=int, default=0, metavar="N", help="seed (default: 0)")
    group.addoption(
        "--jupyter-seed-runs", type=int, default=2, metavar="K", help="runs to compare (default: 2)"
    )
    group.addoption(
        "--jupyter-seed-per-cell",
        choices=("same", "derived"),
        default="same",
        help="per-cell reseeding mode (default: same)",
    )
    group.addoption("--jupyter-seed-timeout", type=float, default=None, metavar="S", help="seconds per cell")
    group.addoption(
        "--jupyter-seed-ignore",
        action="append",
        default=[],
        metavar="REGEX",
        help="extra volatile-text rule (repeatable)",
    )


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
        from .notebook_check import NotebookCheckError, check_notebook

        option = self.config.getoption
        try:
            report = check_notebook(
                self.path,
                seed=option("jupyter_seed_seed"),
                per_cell=option("jupyter_seed_per_cell"),
                runs=option("jupyter_seed_runs"),
                timeout=option("jupyter_seed_timeout"),
                ignore=option("jupyter_seed_ignore"),
            )
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
