"""``%%seed --check``: run a cell K times from the same seed and say whether it reproduces.

Each run's stdout, displayed data, new matplotlib figures, last expression value
and the values of the names the cell assigns are recorded and compared with the
first run exactly (:mod:`jupyter_seed.compare`). Before every run after the first,
the names the cell touches are put back as they were before the check (one
``copy.deepcopy`` of all of them together, so shared references stay shared): a
cell that builds on its own previous run (``x += 1``, training a model in place)
is then reported as *stateful*, and any difference left is real nondeterminism.
The namespace after the check is the last run's.
"""

from __future__ import annotations

import ast
import copy
import io
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from .cell_runner import run_cell_body
from .compare import (
    Difference,
    first_difference,
    mimebundle_difference,
    normalize_text,
    text_difference,
    volatile_rules,
)
from .core import Seeder

Verdict = Literal["reproducible", "stateful", "nondeterministic", "failed"]


# ------------------------------------------------------------------ analysis
@dataclass(frozen=True)
class CellNames:
    """Names a cell's top level assigns and reads, in execution order."""

    assigned: frozenset[str]
    read: frozenset[str]
    read_before_assigned: frozenset[str]
    calls: tuple[str, ...]
    """Dotted names of every call, with the number of positional/keyword arguments: ``time.time/0``."""


class _NameVisitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.assigned: set[str] = set()
        self.read: set[str] = set()
        self.read_first: set[str] = set()
        self.calls: list[str] = []

    def _load(self, name: str) -> None:
        self.read.add(name)
        if name not in self.assigned:
            self.read_first.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        else:
            self.assigned.add(node.id)

    # Evaluation order: the value before the targets.
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.assigned.add(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import  # type: ignore[assignment]

    def _definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        # The body runs later (when called), in its own scope: only what is evaluated now counts.
        for decorator in node.decorator_list:
            self.visit(decorator)
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                self.visit(base)
        else:
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self.visit(default)
            for inner in ast.walk(node):
                if isinstance(inner, ast.Global):
                    self.assigned.update(inner.names)
                elif isinstance(inner, ast.Call):
                    self._record_call(inner)
        self.assigned.add(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition  # type: ignore[assignment]

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) -> None:
        # Its loop variables are local to it (Python 3): reading them is not reading the namespace.
        local = {
            inner.id
            for generator in node.generators
            for inner in ast.walk(generator.target)
            if isinstance(inner, ast.Name)
        }
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load) and inner.id not in local:
                self._load(inner.id)
            elif isinstance(inner, ast.NamedExpr) and isinstance(inner.target, ast.Name):
                self.assigned.add(inner.target.id)  # a walrus inside binds in the enclosing scope
            elif isinstance(inner, ast.Call):
                self._record_call(inner)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for inner in ast.walk(node.body):
            if isinstance(inner, ast.Call):
                self._record_call(inner)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.assigned.add(node.name)
        for statement in node.body:
            self.visit(statement)

    def visit_Call(self, node: ast.Call) -> None:
        self._record_call(node)
        self.generic_visit(node)

    def _record_call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        if name:
            self.calls.append(f"{name}/{len(node.args) + len(node.keywords)}")


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # e.g. datetime.now().isoformat()
        inner = _dotted(node.func)
        return ".".join([inner or "?"] + list(reversed(parts)))
    return None


def analyze_cell(source: str) -> CellNames:
    """Parse plain Python (already through IPython's transforms) and list its names."""
    visitor = _NameVisitor()
    for statement in ast.parse(source).body:
        visitor.visit(statement)
    return CellNames(
        frozenset(visitor.assigned),
        frozenset(visitor.read),
        frozenset(visitor.read_first & visitor.assigned),
        tuple(visitor.calls),
    )


# Call-name suffix → why it makes a run differ. ``/0`` means called without arguments.
_VOLATILE_CALLS: tuple[tuple[str, str], ...] = (
    (
        "default_rng/0",
        (
            "numpy.random.default_rng() without a seed ignores %seed "
            "(use jupyter_seed.rng() or `%seed --patch-default-rng`)"
        ),
    ),
    ("RandomState/0", "numpy.random.RandomState() without a seed draws from OS entropy"),
    ("random.Random/0", "random.Random() without a seed draws from OS entropy"),
    ("SystemRandom", "random.SystemRandom draws from OS entropy and cannot be seeded"),
    ("time.time", "time.time() changes between runs"),
    ("time.time_ns", "time.time_ns() changes between runs"),
    ("perf_counter", "time.perf_counter() changes between runs"),
    ("monotonic", "time.monotonic() changes between runs"),
    ("now", "datetime.now() changes between runs"),
    ("utcnow", "datetime.utcnow() changes between runs"),
    ("today", "date.today() changes between runs"),
    ("os.urandom", "os.urandom() is OS entropy and cannot be seeded"),
    ("uuid1", "uuid.uuid1() embeds the time"),
    ("uuid4", "uuid.uuid4() is OS entropy and cannot be seeded"),
    ("secrets.", "the secrets module is OS entropy and cannot be seeded"),
    ("id/1", "id() is a memory address"),
)


def likely_causes(names: CellNames, *, patch_default_rng: bool, across_processes: bool = False) -> list[str]:
    """Why runs of a cell with these calls may differ; ``across_processes``: runs in separate kernels."""
    causes: list[str] = []
    for call in names.calls:
        bare = call.split("/")[0]
        for pattern, cause in _VOLATILE_CALLS:
            matches = (
                call.endswith(pattern)
                if "/" in pattern
                else (
                    bare == pattern
                    or bare.endswith("." + pattern)
                    or (pattern.endswith(".") and pattern in bare + ".")
                )
            )
            if pattern == "default_rng/0" and patch_default_rng:
                continue
            if matches and cause not in causes:
                causes.append(cause)
    if across_processes and "hash/1" in names.calls:
        causes.append("hash() of str/bytes changes between kernels unless PYTHONHASHSEED is set")
    return causes


def _framework_causes() -> list[str]:
    causes = []
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if not torch.are_deterministic_algorithms_enabled():
                causes.append("torch is loaded without deterministic algorithms (`%seed --deterministic`)")
        except Exception:  # noqa: BLE001, S110 - a half-imported torch
            pass
    if "tensorflow" in sys.modules:
        try:
            from tensorflow.python.framework import config as tf_config

            if not tf_config.is_op_determinism_enabled():
                causes.append("TensorFlow is loaded without op determinism (`%seed --deterministic`)")
        except Exception:  # noqa: BLE001, S110 - private API moved: no cause to name
            pass
    return causes


# ------------------------------------------------------------------ snapshot
def _is_restorable_kind(value: object) -> bool:
    # Modules, functions and classes are not state a cell run changes; copying them is pointless.
    return not isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type))


class NamespaceSnapshot:
    """The values of some names before the check, to put back before every further run."""

    def __init__(self, namespace: dict[str, Any], names: set[str]) -> None:
        self.absent = {name for name in names if name not in namespace}
        candidates = {
            n: namespace[n] for n in sorted(names - self.absent) if _is_restorable_kind(namespace[n])
        }
        self.saved: dict[str, Any] = {}
        self.unrestorable: dict[str, str] = {}
        try:
            self.saved = copy.deepcopy(candidates)
        except Exception:  # noqa: BLE001 - find which ones cannot be copied
            for name, value in candidates.items():
                try:
                    self.saved[name] = copy.deepcopy(value)
                except Exception as error:  # noqa: BLE001
                    self.unrestorable[name] = f"{type(error).__name__}: {error}"

    def restore(self, namespace: dict[str, Any]) -> None:
        namespace.update(copy.deepcopy(self.saved))  # a fresh copy, so the snapshot itself stays intact
        for name in self.absent:
            namespace.pop(name, None)


# ---------------------------------------------------------------- recording
@dataclass
class RunRecord:
    stdout: str = ""
    displayed: list[dict[str, Any]] = field(default_factory=list)
    figures: list[Any] = field(default_factory=list)
    value: Any = None
    names: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None

    @property
    def error_text(self) -> str | None:
        return None if self.error is None else f"{type(self.error).__name__}: {self.error}"


class _Tee(io.TextIOBase):
    def __init__(self, capture: io.StringIO, passthrough: Any | None) -> None:
        self.capture = capture
        self.passthrough = passthrough

    def write(self, text: str) -> int:
        self.capture.write(text)
        if self.passthrough is not None:
            self.passthrough.write(text)
        return len(text)

    def flush(self) -> None:
        if self.passthrough is not None:
            self.passthrough.flush()


@contextmanager
def capture_outputs(shell: Any, record: RunRecord, *, show: bool) -> Iterator[None]:
    """Record stdout and displayed data of one run; show them only when ``show``."""
    buffer = io.StringIO()
    original_stdout = sys.stdout
    publisher = getattr(shell, "display_pub", None)
    original_publish = getattr(publisher, "publish", None)

    def publish(data: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        record.displayed.append(dict(data))
        if show and original_publish is not None:
            original_publish(data, *args, **kwargs)

    patched_instance = publisher is not None and "publish" in vars(publisher)
    sys.stdout = _Tee(buffer, original_stdout if show else None)  # type: ignore[assignment]
    if publisher is not None:
        publisher.publish = publish
    try:
        yield
    finally:
        sys.stdout = original_stdout
        if publisher is not None:
            if patched_instance:
                publisher.publish = original_publish
            else:
                del publisher.publish  # back to the class's method
        record.stdout = buffer.getvalue()


def _figure_numbers() -> set[int]:
    pyplot = sys.modules.get("matplotlib.pyplot")
    return set(pyplot.get_fignums()) if pyplot is not None else set()


def _collect_figures(before: set[int], record: RunRecord, *, keep: bool) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    import numpy as np

    for number in sorted(set(pyplot.get_fignums()) - before):
        figure = pyplot.figure(number)
        try:
            figure.canvas.draw()
            record.figures.append(np.asarray(figure.canvas.buffer_rgba()).copy())
        except Exception as error:  # noqa: BLE001 - a figure that cannot render is recorded as such
            record.figures.append(f"<figure {number} failed to render: {error}>")
        if not keep:
            pyplot.close(figure)


# ------------------------------------------------------------------- report
@dataclass
class CellCheckReport:
    seed: int
    runs: int
    differences: list[tuple[int, Difference]]
    stateful: list[str]
    causes: list[str]
    unrestorable: dict[str, str]
    errors: list[str | None]
    compared_names: list[str]

    @property
    def verdict(self) -> Verdict:
        if all(self.errors) and len(set(self.errors)) == 1:
            return "failed"
        if self.differences:
            return "stateful" if self.stateful and self.unrestorable else "nondeterministic"
        return "stateful" if self.stateful else "reproducible"

    @property
    def ok(self) -> bool:
        return self.verdict == "reproducible"

    def __str__(self) -> str:
        what = "stdout, displays, figures, value" + (
            f" and {', '.join(self.compared_names)}" if self.compared_names else ""
        )
        verdict = self.verdict
        lines: list[str] = []
        if verdict == "reproducible":
            lines.append(f"Reproducible: {self.runs} runs under seed {self.seed} gave identical {what}.")
        elif verdict == "failed":
            lines.append(f"Every run under seed {self.seed} raised {self.errors[0]}.")
        elif verdict == "nondeterministic":
            lines.append(f"NOT reproducible: {self.runs} runs under seed {self.seed} differ.")
        else:
            lines.append(
                f"STATEFUL: the cell depends on its own previous run (seed {self.seed}, {self.runs} runs)."
            )
        if self.differences:
            by_run = dict(self.differences)
            for run in range(2, self.runs + 1):
                lines.append(f"  run {run} vs run 1: {by_run.get(run, 'identical')}")
        for note in self.stateful:
            lines.append(f"  stateful: {note}")
        if verdict == "stateful" and not self.differences:
            lines.append(
                "  The check restored those names before every run and the runs agree; "
                "running the cell again by hand will not repeat its result."
            )
        for name, error in self.unrestorable.items():
            lines.append(f"  could not snapshot {name!r} ({error}); it was not restored between runs")
        if self.differences and self.causes:
            lines.append("  likely cause" + ("s" if len(self.causes) > 1 else "") + ":")
            lines += [f"    - {cause}" for cause in self.causes]
        return "\n".join(lines)


# Only memory addresses: in one kernel a timestamp or duration that changes is the nondeterminism.
_ADDRESSES = volatile_rules()[:1]


def compare_runs(first: RunRecord, other: RunRecord) -> Difference | None:
    if first.error_text != other.error_text:
        return Difference("error", str(first.error_text), str(other.error_text))
    found = text_difference(
        normalize_text(first.stdout, _ADDRESSES), normalize_text(other.stdout, _ADDRESSES), "stdout"
    )
    if found is not None:
        return found
    if len(first.displayed) != len(other.displayed):
        return Difference("number of displays", str(len(first.displayed)), str(len(other.displayed)))
    for index, (a, b) in enumerate(zip(first.displayed, other.displayed), start=1):
        found = mimebundle_difference(a, b, f"display {index}", rules=_ADDRESSES)
        if found is not None:
            return found
    found = first_difference(first.figures, other.figures, "figures")
    if found is not None:
        return found
    found = first_difference(first.value, other.value, "value")
    if found is not None:
        return found
    for name in sorted(set(first.names) | set(other.names)):
        if name not in first.names or name not in other.names:
            return Difference(
                name,
                "assigned" if name in first.names else "not assigned",
                "assigned" if name in other.names else "not assigned",
            )
        found = first_difference(first.names[name], other.names[name], name)
        if found is not None:
            return found
    return None


# -------------------------------------------------------------------- check
def check_cell(
    shell: Any, seeder: Seeder, cell: str, seed: int, runs: int = 2
) -> tuple[CellCheckReport, RunRecord]:
    """Run ``cell`` ``runs`` times under ``seed``; return the report and the last run.

    The last run's outputs are shown as a normal run's would be; earlier runs are silent.
    """
    if runs < 2:
        raise ValueError(f"--runs must be at least 2, got {runs}")
    source = shell.transform_cell(cell)
    names = analyze_cell(source)  # SyntaxError here, before anything ran
    namespace = shell.user_ns
    snapshot = NamespaceSnapshot(namespace, set(names.assigned | names.read))
    read_only = {n for n in names.read - names.assigned if n in snapshot.saved}
    stateful = [
        f"reads {name!r} before assigning it"
        for name in sorted(names.read_before_assigned)
        if name in namespace
    ]
    records: list[RunRecord] = []
    for index in range(runs):
        last = index == runs - 1
        if index > 0:
            snapshot.restore(namespace)
        record = RunRecord()
        figures_before = _figure_numbers()
        with capture_outputs(shell, record, show=last):
            try:
                with seeder.seeded(seed):
                    record.value = run_cell_body(shell, cell)
            except Exception as error:  # noqa: BLE001 - recorded and compared like any output
                record.error = error
        _collect_figures(figures_before, record, keep=last)
        record.names = {
            n: namespace[n] for n in names.assigned if n in namespace and _is_restorable_kind(namespace[n])
        }
        if index == 0:
            for name in sorted(read_only):
                if (
                    name in namespace
                    and first_difference(snapshot.saved[name], namespace[name], name) is not None
                ):
                    stateful.append(f"changes {name!r} in place, which it also reads")
        records.append(record)

    differences = [
        (k + 1, d)
        for k, r in enumerate(records[1:], start=1)
        if (d := compare_runs(records[0], r)) is not None
    ]
    causes = likely_causes(names, patch_default_rng=seeder.patch_default_rng)
    if differences and not causes:
        causes = _framework_causes()
    report = CellCheckReport(
        seed=seed,
        runs=runs,
        differences=differences,
        stateful=stateful,
        causes=causes,
        unrestorable=snapshot.unrestorable,
        errors=[r.error_text for r in records],
        compared_names=sorted(records[-1].names),
    )
    return report, records[-1]
