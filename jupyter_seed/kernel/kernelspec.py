"""A kernelspec whose environment fixes what cannot be changed once Python runs.

``PYTHONHASHSEED`` is read when the interpreter starts and ``CUBLAS_WORKSPACE_CONFIG``
when CUDA initialises; only the kernel's launch environment fixes them for sure.

A kernelspec of the same name that jupyter-seed did not write, exactly as it
wrote it, is never replaced: its seeds, logos and extra files are the user's,
and every notebook bound to it would silently change. jupyter_client's
``install_kernel_spec`` deletes the destination before it copies, so the spec
is written here instead, into its folder, through a temporary file.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import tempfile
from typing import Any

from ..seeding.error_root import JupyterSeedError
from ..seeding.messages import one_line, short_text
from ..seeding.seeds import validate_seed
from ..seeding.sources.torch_source import CUBLAS_VALUE, CUBLAS_VAR

DEFAULT_NAME = "python3-seeded"
AUTOLOAD_ARGUMENT = "--IPKernelApp.extensions=['jupyter_seed']"
SPEC_FILE = "kernel.json"
MAX_SPEC_BYTES = 1 << 20


class KernelspecInTheWay(JupyterSeedError, ValueError):
    """A kernelspec of the name asked for exists and is not exactly one of ours; nothing was changed."""
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
        argv.append(AUTOLOAD_ARGUMENT)
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
    """Install the kernelspec; returns the directory it was installed into.

    Raises :class:`KernelspecInTheWay`, changing nothing, when a kernelspec of
    that name which jupyter-seed did not write exists in the destination or
    anywhere else Jupyter looks for kernels (it would shadow, or be shadowed).
    """
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
    manager = KernelSpecManager()
    destination = _destination(manager, name, user=user, prefix=prefix)
    for folder in [destination] + [os.path.join(kernels, name) for kernels in manager.kernel_dirs]:
        _refuse_if_foreign(name, folder)
    _write_spec(name, destination, spec)
    return destination


def _destination(manager: Any, name: str, *, user: bool, prefix: str | None) -> str:
    """Where jupyter_client's ``install_kernel_spec`` would put ``name``."""
    if user:
        return os.path.join(manager.user_kernel_dir, name)
    if prefix:
        return os.path.join(os.path.abspath(os.path.expanduser(prefix)), "share", "jupyter", "kernels", name)
    from jupyter_core.paths import SYSTEM_JUPYTER_PATH

    return os.path.join(SYSTEM_JUPYTER_PATH[0], "kernels", name)


def _refuse_if_foreign(name: str, folder: str) -> None:
    reason = why_not_ours(folder)
    if reason is not None:
        raise KernelspecInTheWay(
            f"kernelspec {name!r} at {_tail(folder)} was not written by jupyter-seed "
            f"({one_line(reason, 70)}); left untouched: use another --name or move it away"
        )


def _tail(path: str, limit: int = 100) -> str:
    """``path`` on one line, its start cut when long: the end names the kernel."""
    text = one_line(path, len(path) + 1)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def why_not_ours(folder: str) -> str | None:
    """Why the kernelspec in ``folder`` is not exactly one jupyter-seed wrote; ``None``: it is, or is absent.

    Ours means: the folder holds only ``kernel.json``, and that file is what
    :func:`kernel_spec` writes for the seeds it records, with its own display
    name and Python. Any edit, extra file or link makes it the user's.
    """
    try:
        folder_status = os.lstat(folder)
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"it cannot be read: {error.strerror}"
    if not stat.S_ISDIR(folder_status.st_mode):
        return "it is a link or a file, not a folder"
    try:
        entries = sorted(os.listdir(folder))
        others = [entry for entry in entries if entry != SPEC_FILE]
        if others:
            return f"it also holds {one_line(', '.join(others[:3]), 80)}{', …' if len(others) > 3 else ''}"
        if not entries:
            return f"it has no {SPEC_FILE}"
        path = os.path.join(folder, SPEC_FILE)
        file_status = os.lstat(path)
        if not stat.S_ISREG(file_status.st_mode) or file_status.st_size > MAX_SPEC_BYTES:
            return f"its {SPEC_FILE} is not a small regular file"
        with open(path, "rb") as handle:
            written = json.loads(handle.read(MAX_SPEC_BYTES))
    except OSError as error:
        return f"it cannot be read: {error.strerror}"
    except ValueError:
        return f"its {SPEC_FILE} is not JSON"
    return None if _is_our_spec(written) else f"its {SPEC_FILE} is not what jupyter-seed writes"


def _is_our_spec(written: Any) -> bool:
    try:
        ours = written["metadata"]["jupyter_seed"]
        argv, display_name = written["argv"], written["display_name"]
        python = argv[0] if isinstance(argv, list) and argv else None
        if not isinstance(python, str) or not isinstance(display_name, str):
            return False
        rebuilt = kernel_spec(
            hash_seed=validate_seed(ours["hash_seed"], name="hash seed"),
            display_name=display_name,
            autoload=AUTOLOAD_ARGUMENT in argv,
            seed=None if ours["seed"] is None else validate_seed(ours["seed"]),
            python=python,
        )
    except (KeyError, TypeError, ValueError):
        return False
    return bool(rebuilt == written)


def _write_spec(name: str, destination: str, spec: dict[str, Any]) -> None:
    """Write ``kernel.json`` into ``destination`` (created if absent) and nothing else; never delete."""
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    try:
        os.mkdir(destination)
    except FileExistsError:
        _refuse_if_foreign(name, destination)  # appeared since the check: look again
    handle, temporary = tempfile.mkstemp(dir=destination, prefix=f".{SPEC_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            os.fchmod(stream.fileno(), 0o644)  # what a copied spec gets: readable by the kernel's users
            stream.write(json.dumps(spec, indent=1))
        os.replace(temporary, os.path.join(destination, SPEC_FILE))
    finally:
        if os.path.lexists(temporary):
            os.remove(temporary)
