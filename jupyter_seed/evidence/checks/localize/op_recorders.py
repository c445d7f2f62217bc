"""The op recorders of the frameworks a traced kernel has imported, entered and left together.

A framework is recorded from the first traced cell after its import (``sys.modules`` is read,
nothing is imported here); one whose recorder fails to start is traced to the line only, and
never stops the others.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tracer import LineTracer


def _torch(tracer: LineTracer) -> Any:
    from .torch_ops import OpRecorder

    return OpRecorder(tracer)


def _tensorflow(tracer: LineTracer) -> Any:
    from .tf_ops import TensorFlowOpRecorder

    return TensorFlowOpRecorder(tracer)


def _jax(tracer: LineTracer) -> Any:
    from .jax_ops import JaxOpRecorder

    return JaxOpRecorder(tracer)


RECORDERS = {"torch": _torch, "tensorflow": _tensorflow, "jax": _jax}
"""Per framework (its module name): how its ops are recorded."""


class OpRecorders:
    def __init__(self, tracer: LineTracer) -> None:
        self.tracer = tracer
        self._started: dict[str, Any] = {}
        self._failed: set[str] = set()

    @property
    def frameworks(self) -> list[str]:
        return list(self._started)

    def enter(self) -> None:
        for name, make in RECORDERS.items():
            if name in sys.modules and name not in self._started and name not in self._failed:
                try:
                    self._started[name] = make(self.tracer)
                except Exception:  # noqa: BLE001 - a broken install: this framework to the line only
                    self._failed.add(name)
        for name, recorder in list(self._started.items()):
            try:
                recorder.enter()
            except Exception:  # noqa: BLE001
                self._failed.add(name)
                del self._started[name]

    def exit(self) -> None:
        for recorder in self._started.values():
            try:
                recorder.exit()
            except Exception:  # noqa: BLE001, S110 - leaving must never fail the cell
                pass
