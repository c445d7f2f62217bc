"""Where two traced runs part: start at what the differing cell shows, follow the difference back.

1. **Start**: the first line of the differing cell whose printed or displayed value differs
   between the runs (else its first line whose values differ).
2. **Follow back**: while the line's *inputs* already differ, go to the line that last wrote
   that input (by name in its scope, or through data it shares: ``opt.step()`` changes
   ``model``); an argument leads to the caller's line. While a line's inputs are equal but a
   function it called diverged, go into that call. Inside the line reached, the first framework op
   whose output differs: with equal inputs it is the origin (a nondeterministic kernel or a
   random op); with different inputs, go to the op that produced them, in any earlier line.
3. The line (and op) reached is where the runs part: :class:`Divergence`.

A difference that starts before the cell but never reaches it (``t0 = time.time()`` in cell 1)
is never blamed: only what flows into the cell is followed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .jax_ops import OP_PREFIX as JAX_OP_PREFIX
from .lines import display_label
from .tf_ops import FUNCTION_PREFIX as TF_FUNCTION_PREFIX
from .tf_ops import OP_PREFIX as TF_OP_PREFIX
from .trace_file import Trace, scope

MAX_STEPS = 100_000
_SHOWN = ("<stdout>", "<display>")
DETERMINISTIC_FIX = (
    "torch.use_deterministic_algorithms(True) (or `%seed N --deterministic strict`), or a deterministic "
    "alternative to the op; torch.use_deterministic_algorithms(True, warn_only=True) lists every offender"
)
JAX_DETERMINISTIC_FIX = (
    "XLA_FLAGS=--xla_gpu_deterministic_ops=true in the environment before JAX starts its backend "
    "(`%seed N --deterministic strict` before the first JAX computation sets it)"
)
JAX_CALLBACKS = frozenset({"jax:pure_callback", "jax:io_callback", "jax:debug_callback"})
"""Primitives that call back into Python: what differs is the Python code they run."""
TF_DETERMINISTIC_FIX = (
    "tf.config.experimental.enable_op_determinism() (or `%seed N --deterministic strict`), or a "
    "deterministic alternative to the op"
)


@dataclass(frozen=True)
class _Framework:
    """How a report names one framework's ops and what it proposes for them."""

    noun: str
    random_fix: str
    deterministic_fix: str
    function_prefix: str | None = None

    def is_function(self, op: str) -> bool:
        return bool(self.function_prefix) and op.startswith(str(self.function_prefix))

    def kind(self, op: str) -> str:
        if self.is_function(op):
            return "a tf.function, whose graph is not traced op by op: a random op inside it or a nondeterministic kernel"
        if op in JAX_CALLBACKS:
            return "a Python callback inside JAX"
        if op.startswith(("aten::", TF_OP_PREFIX, JAX_OP_PREFIX)):
            return "nondeterministic kernel"
        return "nondeterministic custom op"

    def fix_for(self, op: str) -> str:
        if op in JAX_CALLBACKS:
            return "seed what the callback draws from (`%seed N` seeds NumPy's and Python's global generators)"
        if self.is_function(op):
            return f"{self.random_fix}; if it still differs, {self.deterministic_fix}"
        return self.deterministic_fix


_TORCH = _Framework("torch op", "seed torch (`%seed N`) or pass a seeded torch.Generator", DETERMINISTIC_FIX)
_TENSORFLOW = _Framework(
    "TensorFlow op",
    "seed TensorFlow (`%seed N`), pass `seed=` to the op, or draw from tf.random.Generator.from_seed(...)",
    TF_DETERMINISTIC_FIX,
    function_prefix=TF_FUNCTION_PREFIX,
)


_JAX = _Framework("JAX op", "pass a key made from a fixed seed (`jupyter_seed.jax_key()`)", JAX_DETERMINISTIC_FIX)


def _framework(op: str | None) -> _Framework:
    if op is not None and op.startswith(JAX_OP_PREFIX):
        return _JAX
    return _TENSORFLOW if op is not None and op.startswith((TF_OP_PREFIX, TF_FUNCTION_PREFIX)) else _TORCH


@dataclass
class Divergence:
    file: str | None
    """``cell N`` (its place in the notebook) or a module's path relative to the notebook's folder."""
    line: int | None
    code: str | None
    what: str | None
    op: str | None
    inputs_equal: bool | None
    """For ``op``: whether its inputs were equal in both runs (None: no op)."""
    detail: str = ""
    fix: str | None = None
    trace_cut: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "line": self.line, "code": self.code, "what": self.what, "op": self.op,
            "inputs_equal": self.inputs_equal, "detail": self.detail, "fix": self.fix,
            "trace_cut": self.trace_cut,
        }

    def __str__(self) -> str:
        if self.file is None:
            return f"first divergence: {self.detail}"
        code = f" `{self.code}`" if self.code else ""
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"first divergence: {self.file}, line {self.line}{code} — {self.detail}{fix}"


Place = Callable[[str], str]
"""A trace's file label (``cell:3``, ``helpers/data.py``) → how the report names it (``cell 5``)."""
SourceLine = Callable[[str, int], str | None]


@dataclass
class _Found:
    position: int
    op: int | None = None
    inputs_equal: bool | None = None
    path: bool = False
    outside: str | None = None


class _Walk:
    def __init__(self, a: Trace, b: Trace) -> None:
        self.a, self.b = a, b

    def other(self, record: dict[str, Any]) -> dict[str, Any] | None:
        return self.b.get(record["key"])

    def differs(self, position: int) -> bool:
        record = self.a.records[position]
        other = self.other(record)
        return other is None or any(record.get(f) != other.get(f) for f in ("out", "in", "ops"))

    def first_op(self, record: dict[str, Any], other: dict[str, Any]) -> int | None:
        ours, theirs = record.get("ops", []), other.get("ops", [])
        for index, op in enumerate(ours):
            if index >= len(theirs) or theirs[index] != op:
                return index
        return len(ours) if len(theirs) > len(ours) and ours else None

    def wrote_differently(self, writer: int, reader: dict[str, Any], label: str) -> bool:
        record = self.a.records[writer]
        other = self.other(record)
        if other is None:
            return True
        shared = set(reader.get("ids", {}).get(label, ()))
        for written, digest in record["out"].items():
            same_name = scope(record, written) == scope(reader, label)
            if (same_name or shared & set(record.get("ids", {}).get(written, ()))) and other["out"].get(
                written
            ) != digest:
                return True
        return False

    def origin(self, start: int) -> _Found:
        position, focus, from_call = start, None, False
        seen: set[tuple[int, int | None, bool]] = set()
        for _ in range(MAX_STEPS):
            if (position, focus, from_call) in seen:
                break
            seen.add((position, focus, from_call))
            record = self.a.records[position]
            other = self.other(record)
            if other is None:
                return _Found(position, path=True)
            if focus is not None:
                step = self._op_step(position, focus, record, other)
                if isinstance(step, _Found):
                    return step
                if step is not None:
                    position, focus, from_call = step[0], step[1], False
                    continue
            labels = [k for k in record["in"] if other["in"].get(k) != record["in"][k]]
            writer = next(
                (
                    p
                    for label in labels
                    for p in self.a.writers(record, label, position)
                    if self.wrote_differently(p, record, label)
                ),
                None,
            )
            if writer is not None:
                position, focus, from_call = writer, None, False
                continue
            if labels:
                return _Found(position, focus, False if focus is not None else None, outside=labels[0])
            if record.get("t") == "call" and record["parent"] in self.a.positions:
                position, focus, from_call = self.a.positions[record["parent"]], None, True
                continue
            child = next((p for p in self.a.children(record["key"], position) if self.differs(p)), None)
            if child is not None and not from_call:
                position, focus, from_call = child, None, False
                continue
            first = self.first_op(record, other)
            if first is not None and focus is None:
                position, focus, from_call = position, first, False
                continue
            return _Found(position, focus, None if focus is None else False)
        return _Found(position, focus)

    def _op_step(
        self, position: int, index: int, record: dict[str, Any], other: dict[str, Any]
    ) -> _Found | tuple[int, int] | None:
        ours, theirs = record.get("ops", []), other.get("ops", [])
        if index >= len(ours) or index >= len(theirs) or ours[index][0] != theirs[index][0]:
            return _Found(position, min(index, len(ours) - 1) if ours else None, None, path=True)
        name, inputs, _ = ours[index]
        if inputs == theirs[index][1]:
            return _Found(position, index, True)
        for slot, digest in enumerate(inputs[1:], start=1):
            if slot < len(theirs[index][1]) and theirs[index][1][slot] == digest:
                continue
            for place in self.a.op_producers(digest, (position, index)):
                producer = self.a.records[place[0]]
                counterpart = self.other(producer)
                theirs_ops = counterpart.get("ops", []) if counterpart else []
                ours_ops = producer.get("ops", [])
                if counterpart is None or place[1] >= len(theirs_ops) or theirs_ops[place[1]][2] != ours_ops[place[1]][2]:
                    return place
        return None  # the differing input was not made by a traced op: look at the line's inputs


def first_divergence(
    a: Trace, b: Trace, target_cell: int | None, place: Place, source_line: SourceLine
) -> Divergence | None:
    """Where runs ``a`` and ``b`` part, as seen from the traced cell number ``target_cell``."""
    walk = _Walk(a, b)
    in_cell = [p for p, r in enumerate(a.records) if target_cell is None or r.get("c") == target_cell]
    shown = [
        p for p in in_cell
        if (o := walk.other(a.records[p])) is None
        or any(a.records[p]["out"].get(k) != o["out"].get(k) for k in _SHOWN)
    ]
    start = next(iter(shown), None)
    if start is None:
        start = next((p for p in in_cell if walk.differs(p)), None)
    cut = _cut_text(a, b, place)
    if start is None:
        if cut is None:
            return None
        return Divergence(None, None, None, None, None, None,
                          f"not found before the trace was cut ({cut})", None, cut)
    return _describe(walk, walk.origin(start), place, source_line, cut)


def _cut_text(a: Trace, b: Trace, place: Place) -> str | None:
    cut = a.cut or b.cut
    if cut is None:
        return None
    return f"at {place(cut['file'])}, line {cut['line']} (run {cut['run']}) after {cut['events']} events"


def _what(record: dict[str, Any], other: dict[str, Any] | None) -> str | None:
    function = record.get("fn", "the function")
    labels = [k for k, v in record["out"].items() if other is None or other["out"].get(k) != v]
    labels += [k for k in (other or {}).get("out", {}) if k not in record["out"]]
    if not labels:
        return None
    label = labels[0]
    if record.get("t") == "call":
        return f"argument {label} of {function}()"
    if label == "<return>":
        return f"the value {function}() returns"
    if label == "<stdout>":
        return "the printed text"
    if label == "<display>":
        return "the displayed value"
    return display_label(label)


def _describe(walk: _Walk, found: _Found, place: Place, source_line: SourceLine, cut: str | None) -> Divergence:
    record = walk.a.records[found.position]
    other = walk.other(record)
    label, line, _ = record["key"]
    where = place(label)
    code = source_line(label, line)
    what = _what(record, other)
    op = None
    if found.op is not None and record.get("ops"):
        op = record["ops"][found.op][0]
    fix = None
    random_op = op is not None and op.endswith("#random")
    if random_op and op is not None:
        op = op[: -len("#random")]
    framework = _framework(op)
    if found.path:
        detail = "the runs took different paths here" + (f" ({framework.noun} {op})" if op else "")
        what = what or "the path taken"
    elif op is not None and found.inputs_equal:
        if random_op:
            detail = f"{framework.noun} {op} (inputs equal, output differs: a random op whose generator differed)"
            fix = framework.random_fix
        else:
            detail = f"{framework.noun} {op} (inputs equal, output differs: {framework.kind(op)})"
            fix = framework.fix_for(op)
    elif op is not None:
        # the line's own inputs are equal and no traced op made the differing one: library code the
        # line called made it, where only framework ops are seen
        detail = (
            f"{framework.noun} {op} (its inputs already differ while the line's are equal: made inside "
            "this call by library code that is not traced, such as an unseeded Python or NumPy draw or a clock)"
        )
    elif found.outside is not None:
        detail = (f"`{display_label(found.outside)}` already differs here; where it was set was not traced")
        what = what or display_label(found.outside)
    else:
        named = f"`{what}`" if what else "its value"
        detail = f"{named} differs while the line's inputs are equal (an unseeded draw, a clock or timing)"
    return Divergence(where, line, code, what, op, found.inputs_equal if op else None, detail, fix, cut)
