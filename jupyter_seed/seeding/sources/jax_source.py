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


def _has_flag() -> bool:
    return XLA_DETERMINISTIC in os.environ.get(XLA_VAR, "").split()


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
        if "jax" in sys.modules:
            return [
                (
                    f"JAX was imported before deterministic mode: {XLA_DETERMINISTIC} was set "
                    "too late for this kernel; restart it and enable deterministic mode first"
                )
            ]
        flags = os.environ.get(XLA_VAR, "")
        self._env.set(XLA_VAR, f"{flags} {XLA_DETERMINISTIC}".strip())
        return []

    def determinism(self) -> Flags:
        at_import = self._flag_at_import
        return {
            "xla_gpu_deterministic_ops": _has_flag() if at_import is None else at_import,
        }
