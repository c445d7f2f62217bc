"""What a swept function's or cell's results depend on, as one digest: its code and every value it reads.

The source text alone cannot tell ``with_lr(0.1)`` from ``with_lr(0.01)``, two bound
methods of differently configured objects, two ``functools.partial``s, or a cell
before and after a global it reads changed. So the identity folds in the closure
cells, defaults, keyword defaults, the values of the globals the code refers to,
the bound ``self`` (or a callable object's own state) and a partial's arguments,
recursively for the user's own functions and classes. Code of installed packages
and the standard library is named, not read (their versions are in the store's header).

What cannot be fingerprinted (a lock, an open file, an object too large or too deep)
is listed in ``Identity.uncovered``: the store refuses to resume such code rather
than guess that nothing changed.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEME = 2
"""Version of what the identity covers; a store saved under another scheme cannot be resumed."""
MAX_DEPTH = 16
MAX_OBJECTS = 50_000
MAX_PARTS = 200
"""Most named parts (source, each default, closure cell, global) kept to explain a mismatch."""


@dataclass(frozen=True)
class Identity:
    digest: str
    parts: dict[str, str] = field(default_factory=dict)
    """``{"global 'lr'": "sha256:...", ...}``: which part changed, when the digest does."""
    uncovered: tuple[str, ...] = ()
    """What the digest cannot cover, one phrase each: ``"closure 'lock' (a lock: cannot be serialised)"``."""


class _Uncoverable(Exception):
    pass


def _installed_roots() -> tuple[str, ...]:
    import sysconfig

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(path)
    return tuple(sorted(roots))


@functools.lru_cache(maxsize=1024)
def _is_user_module(name: str) -> bool:
    """``__main__`` and modules outside the interpreter's prefix and site-packages (the user's own code)."""
    import os

    if name in ("__main__", "") or name.startswith("__main__."):
        return True
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    if module is None or not path:
        return False
    path = os.path.realpath(path)
    return not any(path.startswith(os.path.realpath(root) + os.sep) for root in _installed_roots())


def _source(function: types.FunctionType) -> bytes:
    import inspect
    import marshal

    try:
        return inspect.getsource(function).encode()
    except (OSError, TypeError):
        return marshal.dumps(function.__code__)


def _referenced_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _referenced_names(constant)
    return names


class _Digest:
    """Feeds one value, recursively, into a sha256; records what it could not cover."""

    def __init__(self, uncovered: list[str], where: str, budget: list[int]) -> None:
        self.hash = hashlib.sha256()
        self.uncovered = uncovered
        self.where = where
        self.budget = budget  # objects left to visit, shared by every part of one identity
        self.active: set[int] = set()

    def feed(self, *chunks: bytes | str) -> None:
        for chunk in chunks:
            data = chunk.encode("utf-8", "surrogatepass") if isinstance(chunk, str) else chunk
            self.hash.update(len(data).to_bytes(8, "big") + data)

    def hexdigest(self) -> str:
        return "sha256:" + self.hash.hexdigest()

    def value(self, obj: object, depth: int = 0) -> None:
        self.budget[0] -= 1
        if depth > MAX_DEPTH or self.budget[0] < 0:
            raise _Uncoverable("too deep or too large to fingerprint")
        if obj is None or isinstance(obj, (bool, float, complex, str, bytes)):
            self.feed(type(obj).__name__, repr(obj))
            return
        if isinstance(obj, int):
            self.feed(type(obj).__name__, hex(obj))  # hex: no limit on the number of digits
            return
        if id(obj) in self.active:
            self.feed("cycle")
            return
        self.active.add(id(obj))
        try:
            self._compound(obj, depth + 1)
        finally:
            self.active.discard(id(obj))

    def _compound(self, obj: object, depth: int) -> None:
        import enum

        if isinstance(obj, enum.Enum):
            self.type_(type(obj), depth)
            self.feed(obj.name)
        elif isinstance(obj, (tuple, list)):
            self.feed(type(obj).__name__, str(len(obj)))
            for item in obj:
                self.value(item, depth)
        elif isinstance(obj, dict):
            self.feed(type(obj).__name__, str(len(obj)))
            for key, item in list(obj.items()):
                self.value(key, depth)
                self.value(item, depth)
        elif isinstance(obj, (set, frozenset)):
            digests = sorted(self._apart(item, depth) for item in obj)  # sets have no stable order
            self.feed(type(obj).__name__, *digests)
        elif isinstance(obj, functools.partial):
            self.feed("partial")
            self.value(obj.func, depth)
            self.value(obj.args, depth)
            self.value(dict(sorted(obj.keywords.items())), depth)
        elif isinstance(obj, types.MethodType):
            self.feed("method")
            self.value(obj.__self__, depth)
            self.value(obj.__func__, depth)
        elif isinstance(obj, types.FunctionType):
            self.function(obj, depth)
        elif isinstance(
            obj, (types.BuiltinFunctionType, types.WrapperDescriptorType, types.MethodWrapperType)
        ):
            self.feed(
                "builtin", getattr(obj, "__module__", None) or "", getattr(obj, "__qualname__", repr(obj))
            )
            owner = getattr(obj, "__self__", None)
            if owner is not None and not isinstance(owner, (types.ModuleType, type)):
                self.value(owner, depth)  # ``values.append``: the list it appends to
        elif isinstance(obj, types.ModuleType):
            self.feed("module", obj.__name__)
        elif isinstance(obj, type):
            self.type_(obj, depth)
        else:
            self._instance(obj, depth)

    def _apart(self, item: object, depth: int) -> str:
        part = _Digest(self.uncovered, self.where, self.budget)
        part.active = self.active
        part.value(item, depth)
        return part.hexdigest()

    def function(self, function: types.FunctionType, depth: int) -> None:
        self.feed("function", function.__module__ or "", function.__qualname__)
        if not _is_user_module(function.__module__ or ""):
            return  # installed code: named, its version is in the header
        self.feed(_source(function))
        self.value(function.__defaults__, depth)
        self.value(function.__kwdefaults__, depth)
        for name, cell in zip(function.__code__.co_freevars, function.__closure__ or (), strict=True):
            self.feed("closure", name)
            try:
                self.value(cell.cell_contents, depth)
            except ValueError:  # an empty cell
                self.feed("empty")
        namespace = function.__globals__
        for name in sorted(_referenced_names(function.__code__)):
            if name in namespace:
                self.feed("global", name)
                self.value(namespace[name], depth)

    def type_(self, cls: type, depth: int) -> None:
        self.feed("class", cls.__module__, cls.__qualname__)
        if not _is_user_module(cls.__module__):
            return
        for base in cls.__bases__:
            self.value(base, depth)
        for name, member in sorted(vars(cls).items()):
            if name in ("__dict__", "__weakref__", "__module__", "__qualname__", "__doc__"):
                continue
            self.feed(name)
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            elif isinstance(member, property):
                member = (member.fget, member.fset, member.fdel)
            self.value(member, depth)

    def _instance(self, obj: object, depth: int) -> None:
        kind = type(obj)
        if _array_bytes(self, obj):
            return
        if _is_user_module(kind.__module__) and _pickles_plainly(kind):
            self.type_(kind, depth)  # the user's own class: its code, then its state
            self.value(getattr(obj, "__dict__", None), depth)
            for name in [slot for klass in kind.__mro__ for slot in getattr(klass, "__slots__", ())]:
                self.feed("slot", name)
                self.value(getattr(obj, name, "<unset>"), depth)
            return
        import pickle

        self.type_(kind, depth)
        self.feed("pickle")
        try:  # streamed into the hash: a large object is not copied in memory
            pickle.Pickler(_HashWriter(self.hash), protocol=4).dump(obj)
        except Exception as error:  # noqa: BLE001 - anything pickle cannot take is not covered
            raise _Uncoverable(f"a {kind.__name__}: cannot be serialised ({type(error).__name__})") from None


class _HashWriter:
    def __init__(self, hash_: Any) -> None:
        self.write = hash_.update


def _pickles_plainly(kind: type) -> bool:
    """No pickling of its own: its state is its ``__dict__`` and slots (caches of a library class are not)."""
    return (
        kind.__reduce_ex__ is object.__reduce_ex__
        and kind.__reduce__ is object.__reduce__
        and getattr(kind, "__getstate__", None) is getattr(object, "__getstate__", None)
    )


def _array_bytes(digest: _Digest, obj: object) -> bool:
    """NumPy arrays and scalars, torch tensors: dtype, shape and the bytes themselves."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(obj, (numpy.ndarray, numpy.generic)):
        array = numpy.asarray(obj)
        if array.dtype.hasobject:
            digest.feed("object array", str(array.shape))
            digest.value(array.tolist())
        else:
            digest.feed("array", array.dtype.str, str(array.shape), numpy.ascontiguousarray(array).tobytes())
        return True
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.Tensor):
        try:
            flat = obj.detach().cpu().contiguous().reshape(-1)
            data = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
        except Exception as error:  # noqa: BLE001 - sparse, meta or otherwise unreadable tensors
            raise _Uncoverable(
                f"a {type(obj).__name__} whose bytes cannot be read ({type(error).__name__})"
            ) from None
        digest.feed("tensor", str(obj.dtype), str(tuple(obj.shape)), str(obj.requires_grad), data)
        return True
    return False


def _part(
    label: str, value: object, uncovered: list[str], budget: list[int], *, as_function: bool = False
) -> str:
    digest = _Digest(uncovered, label, budget)
    try:
        if as_function and isinstance(value, types.FunctionType):
            digest.feed(_source(value))  # the function's own text, even when it lives in an installed module
        else:
            digest.value(value)
    except _Uncoverable as reason:
        uncovered.append(f"{label} ({reason})")
        digest.feed("uncovered")
    except RecursionError:
        uncovered.append(f"{label} (nested too deeply to fingerprint)")
        digest.feed("uncovered")
    return digest.hexdigest()


def _combine(parts: Mapping[str, str], uncovered: list[str]) -> Identity:
    whole = hashlib.sha256(f"scheme {SCHEME}".encode())
    for label, digest in sorted(parts.items()):
        whole.update(f"\0{label}\0{digest}".encode())
    kept = dict(sorted(parts.items())[:MAX_PARTS])
    return Identity("sha256:" + whole.hexdigest(), kept, tuple(uncovered))


def code_identity(fn: Callable[..., Any]) -> Identity:
    """The identity of a function, a bound method, a ``functools.partial`` or a callable object."""
    parts: dict[str, str] = {}
    uncovered: list[str] = []
    budget = [MAX_OBJECTS]
    target: Any = fn
    depth = 0
    while isinstance(target, functools.partial):
        parts[f"partial {depth} arguments"] = _part(
            "the partial's arguments", (target.args, dict(sorted(target.keywords.items()))), uncovered, budget
        )
        target, depth = target.func, depth + 1
    if isinstance(target, types.MethodType):
        parts["bound self"] = _part("the bound object", target.__self__, uncovered, budget)
        target = target.__func__
    if isinstance(target, types.FunctionType):
        parts["code"] = _part("the code", target, uncovered, budget, as_function=True)
        parts["defaults"] = _part(
            "the defaults", (target.__defaults__, target.__kwdefaults__), uncovered, budget
        )
        for name, cell in zip(target.__code__.co_freevars, target.__closure__ or (), strict=True):
            try:
                contents = cell.cell_contents
            except ValueError:
                contents = "<empty cell>"
            parts[f"closure {name!r}"] = _part(f"closure {name!r}", contents, uncovered, budget)
        namespace = target.__globals__
        for name in sorted(_referenced_names(target.__code__)):
            if name in namespace:
                parts[f"global {name!r}"] = _part(f"global {name!r}", namespace[name], uncovered, budget)
    else:  # a callable object or a builtin: its class and its own state
        parts["object"] = _part(f"the callable {type(target).__name__}", target, uncovered, budget)
    return _combine(parts, uncovered)


def cell_identity(
    source: str, namespace: Mapping[str, Any], free_names: set[str] | frozenset[str]
) -> Identity:
    """A cell's identity: its source and the values of the names it reads before assigning them."""
    from ..harness import is_shell_name

    parts = {"source": text_digest(source)}
    uncovered: list[str] = []
    budget = [MAX_OBJECTS]
    for name in sorted(free_names):
        if is_shell_name(name):
            continue  # In, Out, _: the shell's history, not the cell's input
        value = namespace[name] if name in namespace else "<undefined>"
        parts[f"global {name!r}"] = _part(f"global {name!r}", value, uncovered, budget)
    return _combine(parts, uncovered)


def text_digest(text: str) -> str:
    """``sha256:`` of a text (a cell's source)."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
