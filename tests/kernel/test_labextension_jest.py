"""Run the toolbar's jest unit tests and its lint (labextension/) from pytest: CI's one `pytest` runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

LABEXTENSION = Path(__file__).resolve().parents[2] / "labextension"


def _jlpm() -> list[str]:
    beside_python = Path(sys.executable).with_name("jlpm")
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("jlpm")
    assert found, "jlpm (JupyterLab's bundled yarn) is needed: install jupyterlab"
    return [found]


def _run_jlpm(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_jlpm(), *args],
        cwd=LABEXTENSION,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_jest_unit_tests_pass() -> None:
    env = {
        **os.environ,
        "CI": "true",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    if not (LABEXTENSION / "node_modules" / ".bin" / "jest").exists():
        # `pip install -e .` runs `jlpm install`; a checkout that skipped it gets the locked versions here.
        install = _run_jlpm("install", "--immutable", env=env)
        assert install.returncode == 0, install.stdout[-4000:] + install.stderr[-4000:]
    result = _run_jlpm("test", "--ci", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "failed" not in output.split("Tests:")[-1].splitlines()[0], output[-2000:]


def test_front_end_lint_passes() -> None:
    """`jlpm lint:check` (ESLint with typescript-eslint, then Prettier) has no finding."""
    env = {
        **os.environ,
        "CI": "true",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    if not (LABEXTENSION / "node_modules" / ".bin" / "eslint").exists():
        install = _run_jlpm("install", "--immutable", env=env)
        assert install.returncode == 0, install.stdout[-4000:] + install.stderr[-4000:]
    result = _run_jlpm("lint:check", env=env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
