"""CuPy: the legacy global ``RandomState`` of each GPU (``cupy.random.seed``).

Seeded only where a GPU is present: without one, asking CuPy for its generator
raises, so the source counts as not loaded. Whether a GPU is present is asked
once, through the CUDA runtime, after CuPy itself was imported by the user.
"""

from __future__ import annotations

import sys
from typing import Any

from .base import RandomSource
from .state_codec import ArrayWriter, StateNotPortable


class CupySource(RandomSource):
    name = "cupy"
    label = "CuPy (global RandomState per GPU)"
    module = "cupy"

    def __init__(self) -> None:
        self._device_count: int | None = None

    def is_loaded(self) -> bool:
        return "cupy" in sys.modules and self.device_count() > 0

    def device_count(self) -> int:
        """GPUs CuPy can use; 0 when the CUDA driver or runtime is missing."""
        if self._device_count is None:
            self._device_count = _device_count(sys.modules["cupy"])
        return self._device_count

    def seed(self, seed: int) -> None:
        # A new RandomState(seed) draws what cupy.random.seed(seed) would, and
        # leaves the old object untouched, so a %%seed block can put it back.
        cupy = sys.modules["cupy"]
        for device in range(self.device_count()):
            with cupy.cuda.Device(device):
                cupy.random.set_random_state(cupy.random.RandomState(seed))

    def get_state(self) -> Any:
        # CuPy cannot serialise a generator; the snapshot is each device's object.
        cupy = sys.modules["cupy"]
        states = {}
        for device in range(self.device_count()):
            with cupy.cuda.Device(device):
                states[device] = cupy.random.get_random_state()
        return states

    def encode_state(self, state: Any, arrays: ArrayWriter) -> Any:
        raise StateNotPortable("CuPy offers no way to write its generators' state out")

    def set_state(self, state: Any) -> None:
        cupy = sys.modules["cupy"]
        for device, random_state in state.items():
            with cupy.cuda.Device(device):
                cupy.random.set_random_state(random_state)


def _device_count(cupy: Any) -> int:
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001 - CUDARuntimeError without a driver; no GPU either way
        return 0
