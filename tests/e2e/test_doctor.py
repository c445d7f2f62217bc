"""The toolbar's doctor and its switches end to end: real `jupyter lab`, Debian's Chromium.

Each fix is a button that sends data (a fix id); the kernel applies fixed code
and the toolbar shows the kernel's new state.
"""

from __future__ import annotations

import uuid

import pytest
from e2e_servers import Server
from playwright.sync_api import Page, expect
from test_toolbar import BADGE, DOCTOR, DOCTOR_PANEL, SEED, TOOLBAR, TWO_SECONDS, open_notebook, run_cell

pytestmark = pytest.mark.browser


def test_lab_doctor_fix_changes_the_kernel(page: Page, lab_server: Server) -> None:
    name = lab_server.notebook(
        f"doctor-{uuid.uuid4().hex[:6]}.ipynb",
        [
            "%load_ext jupyter_seed\n%seed 9",
            "import jupyter_seed; jupyter_seed.state()['deterministic']",
            "jupyter_seed.state()['workers']",
        ],
    )
    open_notebook(page, lab_server, name)
    run_cell(page, 0)
    expect(page.locator(SEED)).to_have_text("9", timeout=TWO_SECONDS)
    expect(page.locator(DOCTOR)).to_be_visible()
    page.locator(DOCTOR).click()
    risk = page.locator(f"{DOCTOR_PANEL} [data-risk='deterministic_off']")
    expect(risk).to_be_visible(timeout=TWO_SECONDS)
    risk.locator("[data-fix='deterministic']").click()
    expect(page.locator(BADGE)).to_have_text("deterministic", timeout=TWO_SECONDS)
    expect(risk).to_have_count(0, timeout=TWO_SECONDS)
    page.locator(DOCTOR).click()  # close the panel, which covers the cells
    expect(page.locator(DOCTOR_PANEL)).to_be_hidden()
    assert run_cell(page, 1) == "'strict'"

    # The DataLoader workers switch (issue 13): the kernel reports the new value.
    workers = page.locator(f"{TOOLBAR} .jp-SeedToolbar-workers")
    expect(workers).to_have_text("workers: off")
    workers.click()
    expect(workers).to_have_text("workers: on", timeout=TWO_SECONDS)
    assert run_cell(page, 2) == "True"


def test_lab_kernelspec_fix_moves_the_notebook_to_a_seeded_kernel(page: Page, lab_server: Server) -> None:
    name = lab_server.notebook(
        f"spec-{uuid.uuid4().hex[:6]}.ipynb",
        [
            "%load_ext jupyter_seed\n%seed 21",
            "import sys, jupyter_seed; (sys.flags.hash_randomization, jupyter_seed.state()['seed'])",
        ],
    )
    open_notebook(page, lab_server, name)
    run_cell(page, 0)
    expect(page.locator(SEED)).to_have_text("21", timeout=TWO_SECONDS)
    page.locator(DOCTOR).click()
    risk = page.locator(f"{DOCTOR_PANEL} [data-risk='hash_seed_random']")
    expect(risk).to_be_visible(timeout=TWO_SECONDS)
    risk.locator("[data-fix='kernelspec']").click()
    current = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.name"
    page.wait_for_function(f"() => {current} === 'python3-seeded'", timeout=30_000)
    expect(page.locator(SEED)).to_have_text("21", timeout=30_000)
    if page.locator(DOCTOR_PANEL).is_visible():
        page.locator(DOCTOR).click()
    assert run_cell(page, 1) == "(0, 21)"
