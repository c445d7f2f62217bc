"""The run harness every evidence feature loops over.

One run of a cell: compile and execute its body in the user namespace (as
``%%time`` does, so no hook fires and no history is added), record its stdout,
displayed data, new matplotlib figures, last value and assigned names, and put
the names it touches back between runs. ``%%seed --check``, ``%%seed --sweep``
and the run-twice comparisons are loops over :func:`run_once`.
"""

from __future__ import annotations

import ast
import copy
import io
import re
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..seeding.messages import describe_error, short_text


def run_cell_body(shell: Any, cell: str) -> Any:
    """Execute ``cell`` in the user namespace and return its last expression's value."""
    source = shell.transform_cell(cell)
    filename = shell.compile.cache(source, shell.execution_count)
    tree = shell.compile.ast_parse(source, filename=filename)
    tree = shell.transform_ast(tree)
    last_expression = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last_expression = ast.Expression(tree.body.pop().value)
    namespace = shell.user_ns
    exec(shell.compile(tree, filename, "exec"), shell.user_global_ns, namespace)  # noqa: S102 - the user's own cell
    if last_expression is None:
        return None
    return eval(shell.compile(last_expression, filename, "eval"), shell.user_global_ns, namespace)


# ------------------------------------------------------------------ snapshot
# Names IPython puts in the user namespace: the shell's machinery and history, not the user's data.
SHELL_NAMES = frozenset(
    {"In", "Out", "get_ipython", "exit", "quit", "_", "__", "___", "_i", "_ii", "_iii", "_oh", "_ih", "_dh"}
)
_SHELL_NAME = re.compile(r"_i?\d+|_i+")

# Copying objects of these packages can import a framework the kernel does not use
# (a Keras 3 model on the torch backend imports TensorFlow when deep-copied).
_NOT_COPIED_PACKAGES = frozenset({"keras", "tf_keras"})
_MACHINERY_PACKAGES = frozenset({"IPython", "ipykernel", "traitlets", "zmq", "jupyter_client", "comm"})


def is_shell_name(name: str) -> bool:
    return name in SHELL_NAMES or _SHELL_NAME.fullmatch(name) is not None


def _top_package(value: object) -> str:
    return (type(value).__module__ or "").partition(".")[0]


def is_restorable_kind(value: object) -> bool:
    """Only the user's data is state a cell run changes; code and the shell's machinery are not."""
    if isinstance(
        value,
        (
            types.ModuleType,
            types.FunctionType,
            types.BuiltinFunctionType,
            types.MethodType,
            types.BuiltinMethodType,
            type,
        ),
    ):
        return False
    return _top_package(value) not in _MACHINERY_PACKAGES


def user_data_names(namespace: dict[str, Any], names: set[str]) -> set[str]:
    """The names among ``names`` that hold the user's data (absent names included)."""
    return {
        n
        for n in names
        if not is_shell_name(n) and (n not in namespace or is_restorable_kind(namespace[n]))
    }


class NamespaceSnapshot:
    """The values of some names before the check, to put back before every further run.

    Only the user's data is copied (see :func:`user_data_names`); an object that
    cannot be copied is listed in ``unrestorable`` with a one-line reason.
    """

    def __init__(self, namespace: dict[str, Any], names: set[str]) -> None:
        names = user_data_names(namespace, names)
        self.absent = {name for name in names if name not in namespace}
        self.saved: dict[str, Any] = {}
        self.unrestorable: dict[str, str] = {}
        candidates: dict[str, Any] = {}
        for name in sorted(names - self.absent):
            value = namespace[name]
            if _top_package(value) in _NOT_COPIED_PACKAGES:
                package = _top_package(value)
                self.unrestorable[name] = f"{package} objects are not copied (copying can import a framework)"
            else:
                candidates[name] = value
        try:
            self.saved = copy.deepcopy(candidates)
        except Exception:  # noqa: BLE001 - find which ones cannot be copied
            for name, value in candidates.items():
                try:
                    self.saved[name] = copy.deepcopy(value)
                except Exception as error:  # noqa: BLE001
                    self.unrestorable[name] = describe_error(error, 160)

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
        """The error in one line; every line of its message is kept, so different errors stay different."""
        if self.error is None:
            return None
        try:
            message = " ".join(str(self.error).split())
        except Exception:  # noqa: BLE001 - a broken __str__
            return describe_error(self.error)
        return short_text(f"{type(self.error).__name__}: {message}", 300)


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


def figure_numbers() -> set[int]:
    pyplot = sys.modules.get("matplotlib.pyplot")
    return set(pyplot.get_fignums()) if pyplot is not None else set()


def collect_figures(before: set[int], record: RunRecord, *, keep: bool, render: bool = True) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    import numpy as np

    for number in sorted(set(pyplot.get_fignums()) - before):
        figure = pyplot.figure(number)
        if not render:
            pyplot.close(figure)
            continue
        try:
            figure.canvas.draw()
            record.figures.append(np.asarray(figure.canvas.buffer_rgba()).copy())
        except Exception as error:  # noqa: BLE001 - a figure that cannot render is recorded as such
            record.figures.append(f"<figure {number} failed to render: {describe_error(error)}>")
        if not keep:
            pyplot.close(figure)


def run_once(
    shell: Any,
    cell: str,
    seeded: Any,
    *,
    assigned: frozenset[str] | set[str] = frozenset(),
    show: bool = False,
    keep_figures: bool = False,
    render_figures: bool = True,
) -> RunRecord:
    """Run ``cell`` once inside the context manager ``seeded`` and record what it did.

    ``assigned``: the names whose values after the run are recorded. New figures
    are rendered into the record unless ``render_figures`` is false, and closed
    unless ``keep_figures``. An exception in the cell is recorded, not raised.
    """
    record = RunRecord()
    figures_before = figure_numbers()
    with capture_outputs(shell, record, show=show):
        try:
            with seeded:
                record.value = run_cell_body(shell, cell)
        except Exception as error:  # noqa: BLE001 - recorded and compared like any output
            record.error = error
    collect_figures(figures_before, record, keep=keep_figures, render=render_figures)
    namespace = shell.user_ns
    record.names = {n: namespace[n] for n in user_data_names(namespace, set(assigned)) if n in namespace}
    return record
