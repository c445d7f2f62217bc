"""Every JAX primitive a traced line runs, each equation of the program on its own.

JAX has no op callback, and a jitted call runs its compiled program in C++ (as do the eager ops,
through one cached jit per primitive), so nothing is seen op by op while jit is on. While a traced
cell runs, the recorder turns jit off (``jax_disable_jit``, JAX's own debugging switch): every
primitive is then bound to concrete arrays, one equation at a time, in ``EvalTrace`` (the trace at
the bottom of JAX's stack of transformations), and the bodies of the user's jitted functions run
as Python, so their lines are traced too. The results are those of the same equations; the cost
is that of running them one by one, so jit comes back as soon as the trace is cut, and when the
cell ends. Transformations (``grad``, ``vmap``) reach ``EvalTrace`` with the concrete values they
compute; ``lax.scan`` and ``lax.while_loop`` run as Python loops.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tracer import LineTracer

OP_PREFIX = "jax:"
_PLAIN = (bool, int, float, complex, str, bytes, type(None))


def op_label(primitive_name: str) -> str:
    """``jax:scatter-add``: the primitive's name, as a jaxpr prints its equations."""
    return OP_PREFIX + primitive_name


def _param(value: Any) -> str:
    """A primitive's parameter (dims, dtypes, shapes), by value when it is plain data, else by type:
    a callback's function or a closed jaxpr prints its address, which differs in every kernel."""
    if isinstance(value, _PLAIN):
        return repr(value)
    if isinstance(value, (tuple, list, frozenset)):
        return "(" + ",".join(_param(item) for item in value) + ")"
    name = type(value).__name__
    if name in {"dtype", "DType"} or hasattr(value, "itemsize"):
        return str(value)
    return name


def _parameters(params: dict[str, Any]) -> str:
    text = "|".join(f"{key}={_param(params[key])}" for key in sorted(params))
    return hashlib.blake2b(text.encode(), digest_size=4).hexdigest()


class JaxOpRecorder:
    """Turns jit off and wraps ``EvalTrace.process_primitive`` around each traced cell."""

    def __init__(self, tracer: LineTracer) -> None:
        import jax
        import numpy
        from jax._src import core

        self.tracer = tracer
        self._jax: Any = jax
        self._numpy = numpy
        self._trace_class: Any = core.EvalTrace
        self._original = core.EvalTrace.__dict__["process_primitive"]
        self._jit_was_disabled: bool | None = None

    def enter(self) -> None:
        if self._jit_was_disabled is not None or self.tracer.cut:
            return
        self._jit_was_disabled = bool(self._jax.config.jax_disable_jit)
        self._jax.config.update("jax_disable_jit", True)
        original, record = self._original, self._record

        def process_primitive(trace: Any, primitive: Any, args: Any, params: Any) -> Any:
            result = original(trace, primitive, args, params)
            record(primitive, args, params, result)
            return result

        self._trace_class.process_primitive = process_primitive

    def exit(self) -> None:
        if self._jit_was_disabled is None:
            return
        self._trace_class.process_primitive = self._original
        self._jax.config.update("jax_disable_jit", self._jit_was_disabled)
        self._jit_was_disabled = None

    def _record(self, primitive: Any, args: Any, params: Any, result: Any) -> None:
        tracer = self.tracer
        if tracer.cut:
            self.exit()  # the trace ends here: the rest of the cell runs compiled again
            return
        if tracer.hashing or not tracer.stack or tracer.stack[-1].line is None:
            return
        tracer.hashing = True  # reading a key's data binds a primitive of its own
        try:
            outputs = result if getattr(primitive, "multiple_results", False) else [result]
            after = ",".join(self._digest(value) for value in outputs)
            before = [_parameters(params)] + [self._digest(value) for value in args]
        except Exception:  # noqa: BLE001 - a value that cannot be read: the op is not recorded
            return
        finally:
            tracer.hashing = False
        tracer.add_op(op_label(str(primitive.name)), before, after)

    def _digest(self, value: Any) -> str:
        jax, numpy = self._jax, self._numpy
        digest = hashlib.blake2b(digest_size=8)
        if isinstance(value, jax.Array) and jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key):
            digest.update(f"key:{value.dtype}:".encode())
            value = jax.random.key_data(value)
        array = numpy.asarray(value)
        digest.update(f"jax:{array.dtype.str}:{array.shape};".encode())
        self.tracer.hasher._array_bytes(digest, array)
        return digest.hexdigest()
