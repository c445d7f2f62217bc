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


def _tensors(value: Any, found: list[Any], tensor: type) -> None:
    if isinstance(value, tensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, tensor):
                found.append(item)
            elif isinstance(item, (list, tuple, dict)):
                _tensors(item, found, tensor)
    elif isinstance(value, dict):
        for item in value.values():
            _tensors(item, found, tensor)


def _others(args: tuple[Any, ...], kwargs: dict[str, Any], tensor: type) -> str:
    """The op's arguments that are not tensors (dims, alphas, sizes), as one short fingerprint."""

    def plain(value: Any) -> str:
        if isinstance(value, tensor):
            return "T"
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], tensor):
            return "L"
        return repr(value)

    parts = [plain(value) for value in args] + [f"{key}={plain(value)}" for key, value in kwargs.items()]
    return hashlib.blake2b("|".join(parts).encode(), digest_size=4).hexdigest()


_UNRECORDED = frozenset({"profiler"})
"""Namespaces of bookkeeping ops (record_function handles): no data, addresses in their results."""


def _plain_result(result: Any) -> str:
    """A result without tensors (sizes, flags), by value when it is plain data, else by type only."""
    if result is None or isinstance(result, (bool, int, float, str)):
        return repr(result)
    if isinstance(result, (list, tuple)):
        return repr([_plain_result(item) for item in result])
    return type(result).__qualname__


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
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode

        recorder = self
        self.tracer = tracer
        self._names: dict[Any, str] = {}
        """Per op overload: its name, marked ``#random`` when it draws from a generator."""
        self._tensor = torch.Tensor

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
        if tracer.hashing or getattr(func, "namespace", "") in _UNRECORDED or tracer.cut or not tracer.stack or tracer.stack[-1].line is None:
            return func(*args, **kwargs)
        hasher = tracer.hasher
        inputs: list[Any] = []
        _tensors((args, kwargs), inputs, self._tensor)
        try:
            before = [_others(args, kwargs, self._tensor)] + [hasher.tensor_digest(t) for t in inputs]
        except Exception:  # noqa: BLE001 - an input that cannot be read: the op is not recorded
            return func(*args, **kwargs)
        result = func(*args, **kwargs)
        outputs: list[Any] = []
        _tensors(result, outputs, self._tensor)
        try:
            # Each output's own fingerprint: the op that made a tensor is found by the tensor's.
            after = ",".join(hasher.tensor_digest(t) for t in outputs) if outputs else _plain_result(result)
        except Exception:  # noqa: BLE001
            return result
        name = self._names.get(func)
        if name is None:
            name = self._names[func] = op_name(func) + ("#random" if RANDOM_TAG in op_tags(func) else "")
        tracer.add_op(name, before, after)
        return result
