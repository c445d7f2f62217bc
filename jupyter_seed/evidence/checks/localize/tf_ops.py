"""Every TensorFlow op a traced line runs eagerly, with the fingerprints of its inputs and outputs.

TensorFlow calls an op callback (``tensorflow.python.framework.op_callbacks``) after each eager
op, ``tf.raw_ops.MatMul`` and a ``tf.function`` call alike (one op: the graph inside runs in C++
and is not seen op by op); callbacks are per thread, so the recorder is added in the thread the
cells run in. Ops recorded while a ``tf.function`` is traced (``graph`` set) are graph building,
not computation, and are skipped, as are the ops the tracer runs itself while reading values and
those of library code outside any user line. A handle (a variable's ``resource`` tensor, a
dataset's ``variant``) holds no data of its own: its fingerprint is what the op read through it
(the op's result), so an op that reads a variable whose value differs is never "inputs equal".
"""

from __future__ import annotations

import hashlib
import re
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tracer import LineTracer

OP_PREFIX = "tf.raw_ops."
FUNCTION_PREFIX = "tf.function "
RANDOM_OPS = frozenset(
    {
        "RandomUniform", "RandomUniformInt", "RandomStandardNormal", "TruncatedNormal", "RandomShuffle",
        "RandomGamma", "RandomPoisson", "RandomPoissonV2", "Multinomial", "ParameterizedTruncatedNormal",
        "RandomCrop", "StatefulUniform", "StatefulUniformInt", "StatefulUniformFullInt",
        "StatefulStandardNormal", "StatefulStandardNormalV2", "StatefulTruncatedNormal",
        "StatefulRandomBinomial", "RngSkip", "RngReadAndSkip",
    }
)
"""Ops that draw from a generator: the global or op seed, or a ``tf.random.Generator``'s state.
The ``StatelessRandom*`` ops are pure functions of their seed input and are not among them."""
_FUNCTION = re.compile(r"__inference_(?P<name>.+?)_\d+$")
_CACHE_LIMIT = 50_000
_HANDLES = frozenset({"resource", "variant"})
"""Dtypes of handles (variables, generators, datasets, tensor lists): no bytes of their own."""


def op_label(op_type: str | bytes) -> str:
    """``tf.raw_ops.MatMul``; ``tf.function train_step`` for the call of a traced function."""
    name = op_type.decode() if isinstance(op_type, bytes) else str(op_type)
    function = _FUNCTION.match(name)
    if function:
        return FUNCTION_PREFIX + function.group("name")
    return OP_PREFIX + name + ("#random" if name in RANDOM_OPS else "")


def _attributes(attrs: Any) -> str:
    """The op's attributes (dtypes, shapes, op seeds), as one short fingerprint."""
    return hashlib.blake2b(repr(attrs).encode(), digest_size=4).hexdigest()


class TensorFlowOpRecorder:
    """Adds and removes the op callback around each traced cell; hands every eager op to the tracer."""

    def __init__(self, tracer: LineTracer) -> None:
        from tensorflow.python.framework import op_callbacks

        self.tracer = tracer
        self._callbacks = op_callbacks
        self._added = False
        self._known: dict[int, tuple[Any, str]] = {}
        """Eager tensors are immutable: one fingerprint per tensor, while it lives."""

    def enter(self) -> None:
        if not self._added:
            self._callbacks.add_op_callback(self.run)
            self._added = True

    def exit(self) -> None:
        if self._added:
            self._added = False
            try:
                self._callbacks.remove_op_callback(self.run)
            except (KeyError, ValueError):  # the cell cleared the callbacks itself
                pass

    def run(
        self, op_type: Any, inputs: Any, attrs: Any, outputs: Any, op_name: Any = None, graph: Any = None
    ) -> None:
        tracer = self.tracer
        if graph is not None or tracer.hashing or tracer.cut or not tracer.stack or tracer.stack[-1].line is None:
            return None
        tracer.hashing = True  # reading a tensor may run ops of its own
        try:
            results = [self._digest(tensor) for tensor in outputs or ()]
            after = ",".join(result for result in results if result) if results else "None"
            before = [_attributes(attrs)] + [self._digest(tensor, after) for tensor in inputs or ()]
        except Exception:  # noqa: BLE001 - a tensor that cannot be read: the op is not recorded
            return None
        finally:
            tracer.hashing = False
        tracer.add_op(op_label(op_type), before, after)
        return None  # the op's outputs stay as they are

    def _digest(self, tensor: Any, read_through: str = "") -> str:
        if getattr(getattr(tensor, "dtype", None), "name", "") in _HANDLES:
            return "handle:" + read_through
        key = id(tensor)
        known = self._known.get(key)
        if known is not None and known[0]() is tensor:
            return known[1]
        digest = hashlib.blake2b(digest_size=8)
        array = tensor.numpy()
        digest.update(f"tf:{tensor.dtype.name}:{tuple(array.shape)};".encode())
        self.tracer.hasher._array_bytes(digest, array)
        found = digest.hexdigest()
        if len(self._known) > _CACHE_LIMIT:
            self._known.clear()
        try:
            self._known[key] = (weakref.ref(tensor), found)
        except TypeError:
            pass
        return found
