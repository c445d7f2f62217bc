"""JAX: no global generator exists, only explicit keys (see ``jupyter_seed.jax_key``).

The adapter reports the version and the XLA GPU determinism flag, which JAX reads
from ``XLA_FLAGS`` once, when it is imported.
"""

from __future__ import annotations

import os
import sys

from .base import DeterministicMode, EnvironmentVariables, Flags, RandomSource

XLA_VAR = "XLA_FLAGS"
XLA_DETERMINISTIC = "--xla_gpu_deterministic_ops=true"
GPU_PLATFORMS = frozenset({"cuda", "rocm", "gpu"})
_BRIDGE = "jax._src.xla_bridge"


def _has_flag() -> bool:
    return XLA_DETERMINISTIC in os.environ.get(XLA_VAR, "").split()


def _gpu_backend_initialized() -> bool:
    """Whether JAX already runs a GPU backend, asked without initialising any backend.

    XLA reads ``XLA_FLAGS`` when a backend starts, so the flag is late only once
    a GPU backend exists. Keras 3 imports JAX whatever its backend, so "JAX is
    imported" alone says nothing about JAX, let alone a GPU.
    """
    if not _backends_started():
        return False
    try:
        return any(platform in GPU_PLATFORMS for platform in sys.modules[_BRIDGE].backends())
    except Exception:  # noqa: BLE001 - a JAX without this function: assume no GPU rather than cry wolf
        return False


def _backends_started() -> bool:
    bridge = sys.modules.get(_BRIDGE)
    try:
        return bridge is not None and bool(bridge.backends_are_initialized())
    except Exception:  # noqa: BLE001 - an older or newer JAX without this function
        return False


class JaxSource(RandomSource):
    name = "jax"
    label = "JAX (keys via jupyter_seed.jax_key())"
    module = "jax"
    has_global_state = False

    def __init__(self) -> None:
        self._env = EnvironmentVariables()
        self._flag_at_import: bool | None = None

    def on_import(self) -> None:
        self._flag_at_import = _has_flag()

    def prepare_deterministic(self, mode: DeterministicMode) -> list[str]:
        if mode == "off":
            self._env.restore(XLA_VAR)
            return []
        if _has_flag():
            return []
        if _gpu_backend_initialized():
            return [
                (
                    f"JAX's GPU backend started before deterministic mode: {XLA_DETERMINISTIC} was "
                    "set too late for this kernel; restart it and enable deterministic mode first"
                )
            ]
        flags = os.environ.get(XLA_VAR, "")
        self._env.set(XLA_VAR, f"{flags} {XLA_DETERMINISTIC}".strip())
        return []

    def detach(self) -> None:
        self._env.restore_all()

    def determinism(self) -> Flags:
        # Until a backend starts, the variable as it is now is what XLA will read.
        at_import = self._flag_at_import
        started = _backends_started()
        return {
            "xla_gpu_deterministic_ops": at_import if started and at_import is not None else _has_flag(),
        }
