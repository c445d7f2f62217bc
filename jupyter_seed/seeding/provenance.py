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


FRAMEWORK_MODULES = (
    "numpy", "scipy", "pandas", "sklearn", "matplotlib", "torch", "tensorflow", "keras",
    "jax", "jaxlib", "polars", "cupy",
)
"""Libraries whose version can change a notebook's numbers or figures, named by import name."""


def collect(state: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance object of a ``state()`` dict (JSON-serialisable).

    ``frameworks`` names every imported framework of :data:`FRAMEWORK_MODULES` (NumPy as
    soon as ``numpy`` is imported, before its lazily loaded ``random`` module) and every
    loaded source; ``precision`` the settings that change numbers, from imported frameworks only.
    """
    frameworks = {
        source["name"]: source["version"]
        for source in state.get("sources", [])
        if source.get("loaded")
        and isinstance(source.get("version"), str)
        and source["name"] not in PART_OF_PYTHON
    }
    frameworks.update(imported_versions())
    return {
        "provenance": PROVENANCE_VERSION,
        "jupyter_seed": __version__,
        "seed": state.get("seed"),
        "per_cell": state.get("per_cell"),
        "deterministic": state.get("deterministic"),
        "workers": state.get("workers"),
        "processes": state.get("processes"),
        "patch_default_rng": state.get("patch_default_rng"),
        "python": python_version(),
        "frameworks": dict(sorted(frameworks.items())),
        "precision": precision_settings(),
        "device": device_kind(),
        "hash_seed_fixed": kernel_hashing_fixed(),
    }


def imported_versions() -> dict[str, str]:
    """``__version__`` of each module of :data:`FRAMEWORK_MODULES` already in ``sys.modules``."""
    found: dict[str, str] = {}
    for name in FRAMEWORK_MODULES:
        version = getattr(sys.modules.get(name), "__version__", None)
        if isinstance(version, str) and version:
            found[name] = version
    return found


def precision_settings() -> dict[str, Any]:
    """The float precision switches of the imported frameworks; nothing is imported or initialised.

    A setting that cannot be read (a framework half-imported, an old version) is left out.
    """
    settings: dict[str, Any] = {}

    def read(key: str, get: Any) -> None:
        try:
            value = get()
        except Exception:  # noqa: BLE001 - unreadable here: say nothing rather than guess
            return
        if value is None or isinstance(value, (bool, int, str)):
            settings[key] = value

    torch = sys.modules.get("torch")
    if torch is not None:
        read("torch.float32_matmul_precision", lambda: torch.get_float32_matmul_precision())
        read("torch.backends.cuda.matmul.allow_tf32", lambda: bool(torch.backends.cuda.matmul.allow_tf32))
        read("torch.backends.cudnn.allow_tf32", lambda: bool(torch.backends.cudnn.allow_tf32))
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None:
        read(
            "tensorflow.tensor_float_32_execution",
            lambda: bool(tensorflow.config.experimental.tensor_float_32_execution_enabled()),
        )
    jax = sys.modules.get("jax")
    if jax is not None:
        read("jax_default_matmul_precision", lambda: _text_or_none(jax.config.jax_default_matmul_precision))
        read("jax_threefry_partitionable", lambda: bool(jax.config.jax_threefry_partitionable))
    return settings


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


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
    if provenance.get("processes") and seed is not None:
        parts.append("processes seeded")
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


# -------------------------------------------- two runs' provenance (check)
RESULT_SETTINGS: tuple[tuple[str, str], ...] = (
    ("python", "Python"),
    ("jupyter_seed", "jupyter-seed"),
    ("device", "device"),
    ("hash_seed_fixed", "PYTHONHASHSEED fixed"),
    ("deterministic", "deterministic mode"),
    ("seed", "seed"),
    ("per_cell", "per-cell mode"),
    ("patch_default_rng", "default_rng() patch"),
)
"""Recorded settings besides versions and precision that can change a notebook's results."""


def provenance_changes(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What differs between two provenance objects in what can change results, as ``what: from → to``.

    Frameworks first (one recorded but not imported now is looked up among the installed
    distributions), then precision switches, then the settings of :data:`RESULT_SETTINGS`.
    Only what both record is compared: an older record that lacks a field says nothing about it.
    """
    changes: list[str] = []
    recorded_frameworks = _mapping(recorded.get("frameworks"))
    now_frameworks = _mapping(current.get("frameworks"))
    missing = sorted(str(name) for name in recorded_frameworks if name not in now_frameworks)
    installed = current_environment(missing)["frameworks"] if missing else {}
    for name in sorted(str(name) for name in recorded_frameworks):
        now = now_frameworks.get(name, installed.get(name))
        if str(recorded_frameworks[name]) != str(now):
            changes.append(f"{name} {recorded_frameworks[name]} → {now if now else 'not installed'}")
    recorded_precision = _mapping(recorded.get("precision"))
    now_precision = _mapping(current.get("precision"))
    for key in sorted(set(recorded_precision) & set(now_precision)):
        if recorded_precision[key] != now_precision[key]:
            changes.append(f"{key} {_shown(recorded_precision[key])} → {_shown(now_precision[key])}")
    for key, label in RESULT_SETTINGS:
        if key in recorded and key in current and recorded[key] != current[key]:
            changes.append(f"{label} {_shown(recorded[key])} → {_shown(current[key])}")
    return [one_line(change, 160) for change in changes]


def recorded_provenance(notebook_metadata: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``metadata.jupyter_seed.provenance`` of a notebook, or ``None`` when absent or malformed."""
    record = notebook_metadata.get("jupyter_seed") if isinstance(notebook_metadata, Mapping) else None
    recorded = record.get("provenance") if isinstance(record, Mapping) else None
    return recorded if isinstance(recorded, Mapping) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
