"""Exact comparison of values and outputs from repeated runs, naming the first difference.

Pure logic, no IPython: the cell check compares Python objects (arrays, tensors,
containers, plain objects), the notebook check compares nbformat outputs. No
framework is imported here; a tensor is recognised by its type's module, so a
comparison never loads torch or TensorFlow into a kernel that did not have them.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from re import Pattern
from typing import Any

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
        return _compare_arrays(_to_numpy(a, kind), _to_numpy(b, kind), where)
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
    for index, (left, right) in enumerate(zip(a, b)):
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
    if module.startswith(("tensorflow", "tf_keras")) and hasattr(value, "numpy") and hasattr(value, "shape"):
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


def _compare_arrays(a: Any, b: Any, where: str) -> Difference | None:
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
    return _compare_arrays(_render(figure_a), _render(figure_b), f"{where} pixel")


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
    return _compare_arrays(a.to_numpy(), b.to_numpy(), f"{where}.values") or Difference(
        where, "dtypes or values differ", ""
    )


# --------------------------------------------------------- notebook outputs
VOLATILE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"0x[0-9a-fA-F]{4,}", "0x…"),
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", "<timestamp>"),
    (r"\b\d+(\.\d+)?\s?(ns|µs|us|ms|s|sec|secs|seconds|min)\b", "<duration>"),
)
"""Default normalisation of volatile text: memory addresses, ISO timestamps, durations.

Each rule is ``(regex, replacement)``; ``--ignore REGEX`` adds rules that replace
their match with ``<ignored>``.
"""


def volatile_rules(ignore: Iterable[str] = ()) -> list[tuple[Pattern[str], str]]:
    """Compile the default rules plus ``ignore``; a bad regex raises ``ValueError`` naming it."""
    rules = [(re.compile(pattern), replacement) for pattern, replacement in VOLATILE_PATTERNS]
    for pattern in ignore:
        try:
            rules.append((re.compile(pattern), "<ignored>"))
        except re.error as error:
            raise ValueError(f"--ignore {pattern!r} is not a valid regular expression: {error}") from None
    return rules


_DEFAULT_RULES: list[tuple[Pattern[str], str]] | None = None


def normalize_text(text: str, rules: list[tuple[Pattern[str], str]] | None = None) -> str:
    global _DEFAULT_RULES
    if rules is None:
        if _DEFAULT_RULES is None:
            _DEFAULT_RULES = volatile_rules()
        rules = _DEFAULT_RULES
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def text_difference(first: str, second: str, where: str) -> Difference | None:
    """The first differing line of two texts, numbered from 1."""
    if first == second:
        return None
    lines_a, lines_b = first.splitlines(), second.splitlines()
    for number, (left, right) in enumerate(zip(lines_a, lines_b), start=1):
        if left != right:
            return Difference(f"{where} line {number}", short_repr(left), short_repr(right))
    number = min(len(lines_a), len(lines_b)) + 1
    return Difference(
        f"{where} line {number}",
        short_repr(lines_a[number - 1]) if len(lines_a) >= number else "<end>",
        short_repr(lines_b[number - 1]) if len(lines_b) >= number else "<end>",
    )


IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def decode_image(data: str | bytes) -> Any:
    """Pixel data (a numpy array) of a base64 text or raw bytes image, via Pillow."""
    import io

    import numpy as np
    from PIL import Image

    raw = data if isinstance(data, bytes) else base64.b64decode("".join(data.split()))
    with Image.open(io.BytesIO(raw)) as image:
        return np.asarray(image.convert("RGBA"))


def image_difference(first: str | bytes, second: str | bytes, where: str) -> Difference | None:
    """Compare two encoded images by their decoded pixels, not their bytes (encoders embed metadata)."""
    if first == second:
        return None
    try:
        pixels_a, pixels_b = decode_image(first), decode_image(second)
    except Exception as error:  # noqa: BLE001 - undecodable: fall back to the encoded bytes
        return Difference(where, "image data differs", f"(not decodable: {error})")
    if pixels_a.shape != pixels_b.shape:
        return Difference(
            f"{where} size",
            f"{pixels_a.shape[1]}x{pixels_a.shape[0]}",
            f"{pixels_b.shape[1]}x{pixels_b.shape[0]}",
        )
    found = _compare_arrays(pixels_a, pixels_b, f"{where} pixel")
    return found


def mimebundle_difference(
    first: dict[str, Any],
    second: dict[str, Any],
    where: str,
    rules: list[tuple[Pattern[str], str]] | None = None,
) -> Difference | None:
    """Compare two display data bundles: images by pixels, text normalised, the rest exactly."""
    if first.keys() != second.keys():
        return Difference(f"{where} types", ", ".join(sorted(first)), ", ".join(sorted(second)))
    for mime in sorted(first):
        a, b = first[mime], second[mime]
        if mime in IMAGE_TYPES:
            found = image_difference(a, b, f"{where} {mime}")
        elif isinstance(a, (str, list)) and isinstance(b, (str, list)):
            text_a = a if isinstance(a, str) else "".join(a)
            text_b = b if isinstance(b, str) else "".join(b)
            found = text_difference(
                normalize_text(text_a, rules), normalize_text(text_b, rules), f"{where} {mime}"
            )
        else:
            found = first_difference(a, b, f"{where} {mime}")
        if found is not None:
            return found
    return None


def output_difference(
    first: dict[str, Any],
    second: dict[str, Any],
    where: str,
    rules: list[tuple[Pattern[str], str]] | None = None,
) -> Difference | None:
    """Compare two nbformat outputs; execution counts, metadata and display ids are ignored."""
    kind = first.get("output_type")
    if kind != second.get("output_type"):
        return Difference(f"{where} type", str(kind), str(second.get("output_type")))
    if kind == "stream":
        if first.get("name") != second.get("name"):
            return Difference(f"{where} stream", str(first.get("name")), str(second.get("name")))
        return text_difference(
            normalize_text(_joined(first.get("text", "")), rules),
            normalize_text(_joined(second.get("text", "")), rules),
            f"{where} {first.get('name')}",
        )
    if kind == "error":
        return text_difference(
            normalize_text(f"{first.get('ename')}: {first.get('evalue')}", rules),
            normalize_text(f"{second.get('ename')}: {second.get('evalue')}", rules),
            f"{where} error",
        )
    return mimebundle_difference(first.get("data", {}), second.get("data", {}), where, rules)


def outputs_difference(
    first: list[dict[str, Any]],
    second: list[dict[str, Any]],
    where: str,
    rules: list[tuple[Pattern[str], str]] | None = None,
) -> Difference | None:
    """Compare a cell's output lists; consecutive stream chunks are merged first (their split is timing)."""
    merged_a, merged_b = _merge_streams(first), _merge_streams(second)
    for index, (left, right) in enumerate(zip(merged_a, merged_b), start=1):
        found = output_difference(left, right, f"{where} output {index}", rules)
        if found is not None:
            return found
    if len(merged_a) != len(merged_b):
        return Difference(f"{where} number of outputs", str(len(merged_a)), str(len(merged_b)))
    return None


def _joined(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def _merge_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for output in outputs:
        if (
            output.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1].get("name") == output.get("name")
        ):
            merged[-1] = {**merged[-1], "text": _joined(merged[-1]["text"]) + _joined(output.get("text", ""))}
        else:
            merged.append(dict(output))
    return merged
