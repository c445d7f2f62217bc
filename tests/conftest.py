from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Iterator

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def seeder() -> Iterator[object]:
    """The process-wide seeder, returned to a clean configuration afterwards."""
    from jupyter_seed.core import get_seeder

    seeder = get_seeder()
    yield seeder
    seeder.set_deterministic("off")
    seeder.detach()


@pytest.fixture
def shell(seeder: object) -> Iterator[object]:
    """An IPython InteractiveShell with the extension loaded."""
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_seed")
    yield ip
    if "jupyter_seed" in ip.extension_manager.loaded:
        ip.run_line_magic("unload_ext", "jupyter_seed")


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 240) -> str:
    """Run ``code`` in a fresh interpreter (import-order tests need a clean sys.modules)."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout
