"""pytest's ``--jupyter-seed-against-stored``: one test per notebook, passing when it gives its outputs.

Loaded by :mod:`.pytest_plugin` only when the option is given. The test runs
``jupyter-seed check --against-stored`` on the notebook; its failure text is the
report, one line per code cell with its class (matches, float-drift,
nondeterministic, environment, changed, no stored output).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .evidence.options import CheckOptions, OptionError, parse_tolerance
from .evidence.outputs.tolerance import DEFAULT_ATOL, DEFAULT_RTOL
from .seeding.error_root import JupyterSeedError


def stored_options(config: pytest.Config, options: CheckOptions, prefix: str) -> dict[str, Any]:
    """The keyword arguments of ``check_against_stored``; only what was given overrides the notebook's."""
    option = config.getoption
    try:
        rtol = parse_tolerance(option("jupyter_seed_rtol"), DEFAULT_RTOL, f"--{prefix}rtol")
        atol = parse_tolerance(option("jupyter_seed_atol"), DEFAULT_ATOL, f"--{prefix}atol")
    except OptionError as error:
        raise pytest.UsageError(f"jupyter-seed: {error}") from None
    mode_given = option("jupyter_seed_mode") is not None or option("jupyter_seed_per_cell") is not None
    return {
        "seed": options.seed if option("jupyter_seed_seed") is not None else None,
        "mode": options.mode if mode_given else None,
        "per_cell": options.per_cell if mode_given else None,
        "runs": options.runs if option("jupyter_seed_runs") is not None else None,
        "timeout": options.timeout,
        "ignore": options.ignore,
        "rtol": rtol,
        "atol": atol,
    }


class DiffersFromStored(JupyterSeedError):
    """Carries the report text for the failure message."""


class StoredItem(pytest.Item):
    def __init__(self, *, options: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options = options

    def runtest(self) -> None:
        from .evidence.checks.against_stored import check_against_stored
        from .evidence.checks.loading import NotebookCheckError

        try:
            report = check_against_stored(self.path, **self.options)
        except (NotebookCheckError, ValueError) as error:
            raise DiffersFromStored(f"could not run: {error}") from None
        if not report.ok:
            raise DiffersFromStored(report.render("text"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        if isinstance(excinfo.value, DiffersFromStored):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"jupyter-seed check --against-stored {self.path.name}"
