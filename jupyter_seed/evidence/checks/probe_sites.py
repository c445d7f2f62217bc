"""Whose code made a probed call: a notebook cell, the user's own module, or a library.

User code is the cells plus every module that is neither the standard library nor an
installed package: a helper module beside the notebook (``utils.py``, ``data.py``) is
where real projects keep their code, so an unseeded call made there is the user's. A
module counts as installed when its file lies under the interpreter's prefix or base
prefix, a ``sysconfig`` path or a site-packages folder; jupyter_seed itself is never
the user's. Classifications are cached per file name, so a probe on a hot path (a
clock read in a loop) costs a dictionary lookup per frame.
"""

from __future__ import annotations

import os
import re
import site
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Literal, Protocol

CodeKind = Literal["cell", "user", "library"]

CELL_FILE = re.compile(r"ipykernel_\d+[/\\]\d+\.py$|^<ipython-input-")
"""How ipykernel (a temp file per cell) and plain IPython name the code of a cell."""

PASSTHROUGH = frozenset({"random", "uuid", "secrets", "os", "datetime"})
"""Standard-library layers between the user's call and the probed one: the kind names the outermost."""

_OWN_MODULES = "jupyter_seed.evidence.checks.probe"
"""The probes' own modules (``probes``, ``probe_sites``, ``probe_clocks``): never a layer to name."""


def _library_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(path for path in sysconfig.get_paths().values() if path)
    try:
        roots.update(site.getsitepackages())
    except AttributeError:  # an old virtualenv's site module
        pass
    roots.add(site.getusersitepackages())
    roots.add(str(Path(__file__).resolve().parents[2]))  # jupyter_seed itself, installed or a checkout
    resolved = {os.path.realpath(root) for root in roots if root}
    return tuple(sorted({root.rstrip(os.sep) + os.sep for root in resolved if root != os.sep}))


@dataclass(frozen=True)
class Site:
    """Where a probed call came from: the cell line, and the user module's frame when it went through one."""

    layer: str
    """The outermost standard-library function between the user's code and the probe (``uuid.uuid4()``)."""
    line: int | None
    """The line of the cell that led to the call (None: it was not reached from a cell)."""
    module: str | None = None
    module_file: str | None = None
    module_line: int | None = None
    function: str | None = None
    cell_file: str | None = field(default=None, compare=False)
    """The file the cell line's code was compiled to: the cell that defined a function called from a later one."""

    def fields(self) -> dict[str, object]:
        found: dict[str, object] = {"line": self.line}
        if self.module is not None:
            found.update(
                module=self.module,
                module_file=self.module_file,
                module_line=self.module_line,
                function=self.function,
            )
        return found


class SiteFinder:
    """Classifies code by file name (cached) and walks a stack to the user's call site."""

    def __init__(self) -> None:
        self._roots = _library_roots()
        self._kinds: dict[str, CodeKind] = {}

    def kind(self, filename: str) -> CodeKind:
        found = self._kinds.get(filename)
        if found is None:
            found = self._kinds[filename] = self._classify(filename)
        return found

    def _classify(self, filename: str) -> CodeKind:
        if CELL_FILE.search(filename):
            return "cell"
        if filename.startswith("<") or not filename:
            return "library"  # frozen importlib, exec'd strings: nothing to point the user at
        path = os.path.realpath(filename)
        return "library" if path.startswith(self._roots) else "user"

    def locate(self, frame: FrameType | None) -> Site | None:
        """The user's call site of a probed call whose caller is ``frame`` (None: a library's own call).

        The innermost frame that is not a standard-library layer decides: a cell or a user
        module makes it the user's call (the walk then goes on outwards for the cell line
        that led there); a library makes it the library's (message ids, temp file names).
        """
        layer = ""
        user: tuple[str, str, int, str] | None = None
        while frame is not None:
            code = frame.f_code
            kind = self.kind(code.co_filename)
            if kind == "cell":
                return self._site(layer, frame.f_lineno, user, code.co_filename)
            if user is None:
                module = str(frame.f_globals.get("__name__", ""))
                if module.startswith(_OWN_MODULES):
                    pass
                elif kind == "user":
                    user = (module, os.path.basename(code.co_filename), frame.f_lineno, code.co_name)
                elif module.partition(".")[0] in PASSTHROUGH:
                    layer = f"{module}.{code.co_name}()"
                else:
                    return None
            frame = frame.f_back
        return None if user is None else self._site(layer, None, user)

    @staticmethod
    def _site(
        layer: str, line: int | None, user: tuple[str, str, int, str] | None, cell_file: str | None = None
    ) -> Site:
        if user is None:
            return Site(layer, line, cell_file=cell_file)
        module, module_file, module_line, function = user
        return Site(layer, line, module, module_file, module_line, function, cell_file)


class ProbeHost(Protocol):
    """What the probe modules (clocks, frameworks, pools) use of :class:`.probes.Probes`.

    They take it through this Protocol, so they need not import the module that calls them.
    """

    @property
    def replace(self) -> bool: ...

    @property
    def one_worker(self) -> bool: ...

    @property
    def sites(self) -> SiteFinder: ...

    def record(self, kind: str, site: Site | None, *, value: Any = None, **details: Any) -> None: ...

    def patch(self, owner: Any, name: str, replacement: Any) -> None: ...

    def next_seed(self) -> int: ...

    def seeded_class(self, original: type, kind: str) -> type: ...

    def unseeded_call(self, original: Callable[..., Any], kind: str) -> Callable[..., Any]: ...
