"""Keras 3: its global seed and global ``SeedGenerator``.

Equivalent to ``keras.utils.set_random_seed(n)`` together with the ``random``,
NumPy, TensorFlow and PyTorch adapters, which seed what that function also seeds.
"""

from __future__ import annotations

from typing import Any

from .base import RandomSource
from .state_codec import ArrayReader, ArrayWriter, decode_plain, encode_plain, expect_sequence

_SEED_ATTRIBUTE = "global_random_seed"
GENERATOR_ENTRY = "keras.seed_generator"
"""Keras' global ``SeedGenerator`` in a state file: its state variable as an array."""


class KerasSource(RandomSource):
    name = "keras"
    label = "Keras"
    module = "keras"

    def __init__(self) -> None:
        self._set_attribute: Any = None
        self._generator_attribute = ""

    def _bind(self) -> None:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
        from keras.src.utils import rng_utils

        global _SEED_ATTRIBUTE
        _SEED_ATTRIBUTE = getattr(rng_utils, "GLOBAL_RANDOM_SEED", _SEED_ATTRIBUTE)
        self._generator_attribute = seed_generator.GLOBAL_SEED_GENERATOR
        self._set_attribute = global_state.set_global_attribute

    def seed(self, seed: int) -> None:
        if self._set_attribute is None:
            self._bind()
        self._set_attribute(_SEED_ATTRIBUTE, seed)
        # Keras recreates its global SeedGenerator from the seed on next use.
        self._set_attribute(self._generator_attribute, None)

    def read_seed(self, last_applied: int | None) -> int | None:
        from keras.src.utils import rng_utils

        return rng_utils.get_random_seed()

    def get_state(self) -> Any:
        from keras.src.backend.common import global_state

        if self._set_attribute is None:
            self._bind()
        return (
            global_state.get_global_attribute(_SEED_ATTRIBUTE),
            global_state.get_global_attribute(self._generator_attribute),
        )

    def set_state(self, state: Any) -> None:
        seed, generator = state
        self._set_attribute(_SEED_ATTRIBUTE, seed)
        self._set_attribute(self._generator_attribute, generator)

    def encode_state(self, state: Any, arrays: ArrayWriter) -> Any:
        import keras

        def generator(value: Any) -> Any:
            if not isinstance(value, keras.random.SeedGenerator):
                return None
            return {"t": GENERATOR_ENTRY, "k": arrays.put(keras.ops.convert_to_numpy(value.state))}

        return encode_plain(state, arrays, generator)

    def decode_state(self, node: Any, arrays: ArrayReader) -> Any:
        import keras

        def generator(entry: dict[str, Any], reader: ArrayReader) -> Any:
            rebuilt = keras.random.SeedGenerator(seed=0)  # an explicit seed: no draw from the global one
            rebuilt.state.assign(reader.get(entry.get("k")))
            return rebuilt

        decoded = decode_plain(node, arrays, {GENERATOR_ENTRY: generator})
        seed, rebuilt = expect_sequence(decoded, 2, "Keras' state")
        if rebuilt is not None and not isinstance(rebuilt, keras.random.SeedGenerator):
            raise ValueError("Keras' global seed generator must be a SeedGenerator")
        return seed, rebuilt

    def determinism(self) -> dict[str, Any]:
        import keras

        return {"backend": keras.config.backend()}
