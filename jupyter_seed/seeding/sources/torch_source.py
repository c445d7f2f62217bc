"""PyTorch: the CPU generator and every accelerator's generators.

``torch.manual_seed`` seeds CPU, CUDA, MPS, XPU, MTIA and custom devices one by
one, and on a CPU-only machine most of its ~150 µs goes on those checks. We ask
once which accelerators exist and afterwards touch only those, so the streams
equal ``torch.manual_seed(n)`` at a fraction of the cost.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from .base import DeterministicMode, EnvironmentVariables, Flags, RandomSource
from .state_codec import ArrayReader, ArrayWriter, decode_plain, encode_plain, expect_sequence

TENSOR_ENTRY = "torch"
"""A generator state tensor in a state file: its bytes as a NumPy array."""

CUBLAS_VAR = "CUBLAS_WORKSPACE_CONFIG"
CUBLAS_VALUE = ":4096:8"
# Read once, when a library starts (as transformers' enable_full_determinism sets them): in the
# running kernel they change nothing already started; processes started afterwards inherit them.
START_UP_VARIABLES = {"FLASH_ATTENTION_DETERMINISTIC": "1", "NCCL_DETERMINISTIC": "1"}
# torch.use_deterministic_algorithms imports it (and sets its `deterministic`);
# `fallback_random` makes compiled random ops draw what eager ones draw.
INDUCTOR_CONFIG = "torch._inductor.config"


def _accelerator_seeders(torch: Any) -> list[Callable[[int], None]]:
    seeders: list[Callable[[int], None]] = []
    cuda = torch.cuda
    # device_count() asks NVML and, unlike is_available(), does not poison fork.
    if cuda._is_compiled() and (cuda.is_initialized() or cuda.device_count() > 0):

        def seed_cuda(seed: int) -> None:
            if not cuda._is_in_bad_fork():
                cuda.manual_seed_all(seed)  # queued by torch until CUDA initialises

        seeders.append(seed_cuda)
    mps = getattr(torch, "mps", None)
    if mps is not None and torch.backends.mps.is_built() and torch.backends.mps.is_available():

        def seed_mps(seed: int) -> None:
            if not mps._is_in_bad_fork():
                mps.manual_seed(seed)

        seeders.append(seed_mps)
    for name in ("xpu", "mtia"):
        device = getattr(torch, name, None)
        if device is None:
            continue
        try:
            present = device.is_available()
        except Exception:  # noqa: BLE001 - an unbuilt backend may raise rather than answer False
            present = False
        if present:

            def seed_device(seed: int, device: Any = device) -> None:
                if not device._is_in_bad_fork():
                    device.manual_seed_all(seed)

            seeders.append(seed_device)
    custom = torch._C._get_privateuse1_backend_name()
    custom_module: Any = getattr(torch, custom, None)
    if custom != "privateuseone" and hasattr(custom_module, "manual_seed_all"):
        seeders.append(custom_module.manual_seed_all)
    return seeders


class TorchSource(RandomSource):
    name = "torch"
    label = "PyTorch"
    module = "torch"

    def __init__(self) -> None:
        self._cpu_generator: Any = None
        self._accelerators: list[Callable[[int], None]] | None = None
        self._env = EnvironmentVariables()
        self._saved_flags: tuple[bool, bool, bool, bool] | None = None
        self._saved_fallback_random: bool | None = None

    def _torch(self) -> Any:
        return sys.modules["torch"]

    def seed(self, seed: int) -> None:
        generator = self._cpu_generator
        if generator is None:
            torch = self._torch()
            generator = self._cpu_generator = torch.default_generator
            self._accelerators = _accelerator_seeders(torch)
        for seed_accelerator in self._accelerators or ():
            seed_accelerator(seed)
        generator.manual_seed(seed)

    def read_seed(self, last_applied: int | None) -> int | None:
        return int(self._torch().initial_seed())

    def get_state(self) -> Any:
        # Uninitialised CUDA has no state to read (reading would initialise it);
        # what it will start from is the seed queued for it, which torch keeps
        # equal to the CPU generator's initial seed when seeded through manual_seed.
        torch = self._torch()
        if torch.cuda.is_initialized():
            return torch.get_rng_state(), torch.cuda.get_rng_state_all(), None
        return torch.get_rng_state(), None, int(torch.initial_seed())

    def set_state(self, state: Any) -> None:
        torch = self._torch()
        cpu_state, cuda_states, queued_seed = state
        torch.set_rng_state(cpu_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)
        elif queued_seed is not None and torch.version.cuda is not None and not torch.cuda._is_in_bad_fork():
            # CUDA first used since the snapshot (or a seed queued for it since):
            # put it where it would be had that never happened. Queued if still
            # uninitialised, so this never initialises CUDA itself.
            torch.cuda.manual_seed_all(queued_seed)

    def encode_state(self, state: Any, arrays: ArrayWriter) -> Any:
        tensor_type = self._torch().Tensor

        def tensor(value: Any) -> Any:
            if not isinstance(value, tensor_type):
                return None
            return {"t": TENSOR_ENTRY, "k": arrays.put(value.detach().cpu().numpy().copy())}

        return encode_plain(state, arrays, tensor)

    def decode_state(self, node: Any, arrays: ArrayReader) -> Any:
        torch = self._torch()

        def tensor(entry: dict[str, Any], reader: ArrayReader) -> Any:
            return torch.from_numpy(reader.get(entry.get("k")).copy())

        cpu_state, cuda_states, queued_seed = expect_sequence(
            decode_plain(node, arrays, {TENSOR_ENTRY: tensor}), 3, "torch's state"
        )
        if not isinstance(cpu_state, torch.Tensor):
            raise ValueError("torch's CPU state must be a tensor")
        listed = isinstance(cuda_states, (list, tuple))
        tensors = listed and all(isinstance(item, torch.Tensor) for item in cuda_states)
        if cuda_states is not None and not tensors:
            raise ValueError("torch's CUDA states must be tensors")
        if queued_seed is not None and not isinstance(queued_seed, int):
            raise ValueError("torch's queued CUDA seed must be an integer")
        return cpu_state, cuda_states, queued_seed

    def prepare_deterministic(self, mode: DeterministicMode) -> list[str]:
        if mode == "off":
            self._env.restore(CUBLAS_VAR)
            for name in START_UP_VARIABLES:
                self._env.restore(name)
            return []
        for name, value in START_UP_VARIABLES.items():
            if name not in os.environ:
                self._env.set(name, value)
        if os.environ.get(CUBLAS_VAR) in (":4096:8", ":16:8"):
            return []
        self._env.set(CUBLAS_VAR, CUBLAS_VALUE)
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_initialized():
            return [
                (
                    f"{CUBLAS_VAR} was set after CUDA initialised, so cuBLAS may stay "
                    "nondeterministic in this kernel; start it from a kernelspec made by "
                    "`jupyter-seed kernelspec`"
                )
            ]
        return []

    def apply_deterministic(self, mode: DeterministicMode) -> list[str]:
        torch = self._torch()
        cudnn = torch.backends.cudnn
        if mode == "off":
            self._restore_flags()
            return []
        if self._saved_flags is None:
            self._saved_flags = (
                torch.are_deterministic_algorithms_enabled(),
                torch.is_deterministic_algorithms_warn_only_enabled(),
                bool(cudnn.deterministic),
                bool(cudnn.benchmark),
            )
        torch.use_deterministic_algorithms(True, warn_only=(mode == "warn"))
        self._set_fallback_random()
        return _set_cudnn_flags(torch, deterministic=True, benchmark=False)

    def _set_fallback_random(self) -> None:
        config: Any = sys.modules.get(INDUCTOR_CONFIG)
        if config is None:
            return
        if self._saved_fallback_random is None:
            self._saved_fallback_random = bool(config.fallback_random)
        config.fallback_random = True

    def _restore_fallback_random(self) -> None:
        config: Any = sys.modules.get(INDUCTOR_CONFIG)
        if config is not None and self._saved_fallback_random is not None:
            config.fallback_random = self._saved_fallback_random
        self._saved_fallback_random = None

    def _restore_flags(self) -> None:
        self._restore_fallback_random()
        if self._saved_flags is None:
            return
        torch = self._torch()
        algorithms, warn_only, deterministic, benchmark = self._saved_flags
        torch.use_deterministic_algorithms(algorithms, warn_only=warn_only)
        _set_cudnn_flags(torch, deterministic=deterministic, benchmark=benchmark)
        self._saved_flags = None

    def detach(self) -> None:
        self._restore_flags()
        self._env.restore_all()

    def determinism(self) -> Flags:
        torch = self._torch()
        cudnn = torch.backends.cudnn
        return {
            "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
            "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
            "cudnn.deterministic": bool(cudnn.deterministic),
            "cudnn.benchmark": bool(cudnn.benchmark),
            CUBLAS_VAR: os.environ.get(CUBLAS_VAR),
            "start-up variables (children only)": _start_up_variables(),
            "cuda_initialized": bool(torch.cuda.is_initialized()),
            **_inductor_flags(),
        }


def _start_up_variables() -> str | None:
    """The start-up variables set now, as ``NAME=value`` pairs: they reach child processes only."""
    found = [f"{name}={os.environ[name]}" for name in START_UP_VARIABLES if name in os.environ]
    return " ".join(found) or None


def _set_cudnn_flags(torch: Any, *, deterministic: bool, benchmark: bool) -> list[str]:
    """Set cuDNN's flags; say so when torch refuses, instead of failing the whole mode."""
    cudnn = torch.backends.cudnn
    try:
        cudnn.deterministic, cudnn.benchmark = deterministic, benchmark
    except RuntimeError:
        # torch.backends.disable_global_flags() freezes them for good in this process.
        if bool(cudnn.deterministic) == deterministic and bool(cudnn.benchmark) == benchmark:
            return []
        return [
            "torch: cuDNN stays nondeterministic (deterministic="
            f"{bool(cudnn.deterministic)}, benchmark={bool(cudnn.benchmark)}): "
            "torch.backends.disable_global_flags() forbids changing its flags; wrap the work in "
            "`with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True):`"
        ]
    return []


def _inductor_flags() -> Flags:
    config = sys.modules.get(INDUCTOR_CONFIG)
    if config is None:
        return {"inductor.deterministic": None, "inductor.fallback_random": None}
    return {
        "inductor.deterministic": bool(config.deterministic),
        "inductor.fallback_random": bool(config.fallback_random),
    }
