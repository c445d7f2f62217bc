"""Every torch op a traced line runs, with the fingerprints of its inputs and outputs.

A ``TorchDispatchMode`` (``torch.utils._python_dispatch``) sees each op below autograd, the
built-in ones (``aten::index_add``), the backward pass's and custom ones registered with
``torch.library`` alike. Inputs are fingerprinted before the op runs (an in-place op changes
them), outputs after; a tensor's fingerprint is cached by identity and version counter, so an
op's output that feeds the next op is read once. Ops the tracer runs itself while reading values
are passed through unrecorded, and so are the ops of a line of library code outside any user
line. On CUDA every recorded op copies its tensors to the host: the localizer is a diagnostic run.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tracer import LineTracer

RANDOM_TAG = "nondeterministic_seeded"
"""torch's tag for ops that draw from a generator (``aten::randn``, ``aten::bernoulli_``, dropout)."""
BITWISE_TAG = "nondeterministic_bitwise"


def _tensors(value: Any, found: list[Any]) -> None:
    import torch

    if isinstance(value, torch.Tensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tensors(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _tensors(item, found)


def _others(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The op's arguments that are not tensors (dims, alphas, sizes), as one fingerprint."""
    import torch

    def plain(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return "T"
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return repr(value)

    text = repr([plain(a) for a in args]) + repr(sorted((k, plain(v)) for k, v in kwargs.items()))
    return hashlib.blake2b(text.encode(), digest_size=4).hexdigest()


def op_name(func: Any) -> str:
    """``aten::index_add`` for ``aten.index_add.default`` and ``aten.index_add_.Tensor`` alike."""
    try:
        return str(func._schema.name)
    except AttributeError:
        return str(func)


def op_tags(func: Any) -> list[str]:
    try:
        return [str(tag).rpartition(".")[2] for tag in func.tags]
    except AttributeError:
        return []


class OpRecorder:
    """Enters and leaves the dispatch mode around each traced cell; hands every op to the tracer."""

    def __init__(self, tracer: LineTracer) -> None:
        from torch.utils._python_dispatch import TorchDispatchMode

        recorder = self
        self.tracer = tracer
        self.random_ops: set[str] = set()

        class Mode(TorchDispatchMode):  # type: ignore[misc]
            def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
                return recorder.run(func, tuple(args), dict(kwargs or {}))

        self._mode_class = Mode
        self._mode: Any = None

    def enter(self) -> None:
        if self._mode is None:
            self._mode = self._mode_class()
            self._mode.__enter__()

    def exit(self) -> None:
        mode, self._mode = self._mode, None
        if mode is not None:
            try:
                mode.__exit__(None, None, None)
            except Exception:  # noqa: BLE001, S110 - the cell left its own mode on top: let it go
                pass

    def run(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tracer = self.tracer
        if tracer.hashing or tracer.cut or not tracer.stack or tracer.stack[-1].line is None:
            return func(*args, **kwargs)
        hasher = tracer.hasher
        inputs: list[Any] = []
        _tensors((args, kwargs), inputs)
        try:
            before = [_others(args, kwargs)] + [hasher.tensor_digest(t) for t in inputs]
        except Exception:  # noqa: BLE001 - an input that cannot be read: the op is not recorded
            return func(*args, **kwargs)
        result = func(*args, **kwargs)
        outputs: list[Any] = []
        _tensors(result, outputs)
        try:
            digest = hashlib.blake2b(digest_size=8)
            for tensor in outputs:
                digest.update(hasher.tensor_digest(tensor).encode())
            after = digest.hexdigest() if outputs else hashlib.blake2b(repr(result).encode(), digest_size=8).hexdigest()
        except Exception:  # noqa: BLE001
            return result
        name = op_name(func)
        if RANDOM_TAG in op_tags(func):
            self.random_ops.add(name)
            name += "#random"
        tracer.add_op(name, before, after)
        return result
