"""``jupyter-seed check`` has a default per-cell time limit, shown in ``--help`` (issue 19, B5)."""

from __future__ import annotations

import pytest

from jupyter_seed.cli import build_parser, main
from jupyter_seed.evidence.checks.runner import DEFAULT_CELL_TIMEOUT


def test_check_has_a_default_cell_time_limit_shown_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert 0 < DEFAULT_CELL_TIMEOUT <= 3600
    args = build_parser().parse_args(["check", "some.ipynb"])
    assert float(args.timeout) == DEFAULT_CELL_TIMEOUT
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"a cell that runs longer stops the check (default: {DEFAULT_CELL_TIMEOUT:g})" in help_text
