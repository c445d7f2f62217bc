"""The localizer's line tracer: runs inside a kernel and fingerprints what each line of user code touches.

User code is the notebook's cells (ipykernel compiles each to its own temp file,
``ipykernel_<PID>/<murmur2 of the cell>.py``, see ipykernel/compiler.py) and the modules under the
notebook's folder that are not installed packages; every other frame is library code and is not
traced (its calls cost one dictionary lookup). For each executed line the tracer records the
fingerprints (:mod:`.hashing`) of the names it reads, before and after it runs, and of the names
and attributes it assigns, what it printed (under the check's output rules) or displayed, the
value a function returns, and the framework ops it ran (:mod:`.op_recorders`), keyed by
``(file, line, how many times that line ran)``. Only the main thread is traced: its order of
events is the program's own.

The trace is JSON lines in a file per kernel, bounded: after :data:`DEFAULT_MAX_EVENTS` lines and
ops the tracer stops and writes where it was cut. Installed by the setup cell of a localizer run
only (:func:`.kernel_hooks.setup_code`), or around one run of a cell by ``%%seed --check --localize``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from ..probe_sites import SiteFinder
from .hashing import Hasher
from .lines import CO_NEWLOCALS, LineNames, line_names

DEFAULT_MAX_EVENTS = 200_000
"""Lines and ops recorded per kernel before the trace is cut (a few tens of MB at most)."""
MAX_OPS_PER_LINE = 512
_FLUSH_EVERY = 2000
_GENERATOR_FLAGS = 0x0020 | 0x0080 | 0x0200  # generator, coroutine, async generator: resumed, not called


@dataclass
class _Line:
    key: tuple[int, int, int]
    frame_number: int
    loads: tuple[str, ...]
    stores: tuple[str, ...]
    inputs: dict[str, tuple[str, list[int]]]
    parent: tuple[int, int, int] | None
    ops: list[list[Any]] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    displayed: list[str] = field(default_factory=list)


@dataclass
class _Frame:
    frame: FrameType
    number: int
    parent: tuple[int, int, int] | None
    line: _Line | None = None


class LineTracer:
    def __init__(self, path: str, root: str, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        self.path = path
        self.root = os.path.realpath(root)
        self.remaining = max_events
        self.max_events = max_events
        self.hasher = Hasher()
        self.cell = 0
        self.cut = False
        self.stack: list[_Frame] = []
        self.hashing = False
        """True while the tracer reads values: framework ops it runs then are not the user's."""
        self._sites = SiteFinder()
        self._codes: dict[CodeType, tuple[int, dict[int, LineNames]] | None] = {}
        self._files: dict[str, int] = {}
        self._runs: dict[tuple[int, int], int] = {}
        self._buffer: list[str] = []
        self._cell_files: dict[str, int] = {}
        self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open while the kernel traces
        self._restore: list[Any] = []
        self._stream: Any = None
        self.ops: Any = None

    # ------------------------------------------------------------ output
    def _emit(self, record: dict[str, Any]) -> None:
        self._buffer.append(json.dumps(record, separators=(",", ":")))
        if len(self._buffer) >= _FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self._buffer and not self._out.closed:
            self._out.write("\n".join(self._buffer) + "\n")
            self._out.flush()
        self._buffer.clear()

    def close(self) -> None:
        self.stop()
        self.flush()
        self._out.close()

    def _file_number(self, name: str) -> int:
        number = self._files.get(name)
        if number is None:
            number = self._files[name] = len(self._files)
            self._emit({"file": number, "name": name})
        return number

    # -------------------------------------------------------- start/stop
    def begin_cell(self, cell_id: str | None, cell_file: str | None) -> None:
        """A new cell starts: its number, id and (when known) the file its code is compiled to."""
        self.cell += 1
        if cell_file:
            self._cell_files[cell_file] = self.cell
        self._emit({"cell": self.cell, "id": cell_id})

    def start(self, shell: Any = None) -> None:
        if self.cut:
            return
        trap = getattr(shell, "display_trap", None)
        if trap is not None:
            # IPython sets sys.displayhook to this hook while a cell runs: the cell's shown value passes here.
            hook = trap.hook
            trap.hook = self._displayhook(hook)
            self._restore.append(lambda: setattr(trap, "hook", hook))
        sys.settrace(self._on_call)

    def stop(self) -> None:
        sys.settrace(None)
        for entry in reversed(self.stack):
            self._finish(entry, None, returned=False)
            entry.frame.f_trace = None
        self.stack.clear()
        for undo in reversed(self._restore):
            try:
                undo()
            except Exception:  # noqa: BLE001, S110 - a stream that went away: nothing left to undo
                pass
        self._restore.clear()
        self._stream = None
        self.flush()

    def _watch_stdout(self) -> None:
        """Count what the running line prints, wherever stdout points now (a capture, the kernel's stream)."""
        stream = sys.stdout
        if stream is self._stream:
            return
        self._stream = stream
        original = stream.write
        own = "write" in getattr(stream, "__dict__", {})
        tracer = self

        def write(text: Any) -> Any:
            if tracer.stack and tracer.stack[-1].line is not None and isinstance(text, str):
                tracer.stack[-1].line.printed.append(text)
            return original(text)

        try:
            stream.write = write  # type: ignore[method-assign]
        except (AttributeError, TypeError):
            return  # a stream that takes no attributes: its text is not part of the trace
        if own:
            self._restore.append(lambda: setattr(stream, "write", original))
        else:
            self._restore.append(lambda: vars(stream).pop("write", None))

    def _displayhook(self, hook: Any) -> Any:
        tracer = self

        def displayhook(value: Any) -> Any:
            if value is not None and tracer.stack and tracer.stack[-1].line is not None:
                tracer.stack[-1].line.displayed.append(tracer._digest(value) or "?")
            return hook(value)

        return displayhook

    def _cut_here(self, key: tuple[int, int, int]) -> None:
        self.cut = True
        self._emit({"cut": {"file": key[0], "line": key[1], "run": key[2], "cell": self.cell,
                            "events": self.max_events}})
        sys.settrace(None)
        for entry in self.stack:
            entry.frame.f_trace = None
        self.stack.clear()

    # ------------------------------------------------------------ values
    def _digest(self, value: Any) -> str | None:
        self.hashing = True
        try:
            return self.hasher.digest(value)
        finally:
            self.hashing = False

    def _read(self, frame: FrameType, labels: tuple[str, ...]) -> dict[str, tuple[str, list[int]]]:
        found: dict[str, tuple[str, list[int]]] = {}
        if not labels:
            return found
        self.hashing = True
        try:
            local = frame.f_locals
            for label in labels:
                value = _lookup(frame, local, label)
                if value is not _ABSENT:
                    fingerprint = self.hasher.fingerprint(value)
                    if fingerprint is not None:
                        found[label] = fingerprint
        finally:
            self.hashing = False
        return found

    # ------------------------------------------------------------- trace
    def _code_info(self, code: CodeType) -> tuple[int, dict[int, LineNames]] | None:
        if code in self._codes:
            return self._codes[code]
        name = code.co_filename
        info: tuple[int, dict[int, LineNames]] | None = None
        label = self._label(name)
        if label is not None:
            info = (self._file_number(label), line_names(code))
        self._codes[code] = info
        return info

    def _label(self, filename: str) -> str | None:
        if filename in self._cell_files:
            return f"cell:{self._cell_files[filename]}"
        kind = self._sites.kind(filename)
        if kind == "cell":
            self._cell_files[filename] = self.cell  # compiled while this cell runs: its code
            return f"cell:{self.cell}"
        if kind != "user":
            return None
        path = os.path.realpath(filename)
        if not path.startswith(self.root + os.sep):
            return None
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def _on_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event != "call" or self.cut:
            return None
        try:
            return self._call(frame)
        except Exception as error:  # noqa: BLE001 - the tracer must never break the user's code
            self._broken(error)
            return None

    def _broken(self, error: Exception) -> None:
        """An error inside the tracer: stop tracing, say so in the trace, let the cell run on."""
        self._emit({"error": f"{type(error).__name__}: {error}"[:300]})
        self.cut = True
        sys.settrace(None)
        for entry in self.stack:
            entry.frame.f_trace = None
        self.stack.clear()

    def _call(self, frame: FrameType) -> Any:
        info = self._code_info(frame.f_code)
        if info is None:
            return None
        parent = self.stack[-1].line.key if self.stack and self.stack[-1].line else None
        entry = _Frame(frame, id(frame), parent)
        self.stack.append(entry)
        code = frame.f_code
        if code.co_flags & CO_NEWLOCALS and not code.co_flags & _GENERATOR_FLAGS and code.co_argcount + code.co_kwonlyargcount:
            names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
            key = self._key(info[0], code.co_firstlineno)
            if key is not None:
                values = self._read(frame, tuple(names))
                self._emit({"k": key, "t": "call", "c": self.cell, "f": entry.number, "p": parent,
                            "fn": code.co_name, "out": {n: v[0] for n, v in values.items()},
                            "ids": {n: v[1] for n, v in values.items() if v[1]}})
        return self._on_event

    def _key(self, file_number: int, line: int) -> tuple[int, int, int] | None:
        self.remaining -= 1
        runs = self._runs[(file_number, line)] = self._runs.get((file_number, line), 0) + 1
        key = (file_number, line, runs)
        if self.remaining < 0:
            self._cut_here(key)
            return None
        return key

    def _on_event(self, frame: FrameType, event: str, arg: Any) -> Any:
        if self.cut or not self.stack:
            return None
        try:
            return self._event(frame, event, arg)
        except Exception as error:  # noqa: BLE001 - the tracer must never break the user's code
            self._broken(error)
            return None

    def _event(self, frame: FrameType, event: str, arg: Any) -> Any:
        entry = self.stack[-1]
        if entry.frame is not frame:
            return self._on_event  # a frame resumed out of order (a generator): not ours to record
        if event == "line":
            self._finish(entry, None, returned=False)
            info = self._codes.get(frame.f_code)
            if info is None:
                return None
            names = info[1].get(frame.f_lineno) or _NO_NAMES
            key = self._key(info[0], frame.f_lineno)
            if key is None:
                return None
            self._watch_stdout()
            entry.line = _Line(key, entry.number, names.loads, names.stores,
                               self._read(frame, names.loads), entry.parent)
        elif event == "return":
            self._finish(entry, arg, returned=True)
            self.stack.pop()
        return self._on_event

    def _finish(self, entry: _Frame, returned_value: Any, *, returned: bool) -> None:
        line = entry.line
        if line is None:
            return
        entry.line = None
        frame = entry.frame
        after = self._read(frame, line.loads + tuple(s for s in line.stores if s not in line.loads))
        out: dict[str, str] = {}
        ids: dict[str, list[int]] = {}
        for label, (digest, found_ids) in after.items():
            before = line.inputs.get(label)
            if label in line.stores or before is None or before[0] != digest:
                out[label] = digest
            if found_ids:
                ids[label] = found_ids
        for label, (_, found_ids) in line.inputs.items():
            if found_ids and label not in ids:
                ids[label] = found_ids
        # A cell's own code returns None; a value from module-level code is an eval'd last expression.
        if returned and (frame.f_code.co_flags & CO_NEWLOCALS or returned_value is not None):
            value = self._digest(returned_value)
            if value is not None:
                out["<return>"] = value
        if line.printed:
            out["<stdout>"] = self._digest(_shown_text("".join(line.printed))) or "?"
        if line.displayed:
            out["<display>"] = ",".join(line.displayed)
        record: dict[str, Any] = {"k": line.key, "c": self.cell, "f": line.frame_number, "p": line.parent,
                                  "m": str(frame.f_globals.get("__name__", "")),
                                  "in": {label: value[0] for label, value in line.inputs.items()}, "out": out}
        if ids:
            record["ids"] = ids
        if frame.f_code.co_name != "<module>":
            record["fn"] = frame.f_code.co_name
        if line.ops:
            record["ops"] = line.ops
        self._emit(record)

    # --------------------------------------------------------------- ops
    def add_op(self, name: str, inputs: list[str], output: str) -> None:
        """A framework op ran in the line now running (called by the recorders of :mod:`.op_recorders`)."""
        if self.cut or not self.stack or self.stack[-1].line is None:
            return
        line = self.stack[-1].line
        if len(line.ops) < MAX_OPS_PER_LINE:
            self.remaining -= 1
            line.ops.append([name, inputs, output])
            if self.remaining < 0:
                self._cut_here(line.key)


_ABSENT = object()
_NO_NAMES = LineNames((), ())


def _lookup(frame: FrameType, local: dict[str, Any], label: str) -> Any:
    scope_global = label.startswith("g:")
    path = (label[2:] if scope_global else label).split(".")
    namespace = frame.f_globals if scope_global else local
    value = namespace.get(path[0], _ABSENT)
    for attribute in path[1:]:
        if value is _ABSENT:
            break
        try:
            value = getattr(value, attribute)
        except Exception:  # noqa: BLE001 - a property that fails to read: nothing to record
            return _ABSENT
    return value


def _shown_text(text: str) -> str:
    """Printed text as the check compares it: rendered as a terminal shows it, volatile parts masked."""
    from ...outputs.text_rules import normalize_text, terminal_text

    return normalize_text(terminal_text(text))
