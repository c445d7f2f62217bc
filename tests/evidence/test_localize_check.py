"""``jupyter-seed check --localize`` and ``%%seed --check --localize``: the divergence in every report."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from localize_support import write_module, write_notebook

from jupyter_seed.cli import main
from jupyter_seed.evidence.checks.notebook import check_notebook

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
from kernel_client import Kernel  # noqa: E402


def _notebook(folder: Path) -> Path:
    write_module(folder, "noise.py", "import os\n\n\ndef token():\n    raw = os.urandom(4)\n    return raw.hex()\n")
    return write_notebook(
        folder / "mixed.ipynb",
        "import noise\nprint('clean', 6 * 7)",
        "value = noise.token()\nprint(value)",
        "print('also clean')",
    )


def test_check_localize_reports_the_divergence_and_keeps_every_verdict(tmp_path: Path) -> None:
    notebook = _notebook(tmp_path)
    plain = check_notebook(notebook, doctor=False)
    report = check_notebook(notebook, doctor=False, localize=True)
    assert [c.reproducible for c in report.cells] == [c.reproducible for c in plain.cells] == [True, False, True]
    assert report.exit_code == plain.exit_code == 1
    clean = [cell for cell in report.cells if cell.reproducible]
    assert all(cell.divergence is None for cell in clean), "a clean cell was given a divergence"
    data = json.loads(report.render("json"))
    divergence = data["cells"][1]["divergence"]
    assert {k: divergence[k] for k in ("file", "line", "code", "what", "op", "inputs_equal")} == {
        "file": "noise.py", "line": 5, "code": "raw = os.urandom(4)", "what": "raw", "op": None,
        "inputs_equal": None,
    }
    assert data["cells"][0]["divergence"] is None and data["cells"][2]["divergence"] is None
    text = report.render("text")
    lines = text.splitlines()
    at = next(n for n, line in enumerate(lines) if "first divergence:" in line)
    assert "first divergence: noise.py, line 5 `raw = os.urandom(4)` — `raw` differs" in lines[at]
    assert "run 2 vs run 1" in lines[at - 1], "the divergence goes under the cell's difference, before causes"
    assert "first divergence: noise.py, line 5" in report.render("markdown")


def test_cli_localize_refuses_against_stored_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook = write_notebook(tmp_path / "one.ipynb", "print(1)")
    assert main(["check", str(notebook), "--localize", "--against-stored"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--localize" in err[0]


def test_seed_check_localize_in_a_kernel(tmp_path: Path) -> None:
    write_module(tmp_path, "draws.py", "import numpy as np\n\n\ndef sample():\n    rng = np.random.default_rng()\n"
                 "    return rng.integers(0, 10**9)\n")
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        kernel = Kernel()
    finally:
        os.chdir(previous)
    try:
        assert kernel.execute("%load_ext jupyter_seed\nimport sys\nsys.path.insert(0, '.')\nimport draws")["status"] == "ok"
        result = kernel.execute("%%seed --check 3 --localize\nvalue = draws.sample()\nprint(value)")
        out = "".join(result["stdout"])
        assert "NOT reproducible" in out
        assert "first divergence: draws.py, line 5 `rng = np.random.default_rng()` — `rng` differs" in out, out
        clean = kernel.execute("%%seed --check 3 --localize\nimport random\nprint(random.random())")
        assert "Reproducible" in "".join(clean["stdout"]) and "first divergence" not in "".join(clean["stdout"])
        refused = kernel.execute("%%seed 3 --localize\nx = 1")
        assert "--localize goes with --check" in "".join(refused["stderr"])
    finally:
        kernel.shutdown()
