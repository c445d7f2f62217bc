"""RNG state checkpoints: every loaded source's full generator state, in a file safe to load.

A checkpoint is one NumPy ``.npz`` archive, written and read without pickle:
the generator states' arrays, plus a JSON document (stored as bytes under
``meta``) that describes how to rebuild each state from plain values and those
arrays, and which library versions wrote it. Loading decodes every state before
it applies any, and puts the earlier states back if applying one fails, so a
refused file leaves the kernel exactly as it was.

CUDA generator states are part of PyTorch's state only when CUDA is already
initialised (touching them would initialise it).
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from .errors import describe_error
from .seeder import Seeder, get_seeder

FORMAT = "jupyter-seed/rng-state"
FORMAT_VERSION = 1
META = "meta"


class CheckpointError(ValueError):
    """A state file that cannot be written or applied; the message is one line."""


class _NotCapturable(Exception):
    pass


# ------------------------------------------------------------------ encoding
class _Encoder:
    """Turns a source's state into JSON nodes, moving arrays aside."""

    def __init__(self) -> None:
        self.arrays: dict[str, Any] = {}

    def _store(self, array: Any) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = array
        return key

    def encode(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return {"t": "int", "v": str(value)}  # JSON readers may round big ints
        if isinstance(value, float):
            return {"t": "float", "v": value.hex()}  # exact, NaN and infinities included
        if isinstance(value, (tuple, list)):
            return {"t": type(value).__name__, "v": [self.encode(item) for item in value]}
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                raise _NotCapturable("a dict with non-string keys")
            return {"t": "dict", "v": {key: self.encode(item) for key, item in value.items()}}
        kind = type(value)
        module = kind.__module__.partition(".")[0]
        if module == "numpy":
            import numpy as np

            if isinstance(value, np.generic):
                return self.encode(value.item())
            if isinstance(value, np.ndarray) and value.dtype != object:
                return {"t": "ndarray", "k": self._store(value.copy())}
        if module == "torch" and kind.__name__ == "Tensor":
            return {"t": "torch", "k": self._store(value.detach().cpu().numpy().copy())}
        if module in ("tensorflow", "keras"):
            return self._encode_generator(value)
        raise _NotCapturable(f"a {kind.__module__}.{kind.__qualname__} object")

    def _encode_generator(self, value: Any) -> Any:
        name = type(value).__name__
        if name == "Generator" and hasattr(value, "state"):  # tf.random.Generator (the global one)
            return {"t": "tf.global_generator", "k": self._store(value.state.numpy().copy()),
                    "alg": int(value.algorithm)}
        if name == "SeedGenerator":  # Keras' global SeedGenerator
            import keras

            return {"t": "keras.seed_generator", "k": self._store(keras.ops.convert_to_numpy(value.state))}
        raise _NotCapturable(f"a {type(value).__module__}.{name} object")


def _decode(node: Any, arrays: Any) -> Any:
    if node is None or isinstance(node, (bool, str)):
        return node
    if not isinstance(node, dict) or "t" not in node:
        raise CheckpointError("corrupt state file: unexpected entry in its description")
    kind = node["t"]
    if kind == "int":
        return int(node["v"])
    if kind == "float":
        return float.fromhex(node["v"])
    if kind in ("tuple", "list"):
        items = [_decode(item, arrays) for item in node["v"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {key: _decode(item, arrays) for key, item in node["v"].items()}
    array = arrays[node["k"]]
    if kind == "ndarray":
        return array
    if kind == "torch":
        import torch

        return torch.from_numpy(array.copy())
    if kind == "tf.global_generator":
        import tensorflow as tf

        return tf.random.Generator.from_state(array, int(node.get("alg", tf.random.Algorithm.PHILOX.value)))
    if kind == "keras.seed_generator":
        from keras.src.random.seed_generator import SeedGenerator

        generator = SeedGenerator(seed=0)
        generator.state.assign(array)
        return generator
    raise CheckpointError(f"corrupt state file: unknown entry type {str(kind)[:40]!r}")


# ------------------------------------------------------------------- save
def save_state(path: str | os.PathLike[str], seeder: Seeder | None = None) -> list[str]:
    """Write every loaded source's generator state to ``path``; return the names saved.

    Sources whose state cannot be written without pickle (polars, CuPy, some
    third-party sources) are left out and named in the file's ``skipped`` list.
    """
    try:
        import numpy as np
    except ImportError:
        raise CheckpointError("RNG state files are NumPy archives: install numpy") from None

    seeder = seeder or get_seeder()
    encoder = _Encoder()
    sources: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for source in seeder.sources:
        # module None: process state such as PYTHONHASHSEED, not a generator.
        if source.module is None or not source.has_global_state:
            continue
        _finish_lazy_import(source)
        if not source.is_loaded():
            continue
        try:
            state = source.get_state()
            if state is None:
                raise _NotCapturable("the library cannot read its generator's state back")
            sources[source.name] = {"version": source.version(), "state": encoder.encode(state)}
        except _NotCapturable as reason:
            skipped[source.name] = str(reason)
        except Exception as error:  # noqa: BLE001
            raise CheckpointError(f"cannot save the state of {source.name}: {describe_error(error)}") from None
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "applied_seed": seeder.applied_seed,
        "sources": sources,
        "skipped": skipped,
    }
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **{META: blob}, **encoder.arrays)
    target = os.fspath(path)
    temporary = f"{target}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as handle:
            handle.write(buffer.getvalue())
        os.replace(temporary, target)
    except OSError as error:
        raise CheckpointError(f"cannot write {target}: {describe_error(error)}") from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return list(sources)


# ------------------------------------------------------------------- load
def read_state_file(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The file's description and arrays; :class:`CheckpointError` for anything unreadable."""
    import numpy as np

    target = os.fspath(path)
    try:
        with open(target, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise CheckpointError(f"cannot read {target}: {describe_error(error)}") from None
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        meta = json.loads(arrays.pop(META).tobytes().decode("utf-8"))
    except Exception as error:  # noqa: BLE001 - zip, JSON and key errors all mean the same here
        raise CheckpointError(f"{target} is not a jupyter-seed state file ({describe_error(error, 120)})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{target} is not a jupyter-seed state file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{target} has state format {meta.get('format_version')!r}; this jupyter-seed reads {FORMAT_VERSION}"
        )
    if not isinstance(meta.get("sources"), dict):
        raise CheckpointError(f"corrupt state file {target}: no sources")
    return meta, arrays


def load_state(path: str | os.PathLike[str], seeder: Seeder | None = None) -> list[str]:
    """Apply a file written by :func:`save_state`: every state in it, or none.

    Refused, in one line and with nothing changed: a corrupt file, one written
    by another version of a library, or one naming a library not imported here.
    """
    seeder = seeder or get_seeder()
    meta, arrays = read_state_file(path)
    by_name = {source.name: source for source in seeder.sources}
    decoded: list[tuple[Any, Any]] = []
    for name, entry in meta["sources"].items():
        if not isinstance(entry, dict):
            raise CheckpointError(f"corrupt state file: the entry for {str(name)[:40]} is not an object")
        source = by_name.get(name)
        if source is not None:
            _finish_lazy_import(source)
        if source is None or not source.is_loaded():
            raise CheckpointError(f"the state file has {str(name)[:40]}'s state, but {str(name)[:40]} is not imported here")
        recorded, current = entry.get("version"), source.version()
        if recorded != current:
            raise CheckpointError(
                f"the state file was written with {name} {str(recorded)[:40] if recorded else '(no version)'}, "
                f"this kernel has {current or '(no version)'}"
            )
        try:
            decoded.append((source, _decode(entry.get("state"), arrays)))
        except CheckpointError:
            raise
        except Exception as error:  # noqa: BLE001
            raise CheckpointError(f"corrupt state for {name}: {describe_error(error, 120)}") from None
    _apply_all(decoded, lambda source: source.get_state())
    return [source.name for source, _ in decoded]


def _finish_lazy_import(source: Any) -> None:
    # NumPy imports numpy.random on first use: `import numpy` then a load must still work.
    module = source.module
    if module and "." in module and module not in sys.modules and module.partition(".")[0] in sys.modules:
        import importlib

        importlib.import_module(module)


def _apply_all(decoded: list[tuple[Any, Any]], snapshot: Callable[[Any], Any]) -> None:
    before = [(source, snapshot(source)) for source, _ in decoded]
    for position, (source, state) in enumerate(decoded):
        try:
            source.set_state(state)
        except Exception as error:  # noqa: BLE001
            # The failing source may be half-applied, so it is put back too.
            for done, previous in before[: position + 1]:
                try:
                    done.set_state(previous)
                except Exception as undo_error:  # noqa: BLE001
                    print(f"jupyter-seed: could not put back {done.name}: {describe_error(undo_error)}",
                          file=sys.stderr)
            raise CheckpointError(f"cannot apply the state of {source.name}: {describe_error(error, 120)}") from None
