"""Fixtures for the browser tests: Debian's Chromium and real Jupyter servers (see e2e_servers)."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_servers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Server, start_server, stop_server


def _check_installed_extension() -> None:
    """Fail early, with the fix, when the server would load a stale or missing toolbar build."""
    built = Path(__file__).resolve().parents[2] / "jupyter_seed" / "labextension" / "package.json"
    installed = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyter-seed" / "package.json"
    if not installed.exists():
        pytest.fail(
            f"{installed} is missing: run `pip install -e .` (or `jlpm install:extension` in labextension/)"
        )
    if built.exists() and json.loads(built.read_text())["jupyterlab"].get("_build") != json.loads(
        installed.read_text()
    )["jupyterlab"].get("_build"):
        pytest.fail(
            "the installed labextension is older than jupyter_seed/labextension: run `pip install -e .` "
            "or `jlpm install:extension` in labextension/"
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is required at {CHROMIUM} for the browser tests (scripts/dev installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _server_fixture(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if shutil.which("jupyter", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("jupyter is not installed next to this Python")
    _check_installed_extension()
    server = start_server(kind, tmp_path_factory.mktemp(f"jupyter-{kind}"))
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server_fixture("lab", tmp_path_factory)


@pytest.fixture(scope="module")
def notebook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server_fixture("notebook", tmp_path_factory)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 800})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.console_log = console  # type: ignore[attr-defined]
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"))
        (ARTIFACTS / f"failed-{request.node.name}.console.txt").write_text("\n".join(console))
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
