"""A real JupyterLab save writes the provenance that `check --against-stored` compares with."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from e2e_servers import Server
from playwright.sync_api import Page, expect
from test_toolbar import BADGE, SEED, TWO_SECONDS, open_notebook, run_cell

pytestmark = pytest.mark.browser

CELLS = [
    "%load_ext jupyter_seed",
    "%seed 3",
    "import numpy as np\nprint(np.random.rand())",
    "import torch\ntorch.set_float32_matmul_precision('high')",
    "print(torch.rand(2).tolist())",
]


def test_lab_save_stamps_fresh_provenance_and_the_stored_outputs_check_clean(
    page: Page, lab_server: Server
) -> None:
    pytest.importorskip("torch")
    name = lab_server.notebook(f"stored-{uuid.uuid4().hex[:6]}.ipynb", CELLS)
    open_notebook(page, lab_server, name)
    for index in range(len(CELLS)):
        run_cell(page, index)
    expect(page.locator(SEED)).to_have_text("3", timeout=TWO_SECONDS)
    expect(page.locator(BADGE)).to_have_text("seeded")
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1500)
    record = lab_server.read_notebook(name).metadata["jupyter_seed"]
    provenance = record["provenance"]
    # Importing torch and switching its precision changed no configuration: only the
    # refresh after each execution and the write at save bring them into the file.
    assert provenance["frameworks"]["torch"] and provenance["frameworks"]["numpy"]
    assert provenance["precision"]["torch.float32_matmul_precision"] == "high"
    assert (record["seed"], record["per_cell"]) == (3, "off")

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter_seed.cli",
            "check",
            str(lab_server.root / name),
            "--against-stored",
            "--format",
            "json",
            "--no-doctor",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert {cell["class"] for cell in report["cells"]} == {"matches"}, report["cells"]
    assert report["configuration_origin"] == "recorded"
