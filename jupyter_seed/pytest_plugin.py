"""pytest plugin: ``pytest --jupyter-seed-check notebooks/`` gates CI on reproducible notebooks.

Registered as a ``pytest11`` entry point, so pytest loads it in every run of every
project that has jupyter-seed installed: it imports nothing beyond pytest and the
light options module at load and does nothing unless ``--jupyter-seed-check`` is given. Then every collected
``*.ipynb`` becomes one test item that runs ``jupyter-seed check`` on it. The
options are checked by :mod:`jupyter_seed.evidence.options`, as the CLI's are:
the same mistake, the same message, with this door's flag names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .evidence.options import CHECK_MODES, CHECK_PER_CELL_MODES, DEFAULT_RUNS, DEFAULT_SEED
from .seeding.error_root import JupyterSeedError


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jupyter-seed", "reproducible notebooks (jupyter-seed check)")
    group.addoption(
        "--jupyter-seed-check",
        action="store_true",
        default=False,
        help="collect *.ipynb files; each passes when every cell reproduces across runs",
    )
    # Values stay text here: the options module checks them (pytest's own choices= would word it otherwise).
    group.addoption(
        "--jupyter-seed-against-stored",
        action="store_true",
        default=False,
        help="collect *.ipynb files; each passes when a fresh run gives the outputs stored in it "
        "(as `jupyter-seed check --against-stored`)",
    )
    for name, default in (("rtol", "1e-05"), ("atol", "1e-08")):
        group.addoption(
            f"--jupyter-seed-{name}", default=None, metavar="X", help=f"with --jupyter-seed-against-stored ({default})"
        )
    group.addoption("--jupyter-seed-seed", default=None, metavar="N", help=f"seed (default: {DEFAULT_SEED})")
    group.addoption(
        "--jupyter-seed-runs", default=None, metavar="K", help=f"runs to compare (default: {DEFAULT_RUNS})"
    )
    group.addoption(
        "--jupyter-seed-mode",
        default=None,
        metavar="{" + ",".join(CHECK_MODES) + "}",
        help="asis, once (default) or per-cell, as `jupyter-seed check --mode`",
    )
    group.addoption(
        "--jupyter-seed-per-cell",
        default=None,
        metavar="{" + ",".join(CHECK_PER_CELL_MODES) + "}",
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


def _enabled(config: pytest.Config) -> bool:
    option = config.getoption
    return bool(option("jupyter_seed_check", False) or option("jupyter_seed_against_stored", False))


def pytest_configure(config: pytest.Config) -> None:
    """Check the options once, as the CLI does: one usage error at start-up, not one per notebook."""
    if not _enabled(config):
        return
    from .evidence.options import OptionError, check_options

    option = config.getoption
    try:
        options = check_options(
            seed=option("jupyter_seed_seed"),
            runs=option("jupyter_seed_runs"),
            mode=option("jupyter_seed_mode"),
            per_cell=option("jupyter_seed_per_cell"),
            timeout=option("jupyter_seed_timeout"),
            ignore=option("jupyter_seed_ignore"),
            prefix=OPTION_PREFIX,
        )
    except OptionError as error:
        raise pytest.UsageError(f"jupyter-seed: {error}") from None
    config.stash[_CHECK_OPTIONS] = options.arguments()
    if config.getoption("jupyter_seed_against_stored", False):
        from .pytest_stored import stored_options

        config.stash[_STORED_OPTIONS] = stored_options(config, options, OPTION_PREFIX)


OPTION_PREFIX = "jupyter-seed-"
"""This door's flags are the CLI's with this prefix: ``--runs`` is ``--jupyter-seed-runs``."""

_CHECK_OPTIONS = pytest.StashKey[dict[str, Any]]()
_STORED_OPTIONS = pytest.StashKey[dict[str, Any]]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".ipynb" and _enabled(parent.config):
        if ".ipynb_checkpoints" in file_path.parts:
            return None
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(pytest.File):
    def collect(self) -> Any:
        from .evidence.checks.runner import NotebookCheckError, load_notebook

        try:
            load_notebook(self.path)  # a file that is no notebook is a one-line collection error
        except NotebookCheckError as error:
            raise self.CollectError(f"jupyter-seed: {error}") from None
        if self.config.getoption("jupyter_seed_check", False):
            yield NotebookItem.from_parent(self, name="reproducible")
        if self.config.getoption("jupyter_seed_against_stored", False):
            from .pytest_stored import StoredItem

            options = self.config.stash[_STORED_OPTIONS]
            yield StoredItem.from_parent(self, name="gives-stored-outputs", options=options)


class NotReproducible(JupyterSeedError):
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
