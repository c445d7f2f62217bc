"""Helpers shared by test modules (kept out of conftest.py, which pytest may shadow)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


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
