"""The risks list (status and toolbar): reproducibility risks in this kernel right now, each with its fix.

Computed from the seeder's state (plus torch's TF32 switches when torch is already
imported); it never imports a framework. A risk's ``fix`` names one of the
protocol's fixed fix ids, or is ``None`` when nothing can fix it at run time.
"""

from __future__ import annotations

import sys
from typing import Any

Risk = dict[str, Any]

CUBLAS_VAR = "CUBLAS_WORKSPACE_CONFIG"


def _source(state: dict[str, Any], name: str) -> dict[str, Any] | None:
    for entry in state.get("sources", []):
        if entry.get("name") == name:
            return entry
    return None


def _flags(state: dict[str, Any], name: str) -> dict[str, Any]:
    entry = _source(state, name)
    if entry is None or not entry.get("loaded"):
        return {}
    return dict(entry.get("determinism") or {})


def _tf32_on() -> bool:
    """TF32 matters only once CUDA runs; it is read, never switched, and torch is never imported."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    try:
        if not torch.cuda.is_initialized():
            return False
        backends = torch.backends
        return bool(backends.cuda.matmul.allow_tf32) or bool(backends.cudnn.allow_tf32)
    except Exception:  # noqa: BLE001 - a half-imported or unusual torch has no TF32 risk to report
        return False


def _risk(risk_id: str, message: str, fix: str | None) -> Risk:
    return {"id": risk_id, "message": message, "fix": fix}


def risks_of(state: dict[str, Any]) -> list[Risk]:
    """The risks the status and the toolbar list, most fundamental first."""
    risks: list[Risk] = []
    if _flags(state, "pythonhashseed").get("kernel_hash_seed") == "random":
        risks.append(
            _risk(
                "hash_seed_random",
                "str hashing is randomized in this kernel (PYTHONHASHSEED unset at start): "
                "set order can change between runs",
                "kernelspec",
            )
        )
    torch_flags = _flags(state, "torch")
    if torch_flags.get("cuda_initialized") and not torch_flags.get(CUBLAS_VAR):
        risks.append(
            _risk(
                "cuda_before_cublas",
                f"CUDA is initialised without {CUBLAS_VAR}: cuBLAS may stay nondeterministic "
                "until the kernel restarts with it set",
                "kernelspec",
            )
        )
    if torch_flags.get("cudnn.benchmark"):
        risks.append(
            _risk("cudnn_benchmark", "cudnn.benchmark is on: cuDNN may pick other kernels each run", "deterministic")
        )
    if _tf32_on():
        risks.append(
            _risk(
                "tf32",
                "TF32 is on for CUDA matmuls/convolutions: results differ from float32 and between GPUs; "
                "set torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False",
                None,
            )
        )
    numpy_entry = _source(state, "numpy")
    if numpy_entry is not None and numpy_entry.get("loaded") and not state.get("patch_default_rng"):
        risks.append(
            _risk(
                "default_rng_unpatched",
                "numpy.random.default_rng() without a seed ignores the seed",
                "patch_default_rng",
            )
        )
    if state.get("per_cell") == "off":
        seeded = state.get("seed") is not None
        risks.append(
            _risk(
                "per_cell_off",
                "per-cell reseeding is off: a cell's draws depend on which cells ran before it"
                + ("" if seeded else " (set a seed first)"),
                "per_cell" if seeded else None,
            )
        )
    if state.get("deterministic") == "off":
        risks.append(
            _risk(
                "deterministic_off",
                "deterministic mode is off: framework ops may pick nondeterministic algorithms",
                "deterministic",
            )
        )
    return risks
