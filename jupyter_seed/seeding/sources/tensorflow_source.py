"""TensorFlow: the global seed, and the global ``tf.random.Generator``.

``tf.random.set_seed`` leaves the global Generator alone, and TensorFlow creates
that generator from OS entropy the first time it is asked for. We reset it when
it exists and, until it does, make its lazy creation start from the active seed.
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any

from .base import DeterministicMode, EnvironmentVariables, Flags, RandomSource
from .state_codec import ArrayReader, ArrayWriter, decode_plain, encode_plain, expect_sequence

DETERMINISTIC_VAR = "TF_DETERMINISTIC_OPS"
_STATEFUL_OPS = "tensorflow.python.ops.stateful_random_ops"
GENERATOR_ENTRY = "tf.global_generator"
"""The global ``tf.random.Generator`` in a state file: its state array and algorithm."""


class TensorflowSource(RandomSource):
    name = "tensorflow"
    label = "TensorFlow"
    module = "tensorflow"

    def __init__(self) -> None:
        self._applied: int | None = None
        self._state_cache: dict[tuple[int, Any], Any] = {}
        self._patched: list[tuple[Any, Any]] = []
        self._env = EnvironmentVariables()
        self._op_determinism_before: bool | None = None
        self._set_seed: Any = None
        self._ops: Any = None

    def _tf(self) -> Any:
        return sys.modules["tensorflow"]

    def seed(self, seed: int) -> None:
        if self._set_seed is None:
            # Bound once: each `tf.random` lookup goes through TensorFlow's lazy module (~4 µs).
            self._set_seed, self._ops = self._tf().random.set_seed, sys.modules[_STATEFUL_OPS]
        self._set_seed(seed)
        self._applied = seed
        ops = self._ops
        generator = ops.global_generator
        if generator is not None:
            generator._state_var.assign(self._rng_state(ops, seed, generator.algorithm))
        elif not self._patched:
            self._patch_lazy_global_generator(self._tf(), ops)

    def _rng_state(self, ops: Any, seed: int, algorithm: Any) -> Any:
        # create_rng_state costs ~0.4 ms; per-cell reseeds repeat the same seeds.
        key = (seed, algorithm)
        state = self._state_cache.get(key)
        if state is None:
            if len(self._state_cache) > 256:
                self._state_cache.clear()
            state = self._state_cache[key] = ops.create_rng_state(seed, algorithm)
        return state

    def _patch_lazy_global_generator(self, tf: Any, ops: Any) -> None:
        original = ops.get_global_generator
        source = self

        def get_global_generator() -> Any:
            if ops.global_generator is None and source._applied is not None:
                from tensorflow.python.framework import ops as framework_ops

                with framework_ops.init_scope():
                    ops.global_generator = ops.Generator.from_seed(source._applied)
            return original()

        get_global_generator.__doc__ = original.__doc__
        get_global_generator.__wrapped__ = original  # type: ignore[attr-defined]
        for namespace in (ops, tf.random, getattr(tf.random, "experimental", None)):
            if namespace is not None and getattr(namespace, "get_global_generator", None) is original:
                self._patched.append((namespace, original))
                namespace.get_global_generator = get_global_generator

    def detach(self) -> None:
        for namespace, original in self._patched:
            namespace.get_global_generator = original
        self._patched.clear()
        if self._op_determinism_before is not None:
            self._set_op_determinism(self._op_determinism_before)
            self._op_determinism_before = None
        self._env.restore_all()

    def read_seed(self, last_applied: int | None) -> int | None:
        from tensorflow.python.eager import context

        return context.global_seed()

    def get_state(self) -> Any:
        from tensorflow.python.eager import context

        ctx = context.context()
        rng = getattr(ctx, "_rng", None)
        generator = sys.modules[_STATEFUL_OPS].global_generator
        generator_state = None if generator is None else generator.state.numpy().copy()
        return (
            ctx._seed,
            None if rng is None else rng.getstate(),
            generator,
            generator_state,
            self._applied,
        )

    def set_state(self, state: Any) -> None:
        from tensorflow.python.eager import context

        seed, rng_state, generator, generator_state, applied = state
        ctx = context.context()
        # Restoring the op-seed sequence restores the stream of every random op
        # that draws its seed from the global one; the kernel cache is left as is.
        ctx._seed = seed
        if rng_state is None:
            ctx._rng = None
        else:
            rng = random.Random()
            rng.setstate(rng_state)
            ctx._rng = rng
        ops: Any = sys.modules[_STATEFUL_OPS]
        ops.global_generator = generator
        if generator is not None:
            generator._state_var.assign(generator_state)
        self._applied = applied

    def encode_state(self, state: Any, arrays: ArrayWriter) -> Any:
        generator_type = sys.modules[_STATEFUL_OPS].Generator

        def generator(value: Any) -> Any:
            if not isinstance(value, generator_type):
                return None
            key = arrays.put(value.state.numpy().copy())
            return {"t": GENERATOR_ENTRY, "k": key, "alg": int(value.algorithm)}

        return encode_plain(state, arrays, generator)

    def decode_state(self, node: Any, arrays: ArrayReader) -> Any:
        ops = sys.modules[_STATEFUL_OPS]
        philox = self._tf().random.Algorithm.PHILOX.value

        def generator(entry: dict[str, Any], reader: ArrayReader) -> Any:
            algorithm = entry.get("alg", philox)
            if type(algorithm) is not int:
                raise ValueError("the global generator's algorithm must be an integer")
            return ops.Generator.from_state(reader.get(entry.get("k")), algorithm)

        decoded = decode_plain(node, arrays, {GENERATOR_ENTRY: generator})
        state = expect_sequence(decoded, 5, "TensorFlow's state")
        if state[2] is not None and not isinstance(state[2], ops.Generator):
            raise ValueError("TensorFlow's global generator must be a generator")
        return state

    def prepare_deterministic(self, mode: DeterministicMode) -> list[str]:
        if mode == "off":
            self._env.restore(DETERMINISTIC_VAR)
        elif "tensorflow" not in sys.modules and os.environ.get(DETERMINISTIC_VAR) != "1":
            self._env.set(DETERMINISTIC_VAR, "1")
        return []

    def apply_deterministic(self, mode: DeterministicMode) -> list[str]:
        from tensorflow.python.framework import config

        if mode == "off":
            before, self._op_determinism_before = self._op_determinism_before, None
            self._set_op_determinism(bool(before))
            return []
        if self._op_determinism_before is None:
            self._op_determinism_before = self._initial_op_determinism(config)
        config.enable_op_determinism()
        return []

    def _initial_op_determinism(self, config: Any) -> bool:
        # TensorFlow reads the variable at its first query: when we set it before
        # the import, the value before us is what the user had.
        if self._env.value_before(DETERMINISTIC_VAR) != os.environ.get(DETERMINISTIC_VAR):
            return self._env.value_before(DETERMINISTIC_VAR) in ("1", "true", "True")
        return bool(config.is_op_determinism_enabled())

    def _set_op_determinism(self, enabled: bool) -> None:
        from tensorflow.python.framework import config

        if enabled:
            config.enable_op_determinism()
        else:
            config.disable_op_determinism()

    def determinism(self) -> Flags:
        from tensorflow.python.framework import config

        return {
            "op_determinism": bool(config.is_op_determinism_enabled()),
            DETERMINISTIC_VAR: os.environ.get(DETERMINISTIC_VAR),
            "global_generator": sys.modules[_STATEFUL_OPS].global_generator is not None,
        }
