"""How an adapter writes its generator state as plain values and arrays, and reads it back.

A state file holds JSON-ready values plus arrays, never pickles. Each adapter
encodes its own state (:meth:`RandomSource.encode_state`) with the helpers here:
plain values and NumPy arrays are written by :func:`encode_plain`, and what only
the adapter knows (a torch tensor, a TensorFlow generator) by a ``special``
callback of its own. The written shapes are the state file's version 1
description, so files written before adapters owned their format still load.

Nothing here imports NumPy or a framework: arrays are recognised by their type's
module, and only what a file holds is turned back into objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Node = Any
"""A JSON-ready description of one value."""

Special = Callable[[Any], "Node | None"]
"""An adapter's encoder for its own types: a node, or ``None`` for "not mine"."""

SpecialDecoder = Callable[[dict[str, Any], "ArrayReader"], Any]


class StateNotPortable(Exception):
    """The state cannot be written without pickle; the message says why, in a few words."""


class ArrayWriter:
    """Collects the arrays of the states being written; each gets a member name."""

    def __init__(self) -> None:
        self.arrays: dict[str, Any] = {}

    def put(self, array: Any) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = array
        return key

    def mark(self) -> int:
        """A point to :meth:`rollback` to when a state turns out not to be portable halfway."""
        return len(self.arrays)

    def rollback(self, mark: int) -> None:
        for key in list(self.arrays)[mark:]:
            del self.arrays[key]


class ArrayReader:
    """The arrays a state file holds, by member name; asking for another is an error."""

    def __init__(self, arrays: Mapping[str, Any]) -> None:
        self._arrays = arrays

    def get(self, key: object) -> Any:
        if not isinstance(key, str) or key not in self._arrays:
            raise ValueError(f"the description names an array the file lacks ({str(key)[:40]!r})")
        return self._arrays[key]


def encode_plain(value: Any, arrays: ArrayWriter, special: Special | None = None) -> Node:
    """``value`` as a node: None, bool, str, int, float, tuple, list, str-keyed dict, NumPy arrays.

    ``special`` is asked first about every value that is not a plain scalar.
    Raises :class:`StateNotPortable` for anything else.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}  # JSON readers may round big ints
    if isinstance(value, float):
        return {"t": "float", "v": value.hex()}  # exact, NaN and infinities included
    if special is not None:
        node = special(value)
        if node is not None:
            return node
    if isinstance(value, (tuple, list)):
        return {"t": type(value).__name__, "v": [encode_plain(item, arrays, special) for item in value]}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise StateNotPortable("a dict with non-string keys")
        return {"t": "dict", "v": {key: encode_plain(item, arrays, special) for key, item in value.items()}}
    kind = type(value)
    if kind.__module__.partition(".")[0] == "numpy":
        import numpy as np  # a NumPy value exists, so NumPy is imported already

        if isinstance(value, np.generic):
            return encode_plain(value.item(), arrays, special)
        if isinstance(value, np.ndarray) and value.dtype != object:
            return {"t": "ndarray", "k": arrays.put(value.copy())}
    raise StateNotPortable(f"a {kind.__module__}.{kind.__qualname__} object")


def decode_plain(node: Node, arrays: ArrayReader, special: Mapping[str, SpecialDecoder] | None = None) -> Any:
    """The value :func:`encode_plain` described; ``ValueError`` for a node it did not write."""
    if node is None or isinstance(node, (bool, str)):
        return node
    if not isinstance(node, dict) or not isinstance(node.get("t"), str):
        raise ValueError("unexpected entry in its description")
    kind = node["t"]
    if kind == "int":
        return int(_text(node))
    if kind == "float":
        return float.fromhex(_text(node))
    if kind in ("tuple", "list"):
        items = [decode_plain(item, arrays, special) for item in _items(node)]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        mapping = node.get("v")
        if not isinstance(mapping, dict):
            raise ValueError("a dict entry without its items")
        return {key: decode_plain(item, arrays, special) for key, item in mapping.items()}
    if kind == "ndarray":
        return arrays.get(node.get("k"))
    if special is not None and kind in special:
        return special[kind](node, arrays)
    raise ValueError(f"unknown entry type {kind[:40]!r}")


def expect_sequence(value: Any, length: int, what: str) -> tuple[Any, ...]:
    """``value`` as a tuple of ``length`` items, or a ``ValueError`` saying what was expected."""
    if not isinstance(value, (tuple, list)) or len(value) != length:
        raise ValueError(f"{what} must be a sequence of {length} items")
    return tuple(value)


def _text(node: dict[str, Any]) -> str:
    text = node.get("v")
    if not isinstance(text, str):
        raise ValueError(f"a {node['t']} entry without its text")
    return text


def _items(node: dict[str, Any]) -> Iterable[Node]:
    items = node.get("v")
    if not isinstance(items, list):
        raise ValueError(f"a {node['t']} entry without its items")
    return items
