"""Which names each line of a code object reads and writes, from its bytecode (cached per code object).

A line's *loads* are the plain names it reads (``LOAD_FAST``, ``LOAD_NAME``, ``LOAD_GLOBAL``,
``LOAD_DEREF``): their values are fingerprinted before the line runs and again after it, so a
change made in place (``x.append(1)``, ``opt.step()``, ``rng.shuffle(x)``) shows. Its *stores*
are the names and attributes it assigns (``x = …``, ``self.w = …``). A label starting with
``g:`` is a module global (every name of a cell is one); a plain label is a local of its frame.
"""

from __future__ import annotations

import dis
from dataclasses import dataclass
from types import CodeType

CO_NEWLOCALS = 0x0002
_LOCAL_LOADS = frozenset({"LOAD_FAST", "LOAD_DEREF", "LOAD_CLASSDEREF", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR"})
_LOCAL_STORES = frozenset({"STORE_FAST", "STORE_DEREF"})


@dataclass(frozen=True)
class LineNames:
    loads: tuple[str, ...]
    stores: tuple[str, ...]
    """Labels: ``name``, ``g:name``, or ``base.attribute`` / ``g:base.attribute`` for an attribute."""


def _label(opname: str, name: str, module_level: bool) -> str | None:
    if opname in _LOCAL_LOADS or opname in _LOCAL_STORES:
        return name
    if opname in ("LOAD_GLOBAL", "STORE_GLOBAL"):
        return "g:" + name
    if opname in ("LOAD_NAME", "STORE_NAME"):
        return ("g:" if module_level else "") + name
    return None


def line_names(code: CodeType) -> dict[int, LineNames]:
    """Per line number: the names it loads and stores, in their first order, each once."""
    module_level = not code.co_flags & CO_NEWLOCALS
    loads: dict[int, dict[str, None]] = {}
    stores: dict[int, dict[str, None]] = {}
    line = code.co_firstlineno
    previous: dis.Instruction | None = None
    for instruction in dis.get_instructions(code):
        positions = getattr(instruction, "positions", None)
        start = positions.lineno if positions is not None else instruction.starts_line
        if start:
            line = start
        opname = instruction.opname
        name = instruction.argval if isinstance(instruction.argval, str) else None
        if name is not None and opname.startswith("LOAD"):
            label = _label(opname, name, module_level)
            if label is not None and not name.startswith("."):
                loads.setdefault(line, {})[label] = None
        elif name is not None and opname.startswith("STORE"):
            if opname == "STORE_ATTR":
                base = _label(previous.opname, str(previous.argval), module_level) if previous else None
                if base is not None:
                    stores.setdefault(line, {})[f"{base}.{name}"] = None
            else:
                label = _label(opname, name, module_level)
                if label is not None:
                    stores.setdefault(line, {})[label] = None
        previous = instruction
    return {
        number: LineNames(tuple(loads.get(number, {})), tuple(stores.get(number, {})))
        for number in set(loads) | set(stores)
    }


def display_label(label: str) -> str:
    return label[2:] if label.startswith("g:") else label
