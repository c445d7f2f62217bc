"""A post-import hook: run a callback right after a watched top-level module loads.

Python has no post-import event, so a meta-path finder placed first answers for
the watched names only, finds the real spec through the other finders, and wraps
its loader for the one ``exec_module`` call. The wrapper puts the real loader
back on the module before executing it, so nothing downstream ever sees ours.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any


class _NotifyingLoader:
    def __init__(self, loader: Any, name: str, callback: Callable[[str], None]) -> None:
        self._loader = loader
        self._name = name
        self._callback = callback

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        if spec is not None:
            spec.loader = self._loader
        module.__loader__ = self._loader
        self._loader.exec_module(module)
        self._callback(self._name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._loader, attribute)


class PostImportFinder:
    """Meta-path finder that reports when one of ``watched`` finishes importing."""

    def __init__(self, watched: Sequence[str], callback: Callable[[str], None]) -> None:
        self.watched = frozenset(watched)
        self._callback = callback
        self._searching: set[str] = set()

    @property
    def callback(self) -> Callable[[str], None]:
        """What runs after a watched import (read-only; a benchmark wraps it in a finder of its own)."""
        return self._callback

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname not in self.watched or fullname in self._searching:
            return None
        self._searching.add(fullname)
        try:
            spec = self._find_with_other_finders(fullname, path, target)
        finally:
            self._searching.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _NotifyingLoader(spec.loader, fullname, self._callback)  # type: ignore[assignment]
        return spec

    def _find_with_other_finders(self, fullname: str, path: Any, target: Any) -> ModuleSpec | None:
        for finder in list(sys.meta_path):
            if finder is self:
                continue
            find_spec = getattr(finder, "find_spec", None)
            if find_spec is None:
                continue
            spec = find_spec(fullname, path, target)
            if spec is not None:
                return spec  # type: ignore[no-any-return]
        return None

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        while self in sys.meta_path:
            sys.meta_path.remove(self)
