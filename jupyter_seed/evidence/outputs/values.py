"""Exact comparison of values from repeated runs, naming the first difference.

Pure logic, no IPython: the cell check compares Python objects (arrays, tensors,
containers, plain objects); :mod:`.mimebundle` compares nbformat outputs. No
framework is imported here; a tensor is recognised by its type's module, so a
comparison never loads torch or TensorFlow into a kernel that did not have them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .text_rules import normalize_text

_MAX_DEPTH = 12
_REPR_LIMIT = 80


@dataclass(frozen=True)
class Difference:
    """The first place where two runs disagree."""

    where: str
    first: str
    second: str

    def __str__(self) -> str:
        return f"{self.where}: {self.first} != {self.second}"


def short_repr(value: object, limit: int = _REPR_LIMIT) -> str:
    try:
        text = repr(value)
    except Exception as error:  # noqa: BLE001 - a broken __repr__ must not break the report
        text = f"<{type(value).__name__}: repr failed: {error}>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def differing_excerpts(first: str, second: str, limit: int = _REPR_LIMIT) -> tuple[str, str]:
    """Both texts as :func:`short_repr` shows them, or, when that would cut them, an excerpt of each
    around their first differing character, so the two sides never read the same.

    ``…`` stands for what is left out on either side: ``…'27</td><td>0.183 s</td>'…``.
    """
    if len(repr(first)) <= limit and len(repr(second)) <= limit:
        return short_repr(first), short_repr(second)
    common = 0
    for left, right in zip(first, second, strict=False):
        if left != right:
            break
        common += 1
    window = limit - 4  # room for the quotes and the two marks
    start = max(0, common - window // 4)  # a quarter of the excerpt before the difference, for context

    def excerpt(text: str) -> str:
        piece = text[start : start + window]
        shown = " ".join(repr(piece).split())
        return ("…" if start > 0 else "") + shown + ("…" if start + window < len(text) else "")

    return excerpt(first), excerpt(second)


def first_difference(first: object, second: object, where: str = "value") -> Difference | None:
    """``None`` when ``first`` and ``second`` are exactly equal, else where they first differ.

    Arrays and tensors are compared elementwise and exactly (NaN equals NaN at the
    same position); containers and plain objects are compared member by member.
    """
    return _compare(first, second, where, 0, set())


def _compare(a: object, b: object, where: str, depth: int, seen: set[tuple[int, int]]) -> Difference | None:
    if a is b:
        return None
    if type(a) is not type(b):
        if _is_number(a) and _is_number(b) and not isinstance(a, bool) and not isinstance(b, bool):
            return None if _numbers_equal(a, b) else Difference(where, short_repr(a), short_repr(b))
        return Difference(where, f"{type(a).__name__} {short_repr(a)}", f"{type(b).__name__} {short_repr(b)}")
    if depth > _MAX_DEPTH:
        return None if _safe_repr_equal(a, b) else Difference(where, short_repr(a), short_repr(b))
    pair = (id(a), id(b))
    if pair in seen:
        return None
    seen.add(pair)

    if isinstance(a, float):
        return None if _numbers_equal(a, b) else Difference(where, repr(a), repr(b))  # type: ignore[arg-type]
    if isinstance(a, (str, bytes, int, bool, complex, type(None))):
        return None if a == b else Difference(where, short_repr(a), short_repr(b))
    kind = _array_kind(a)
    if kind is not None:
        return array_difference(_to_numpy(a, kind), _to_numpy(b, kind), where)
    if isinstance(a, dict):
        return _compare_mappings(a, b, where, depth, seen)  # type: ignore[arg-type]
    if isinstance(a, (list, tuple)):
        return _compare_sequences(a, b, where, depth, seen)  # type: ignore[arg-type]
    if isinstance(a, (set, frozenset)):
        if a == b:
            return None
        extra = sorted(map(short_repr, a ^ b))  # type: ignore[operator]
        return Difference(where, short_repr(a), f"{short_repr(b)} (differ in {', '.join(extra[:3])})")
    if _is_pandas(a):
        return _compare_pandas(a, b, where)
    if (type(a).__module__ or "").startswith("matplotlib."):
        # Artists hold caches keyed by id(); what matters is what they draw.
        return _compare_matplotlib(a, b, where)
    if _top_package(a) in _KERAS_PACKAGES:
        applies, found_view = _compare_keras(a, b, where, depth, seen)
        if applies:
            return found_view
    if hasattr(a, "bit_generator"):  # numpy Generator: equal when its stream state is equal
        generator_a: Any = a
        generator_b: Any = b
        state_a, state_b = generator_a.bit_generator.state, generator_b.bit_generator.state
        return _compare(state_a, state_b, f"{where}.bit_generator.state", depth + 1, seen)
    if callable(a) and hasattr(a, "__qualname__"):  # functions, classes: redefined each run
        return None if _qualified(a) == _qualified(b) else Difference(where, _qualified(a), _qualified(b))
    if type(a).__eq__ is not object.__eq__:
        try:
            equal = a == b
            if isinstance(equal, bool):
                return None if equal else Difference(where, short_repr(a), short_repr(b))
        except Exception:  # noqa: BLE001, S110 - fall through to a structural comparison
            pass
    members_a, members_b = _members(a), _members(b)
    if members_a is not None and members_b is not None:
        return _compare_mappings(members_a, members_b, where, depth, seen, attribute=True)
    return None if _safe_repr_equal(a, b) else Difference(where, short_repr(a), short_repr(b))


_KERAS_PACKAGES = frozenset({"keras", "tf_keras"})


def _top_package(value: object) -> str:
    return (type(value).__module__ or "").partition(".")[0]


def _compare_keras(
    a: Any, b: Any, where: str, depth: int, seen: set[tuple[int, int]]
) -> tuple[bool, Difference | None]:
    """Keras objects by what they hold, not by their members: (whether a rule applies, the difference).

    Keras names every layer, model and variable from a per-process counter (``dense``,
    ``dense_1``, …), so two runs in one kernel always differ in names: a model is compared
    by its weights, a ``fit`` history by its metrics, epochs and parameters.
    """
    if isinstance(getattr(a, "history", None), dict) and hasattr(a, "params"):
        view_a = {"history": a.history, "epoch": getattr(a, "epoch", None), "params": a.params}
        view_b = {name: getattr(b, name, None) for name in view_a}
        return True, _compare_mappings(view_a, view_b, where, depth, seen, attribute=True)
    if callable(getattr(a, "get_weights", None)) and callable(getattr(b, "get_weights", None)):
        try:
            weights_a, weights_b = list(a.get_weights()), list(b.get_weights())
        except Exception:  # noqa: BLE001 - an unbuilt layer: compare members instead
            return False, None
        return True, _compare_sequences(weights_a, weights_b, f"{where}.get_weights()", depth + 1, seen)
    return False, None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) or type(value).__module__ == "numpy" and hasattr(value, "dtype")


def _numbers_equal(a: Any, b: Any) -> bool:
    try:
        if a == b:
            return True
        return bool(math.isnan(a) and math.isnan(b))
    except (TypeError, ValueError, OverflowError):
        return False


def _qualified(value: Any) -> str:
    return f"{getattr(value, '__module__', '?')}.{value.__qualname__}"


def _safe_repr_equal(a: object, b: object) -> bool:
    return normalize_text(short_repr(a, 10_000)) == normalize_text(short_repr(b, 10_000))


def _members(value: object) -> dict[str, Any] | None:
    try:
        members = vars(value)
    except TypeError:
        slots = getattr(type(value), "__slots__", None)
        if not slots:
            return None
        names = [slots] if isinstance(slots, str) else list(slots)
        return {name: getattr(value, name) for name in names if hasattr(value, name)}
    return {k: v for k, v in members.items() if not k.startswith("__")}


def _compare_mappings(
    a: dict[Any, Any],
    b: dict[Any, Any],
    where: str,
    depth: int,
    seen: set[tuple[int, int]],
    attribute: bool = False,
) -> Difference | None:
    if a.keys() != b.keys():
        only_a = [short_repr(k) for k in a if k not in b]
        only_b = [short_repr(k) for k in b if k not in a]
        return Difference(
            f"{where} keys",
            "only " + ", ".join(only_a) if only_a else "no extra keys",
            "only " + ", ".join(only_b) if only_b else "no extra keys",
        )
    for key, value in a.items():
        inner = f"{where}.{key}" if attribute else f"{where}[{key!r}]"
        found = _compare(value, b[key], inner, depth + 1, seen)
        if found is not None:
            return found
    return None


def _compare_sequences(
    a: Any, b: Any, where: str, depth: int, seen: set[tuple[int, int]]
) -> Difference | None:
    if len(a) != len(b):
        return Difference(f"len({where})", str(len(a)), str(len(b)))
    for index, (left, right) in enumerate(zip(a, b, strict=False)):
        found = _compare(left, right, f"{where}[{index}]", depth + 1, seen)
        if found is not None:
            return found
    return None


# ------------------------------------------------------------------ arrays
def _array_kind(value: object) -> str | None:
    module = type(value).__module__ or ""
    if module == "numpy" and hasattr(value, "shape") and hasattr(value, "dtype"):
        return "numpy"
    if module.startswith("torch") and hasattr(value, "detach") and hasattr(value, "shape"):
        return "torch"
    tensorflow_like = module.startswith(("tensorflow", "tf_keras", "keras"))  # keras: its Variables
    if tensorflow_like and hasattr(value, "numpy") and hasattr(value, "shape"):
        return "tensorflow"
    if module.startswith("jax") and hasattr(value, "shape") and hasattr(value, "dtype"):
        return "jax"
    return None


def _to_numpy(value: Any, kind: str) -> Any:
    import numpy as np

    if kind == "torch":
        tensor = value.detach()
        if tensor.layout != _torch_strided(tensor):
            tensor = tensor.to_dense()
        tensor = tensor.cpu()
        if str(tensor.dtype) in ("torch.bfloat16",) or "float8" in str(tensor.dtype):
            tensor = tensor.float()  # numpy has no bfloat16: widening is exact
        return np.asarray(tensor.numpy())
    if kind == "tensorflow":
        return np.asarray(value.numpy())
    return np.asarray(value)


def _torch_strided(tensor: Any) -> Any:
    import torch

    return torch.strided


def array_difference(a: Any, b: Any, where: str) -> Difference | None:
    import numpy as np

    if a.dtype != b.dtype:
        return Difference(f"{where}.dtype", str(a.dtype), str(b.dtype))
    if a.shape != b.shape:
        return Difference(f"{where}.shape", str(a.shape), str(b.shape))
    if a.dtype.kind in "fc":
        unequal = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    elif a.dtype.kind == "O":
        for index in np.ndindex(a.shape):
            found = first_difference(a[index], b[index], f"{where}[{_index_text(index)}]")
            if found is not None:
                return found
        return None
    else:
        unequal = a != b
    if a.ndim == 0:
        return Difference(where, short_repr(a.item()), short_repr(b.item())) if bool(unequal) else None
    positions = np.argwhere(unequal)
    if positions.size == 0:
        return None
    index = tuple(int(i) for i in positions[0])
    count = len(positions)
    return Difference(
        f"{where}[{_index_text(index)}] (first of {count} differing element{'s' if count > 1 else ''})",
        short_repr(a[index].item()),
        short_repr(b[index].item()),
    )


def _index_text(index: tuple[int, ...]) -> str:
    return ", ".join(str(i) for i in index)


# -------------------------------------------------------------- matplotlib
def _compare_matplotlib(a: Any, b: Any, where: str) -> Difference | None:
    figure_a, figure_b = getattr(a, "figure", None), getattr(b, "figure", None)
    if hasattr(a, "savefig"):
        figure_a, figure_b = a, b
    if figure_a is None or figure_b is None or not hasattr(figure_a, "canvas"):
        return None if _safe_repr_equal(a, b) else Difference(where, short_repr(a), short_repr(b))
    return array_difference(_render(figure_a), _render(figure_b), f"{where} pixel")


def _render(figure: Any) -> Any:
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure) if not hasattr(figure.canvas, "buffer_rgba") else figure.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


# ------------------------------------------------------------------ pandas
def _is_pandas(value: object) -> bool:
    return (type(value).__module__ or "").startswith("pandas") and hasattr(value, "equals")


def _compare_pandas(a: Any, b: Any, where: str) -> Difference | None:
    if a.equals(b):
        return None
    if getattr(a, "shape", None) != getattr(b, "shape", None):
        return Difference(f"{where}.shape", str(a.shape), str(b.shape))
    if hasattr(a, "columns") and not a.columns.equals(b.columns):
        return Difference(f"{where}.columns", short_repr(list(a.columns)), short_repr(list(b.columns)))
    if not a.index.equals(b.index):
        return Difference(f"{where}.index", short_repr(list(a.index)), short_repr(list(b.index)))
    return array_difference(a.to_numpy(), b.to_numpy(), f"{where}.values") or Difference(
        where, "dtypes or values differ", ""
    )
