"""Run one GPU scenario in a fresh interpreter and read back the JSON it prints last.

Each scenario runs in its own process so that CUDA's initialisation order is
controlled; the parent only asks torch whether a device exists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
REPOSITORY = TESTS.parent


def _cuda_missing() -> str | None:
    try:
        import torch
    except ImportError:
        return "the GPU suite needs PyTorch"
    if not torch.cuda.is_available():
        return "the GPU suite needs a CUDA device"
    return None


_MISSING = _cuda_missing()
requires_cuda = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")
"""Module-level mark: every GPU test skips cleanly where torch or CUDA is missing."""


def run_scenario(code: str, *, env: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                 timeout: float = 600) -> Any:
    """Run ``code`` with the repository and tests/seeding importable; return its last line as JSON."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    for name in drop:
        full_env.pop(name, None)
    paths = [str(REPOSITORY), str(TESTS / "seeding"), full_env.get("PYTHONPATH", "")]
    full_env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=full_env,
        timeout=timeout, cwd=str(REPOSITORY),
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


CUDA_DRAWS = """
def cuda_draws():
    return [torch.randn(4, device="cuda").tolist(),
            torch.randint(0, 10**6, (4,), device="cuda").tolist(),
            torch.randperm(16, device="cuda").tolist()]
"""
