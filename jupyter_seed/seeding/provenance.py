"""Provenance: what a result was produced with, and what changed since.

``state()["provenance"]`` is what the toolbar writes to the notebook's metadata
(``metadata.jupyter_seed.provenance``): the seed, the modes, the versions of the
imported frameworks, the device kind and whether the hash seed was fixed.
:func:`stamp` turns it into one line for a paper or a report;
:func:`environment_changes` compares a recorded one with this environment for
``jupyter-seed check``.

Nothing here imports a framework or initialises a device: versions come from
the imported modules (or, for the check, from installed distributions' metadata).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from .._version import __version__
from .messages import one_line
from .sources.hashseed_source import kernel_hashing_fixed

PROVENANCE_VERSION = 1
PART_OF_PYTHON = frozenset({"random", "pythonhashseed"})  # their version is Python's, recorded once


def collect(state: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance object of a ``state()`` dict (JSON-serialisable)."""
    frameworks = {
        source["name"]: source["version"]
        for source in state.get("sources", [])
        if source.get("loaded") and isinstance(source.get("version"), str) and source["name"] not in PART_OF_PYTHON
    }
    return {
        "provenance": PROVENANCE_VERSION,
        "jupyter_seed": __version__,
        "seed": state.get("seed"),
        "per_cell": state.get("per_cell"),
        "deterministic": state.get("deterministic"),
        "workers": state.get("workers"),
        "patch_default_rng": state.get("patch_default_rng"),
        "python": python_version(),
        "frameworks": frameworks,
        "device": device_kind(),
        "hash_seed_fixed": kernel_hashing_fixed(),
    }


def python_version() -> str:
    """``platform.python_version()`` without importing ``platform`` at load."""
    major, minor, micro, level, serial = sys.version_info
    suffix = "" if level == "final" else {"alpha": "a", "beta": "b", "candidate": "rc"}[level] + str(serial)
    return f"{major}.{minor}.{micro}{suffix}"


def device_kind() -> str:
    """``"cuda: <name>"`` once CUDA is initialised, ``"cuda"`` when only present, ``"mps"`` or ``"cpu"``.

    Only torch is asked, and only in ways that leave CUDA uninitialised.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return "cpu"
    cuda = torch.cuda
    if cuda.is_initialized():
        count = cuda.device_count()
        name = cuda.get_device_name(cuda.current_device())
        return f"cuda: {name}" + (f" x{count}" if count > 1 else "")
    if torch.version.cuda is not None and cuda.device_count() > 0:
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def stamp(provenance: Mapping[str, Any]) -> str:
    """One line to paste under a figure: ``jupyter-seed 0.1.0 | seed 3407 | …``."""
    seed = provenance.get("seed")
    parts = [
        f"jupyter-seed {provenance.get('jupyter_seed')}",
        "unseeded" if seed is None else f"seed {seed}",
    ]
    if provenance.get("per_cell") not in (None, "off"):
        parts.append(f"per-cell {provenance['per_cell']}")
    if provenance.get("deterministic") not in (None, "off"):
        parts.append(f"deterministic {provenance['deterministic']}")
    if provenance.get("workers"):
        parts.append("DataLoader workers seeded")
    parts.append(f"Python {provenance.get('python')}")
    frameworks = provenance.get("frameworks") or {}
    if frameworks:
        parts.append(", ".join(f"{name} {version}" for name, version in sorted(frameworks.items())))
    parts.append(str(provenance.get("device")))
    parts.append("PYTHONHASHSEED fixed" if provenance.get("hash_seed_fixed") else "PYTHONHASHSEED random")
    return " | ".join(parts)


# ------------------------------------------------------- comparison (check)
def current_environment(names: list[str]) -> dict[str, Any]:
    """Python, jupyter-seed and the installed versions of the named frameworks, importing none."""
    from importlib.metadata import PackageNotFoundError, packages_distributions, version

    distributions = packages_distributions()
    frameworks: dict[str, str | None] = {}
    for name in names:
        found: str | None = None
        for distribution in distributions.get(name, []):
            try:
                found = version(distribution)
                break
            except PackageNotFoundError:
                continue
        frameworks[name] = found
    return {"python": python_version(), "jupyter_seed": __version__, "frameworks": frameworks}


def environment_changes(
    notebook_metadata: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> list[str]:
    """What differs between the notebook's recorded environment and this one, frameworks first.

    ``notebook_metadata`` is the notebook's top-level metadata; a missing or
    malformed record gives no changes (the notebook says nothing we can check).
    """
    record = notebook_metadata.get("jupyter_seed") if isinstance(notebook_metadata, Mapping) else None
    recorded = record.get("provenance") if isinstance(record, Mapping) else None
    if not isinstance(recorded, Mapping):
        return []
    recorded_frameworks = recorded.get("frameworks")
    if not isinstance(recorded_frameworks, Mapping):
        recorded_frameworks = {}
    names = sorted(str(name) for name in recorded_frameworks)
    current = current if current is not None else current_environment(names)
    now_frameworks = current.get("frameworks") or {}
    changes = [
        f"recorded with {name} {recorded_frameworks[name]}, now "
        + (str(now_frameworks.get(name)) if now_frameworks.get(name) else "not installed")
        for name in names
        if str(recorded_frameworks[name]) != str(now_frameworks.get(name))
    ]
    for key, label in (("python", "Python"), ("jupyter_seed", "jupyter-seed")):
        if recorded.get(key) is not None and str(recorded.get(key)) != str(current.get(key)):
            changes.append(f"recorded with {label} {recorded.get(key)}, now {current.get(key)}")
    return [one_line(change, 160) for change in changes]
