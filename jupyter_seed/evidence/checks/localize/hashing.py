"""Fingerprints of the values a traced line touches: equal values, equal fingerprints, across kernels.

Numbers, strings, bytes and containers by their contents; NumPy arrays, torch, TensorFlow and
JAX tensors by their bytes with dtype and shape; generators (``random.Random``, NumPy's
``Generator``/``RandomState``, ``torch.Generator``) by their state; torch modules and optimizers
by their tensors; other objects by their attributes, a few levels deep. What cannot be read
(modules, functions, classes, objects without attributes, JAX tracers) has no fingerprint and is
left out: a value left out can hide a divergence, never invent one. A set is hashed by its sorted
element hashes, so string hash randomisation does not change it.

Alongside each fingerprint come the ids of the arrays and tensors inside the value (a model's
parameters, an optimizer's): within one run they say which values share data, so the comparison
can follow a change made through another name (``opt.step()`` changes ``model``).
"""

from __future__ import annotations

import hashlib
import sys
import types
import weakref
from typing import Any

MAX_NODES = 20_000
"""Elements visited per value: a huge list is hashed by its first ones and its length."""
MAX_DEPTH = 6
MAX_IDS = 32
_SKIPPED = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)
_CACHE_LIMIT = 8192


def _torch_kinds(torch: Any) -> tuple[type, ...]:
    return (torch.Tensor, torch.nn.Module, torch.optim.Optimizer, torch.Generator)


class Hasher:
    """Fingerprints with a cache for tensors, keyed by identity and torch's version counter."""

    def __init__(self) -> None:
        self._tensors: dict[int, tuple[Any, int, str]] = {}

    def fingerprint(self, value: Any) -> tuple[str, list[int]] | None:
        """``(hex digest, ids of arrays and tensors inside)``, or None when the value cannot be read."""
        digest = hashlib.blake2b(digest_size=8)
        ids: list[int] = []
        budget = [MAX_NODES]
        try:
            if not self._feed(digest, value, ids, budget, 0):
                return None
        except Exception:  # noqa: BLE001 - a value whose reading fails has no fingerprint
            return None
        return digest.hexdigest(), ids[:MAX_IDS]

    def digest(self, value: Any) -> str | None:
        found = self.fingerprint(value)
        return None if found is None else found[0]

    # ------------------------------------------------------------ values
    def _feed(self, digest: Any, value: Any, ids: list[int], budget: list[int], depth: int) -> bool:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            digest.update(b"\x00cut")
            return True
        kind = type(value)
        if value is None or kind in (bool, int, float, complex):
            digest.update(f"{kind.__name__}:{value!r};".encode())
            return True
        if kind is str:
            digest.update(b"s" + len(value).to_bytes(8, "little") + value.encode("utf-8", "surrogatepass"))
            return True
        if kind in (bytes, bytearray, memoryview):
            data = bytes(value)
            digest.update(b"b" + len(data).to_bytes(8, "little") + data)
            return True
        if isinstance(value, _SKIPPED):
            return False
        module = kind.__module__.partition(".")[0]
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, _torch_kinds(torch)):
            module = "torch"  # a model or tensor subclass the user defined in a cell
        if module == "numpy":
            return self._numpy(digest, value, ids)
        if module == "torch":
            return self._torch(digest, value, ids, budget, depth)
        if module in ("tensorflow", "keras", "tf_keras"):
            return self._tensorflow(digest, value, ids, budget, depth)
        if module in ("jax", "jaxlib"):
            return self._jax(digest, value, ids)
        if module == "pandas":
            return self._pandas(digest, value)
        if module == "random" and hasattr(value, "getstate"):
            return self._feed(digest, value.getstate(), ids, budget, depth + 1)
        if isinstance(value, (list, tuple)):
            digest.update(f"{kind.__name__}[{len(value)}]".encode())
            for item in value:
                if not self._feed(digest, item, ids, budget, depth + 1):
                    digest.update(b"?")
            return True
        if isinstance(value, dict):
            digest.update(f"dict[{len(value)}]".encode())
            for key, item in value.items():
                self._feed(digest, key, ids, budget, depth + 1)
                if not self._feed(digest, item, ids, budget, depth + 1):
                    digest.update(b"?")
            return True
        if isinstance(value, (set, frozenset)):
            parts = sorted(h for h in (self.digest(item) for item in value) if h is not None)
            digest.update(f"set[{len(value)}]".encode() + "".join(parts).encode())
            return True
        return self._object(digest, value, ids, budget, depth)

    def _object(self, digest: Any, value: Any, ids: list[int], budget: list[int], depth: int) -> bool:
        try:
            attributes = vars(value)
        except TypeError:
            return False  # no __dict__ (slots, C types): nothing we can read safely
        if not attributes or depth >= 3:
            return False
        digest.update(f"obj:{type(value).__qualname__}".encode())
        for name in sorted(attributes):
            if name.startswith("__"):
                continue
            digest.update(name.encode())
            if not self._feed(digest, attributes[name], ids, budget, depth + 1):
                digest.update(b"?")
        return True

    # -------------------------------------------------------- frameworks
    @staticmethod
    def _array_bytes(digest: Any, array: Any) -> None:
        import numpy

        array = numpy.ascontiguousarray(array)
        digest.update(f"nd:{array.dtype.str}:{array.shape};".encode())
        if array.dtype.hasobject:
            digest.update(repr(array.tolist()).encode())
        else:
            digest.update(array.view(numpy.uint8).reshape(-1).data)

    def _numpy(self, digest: Any, value: Any, ids: list[int]) -> bool:
        import numpy

        if isinstance(value, numpy.ndarray):
            ids.append(id(value))
            self._array_bytes(digest, value)
            return True
        if isinstance(value, numpy.generic):
            self._array_bytes(digest, numpy.asarray(value))
            return True
        if isinstance(value, numpy.random.Generator):
            return self._feed(digest, value.bit_generator.state, ids, [MAX_NODES], 1)
        if isinstance(value, (numpy.random.BitGenerator, numpy.random.RandomState)):
            state = value.state if isinstance(value, numpy.random.BitGenerator) else value.get_state()
            return self._feed(digest, state, ids, [MAX_NODES], 1)
        if isinstance(value, numpy.dtype):
            digest.update(value.str.encode())
            return True
        return False

    def tensor_digest(self, tensor: Any) -> str:
        """One torch tensor's fingerprint, cached while its data and version stay the same."""
        key = id(tensor)
        try:
            version = int(tensor._version)
        except Exception:  # noqa: BLE001 - inference tensors have no version counter
            version = -1
        known = self._tensors.get(key)
        if known is not None and version >= 0 and known[0]() is tensor and known[1] == version:
            return known[2]
        digest = hashlib.blake2b(digest_size=8)
        self._tensor_bytes(digest, tensor)
        found = digest.hexdigest()
        if version >= 0:
            if len(self._tensors) > _CACHE_LIMIT:
                self._tensors.clear()
            try:
                self._tensors[key] = (weakref.ref(tensor), version, found)
            except TypeError:
                pass
        return found

    @staticmethod
    def _tensor_bytes(digest: Any, tensor: Any) -> None:
        import torch

        data = tensor.detach()
        digest.update(f"pt:{data.dtype}:{tuple(data.shape)}:{data.device.type};".encode())
        if data.layout != torch.strided or data.is_quantized or data.device.type == "meta":
            return
        if data.device.type != "cpu":
            data = data.cpu()
        try:
            array = data.numpy()  # the common dtypes: one view, no copy
        except (TypeError, RuntimeError):
            flat = data.contiguous().reshape(-1)
            if flat.is_complex():
                flat = torch.view_as_real(flat)
            array = flat.view(torch.uint8).numpy() if flat.dtype != torch.bool else flat.to(torch.uint8).numpy()
        Hasher._array_bytes(digest, array)

    def _torch(self, digest: Any, value: Any, ids: list[int], budget: list[int], depth: int) -> bool:
        import torch

        if isinstance(value, torch.Tensor):
            ids.append(id(value))
            digest.update(self.tensor_digest(value).encode())
            return True
        if isinstance(value, torch.Generator):
            digest.update(self.tensor_digest(value.get_state()).encode())
            return True
        if isinstance(value, torch.nn.Module):
            digest.update(f"module:{type(value).__qualname__}".encode())
            # Parameters and buffers: what state_dict holds, without its hooks and copies.
            for name, tensor in (*value.named_parameters(), *value.named_buffers()):
                digest.update(name.encode())
                self._feed(digest, tensor, ids, budget, depth + 1)
            return True
        if isinstance(value, torch.optim.Optimizer):
            digest.update(f"optimizer:{type(value).__qualname__}".encode())
            for group in value.param_groups:
                for parameter in group["params"]:
                    self._feed(digest, parameter, ids, budget, depth + 1)
                    self._feed(digest, value.state.get(parameter, {}), ids, budget, depth + 1)
            return True
        if isinstance(value, (torch.dtype, torch.device, torch.Size)):
            digest.update(repr(value).encode())
            return True
        return self._object(digest, value, ids, budget, depth)

    def _tensorflow(self, digest: Any, value: Any, ids: list[int], budget: list[int], depth: int) -> bool:
        read = getattr(value, "numpy", None)
        if read is None or not callable(read):
            variables = getattr(value, "variables", None)  # a tf.Module or Keras layer: its weights
            if isinstance(variables, (list, tuple)) and variables:
                digest.update(f"tfmodule:{type(value).__qualname__}".encode())
                return all(self._tensorflow(digest, variable, ids, budget, depth + 1) for variable in variables)
            # anything else of theirs (a Keras History, a callback): by its attributes
            return self._object(digest, value, ids, budget, depth)
        ids.append(id(value))
        self._array_bytes(digest, read())
        return True

    def _jax(self, digest: Any, value: Any, ids: list[int]) -> bool:
        import numpy

        jax = sys.modules.get("jax")
        if jax is None or not isinstance(value, jax.Array) or isinstance(value, jax.core.Tracer):
            return False
        if jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key):
            value = jax.random.key_data(value)
        ids.append(id(value))
        self._array_bytes(digest, numpy.asarray(value))
        return True

    @staticmethod
    def _pandas(digest: Any, value: Any) -> bool:
        import pandas

        if not isinstance(value, (pandas.DataFrame, pandas.Series, pandas.Index)):
            return False
        digest.update(repr((type(value).__name__, getattr(value, "shape", None))).encode())
        if isinstance(value, pandas.DataFrame):
            digest.update(repr([str(c) for c in value.columns]).encode())
        digest.update(pandas.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        return True
