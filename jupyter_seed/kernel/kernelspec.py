"""A kernelspec whose environment fixes what cannot be changed once Python runs.

``PYTHONHASHSEED`` is read when the interpreter starts and ``CUBLAS_WORKSPACE_CONFIG``
when CUDA initialises; only the kernel's launch environment fixes them for sure.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..seeding.errors import short_text
from ..seeding.seeds import validate_seed
from ..seeding.sources.torch_source import CUBLAS_VALUE, CUBLAS_VAR

DEFAULT_NAME = "python3-seeded"
KERNEL_NAME = re.compile(r"[a-z0-9._-]{1,100}")
"""jupyter_client's rule (it lowercases first), plus a length bound."""


def validate_kernel_name(name: object) -> str:
    """The kernel name as Jupyter will store it, or a one-line ``ValueError``.

    jupyter_client accepts ``.`` and ``..`` and then replaces
    ``kernels/<name>``, which for those names is ``kernels`` or the whole Jupyter
    data directory: names made only of dots are refused here.
    """
    text = name if isinstance(name, str) else ""
    lowered = text.lower()
    if not KERNEL_NAME.fullmatch(lowered) or not lowered.strip("."):
        shown = short_text(" ".join(repr(name).split()))
        raise ValueError(
            "kernel name must be 1-100 of a-z, 0-9, '-', '.', '_' and not only dots, "
            f"got {shown}"
        )
    return lowered


def kernel_spec(
    *,
    hash_seed: int,
    display_name: str,
    autoload: bool = True,
    seed: int | None = None,
    python: str = sys.executable,
) -> dict[str, Any]:
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if autoload:
        argv.append("--IPKernelApp.extensions=['jupyter_seed']")
    if seed is not None:
        argv.append(f"--IPKernelApp.exec_lines=['%seed {seed} --quiet']")
    return {
        "argv": argv,
        "display_name": display_name,
        "language": "python",
        "env": {"PYTHONHASHSEED": str(hash_seed), CUBLAS_VAR: CUBLAS_VALUE},
        "metadata": {"debugger": True, "jupyter_seed": {"hash_seed": hash_seed, "seed": seed}},
    }


def install(
    *,
    name: str = DEFAULT_NAME,
    hash_seed: int = 0,
    display_name: str | None = None,
    autoload: bool = True,
    seed: int | None = None,
    user: bool = False,
    prefix: str | None = None,
) -> str:
    """Install the kernelspec; returns the directory it was installed into."""
    from jupyter_client.kernelspec import KernelSpecManager

    hash_seed = validate_seed(hash_seed, name="hash seed")
    if seed is not None:
        seed = validate_seed(seed)
    name = validate_kernel_name(name)
    if user and prefix:
        raise ValueError("choose one of user and prefix")
    spec = kernel_spec(
        hash_seed=hash_seed,
        display_name=display_name or f"Python 3 (seeded, PYTHONHASHSEED={hash_seed})",
        autoload=autoload,
        seed=seed,
    )
    with tempfile.TemporaryDirectory() as staging:
        (Path(staging) / "kernel.json").write_text(json.dumps(spec, indent=1))
        destination = KernelSpecManager().install_kernel_spec(staging, name, user=user, prefix=prefix)
    return str(destination)
