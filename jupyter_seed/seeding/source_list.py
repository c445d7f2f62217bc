"""The seeder's random sources in seeding order, each adapter imported with its library.

Built-in adapters start as :class:`~.sources.SourceDeclaration` lines and are
imported when their library is (or when everything is asked for), so loading the
extension in a NumPy-only kernel imports no torch or TensorFlow adapter code.
Third-party sources come from the entry-point group on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import cast

from .boundary import is_installed, is_loaded
from .sources import BUILTIN, RandomSource, SourceDeclaration, entry_point_sources
from .sources.base import library_installed

Slot = RandomSource | SourceDeclaration


class SourceList:
    """Ordered sources; :meth:`live_calls` is the per-cell hot path's list, cached."""

    def __init__(self, sources: list[RandomSource] | None = None) -> None:
        # Given sources (tests, tools) are used as they are: no declarations, no plugins.
        self._slots: list[Slot] = list(BUILTIN) if sources is None else cast("list[Slot]", sources)
        self._plugins_loaded = sources is not None
        self.plugin_errors: dict[str, str] = {}
        self._modules_seen = -1  # len(sys.modules) when the live lists were made
        self._slots_seen = -1
        self._live_calls: list[tuple[str, Callable[[int], None]]] = []
        self.live_names: tuple[str, ...] = ()
        self.waiting: tuple[str, ...] = ()

    def load_plugins(self) -> None:
        if not self._plugins_loaded:
            self._plugins_loaded = True
            plugins, self.plugin_errors = entry_point_sources({slot.name for slot in self._slots})
            self._slots.extend(plugins)

    def all(self) -> list[RandomSource]:
        """Every source, adapters imported: the list itself, so appending adds a source."""
        self.load_plugins()
        self._create(lambda declaration: True)
        return cast("list[RandomSource]", self._slots)

    def created(self) -> list[RandomSource]:
        """The sources whose adapters exist, without importing any other."""
        return [slot for slot in self._slots if not isinstance(slot, SourceDeclaration)]

    def loaded(self) -> list[RandomSource]:
        """The live sources (their library is imported), adapters created as needed."""
        self.load_plugins()
        self._create(lambda declaration: declaration.is_loaded())
        return [slot for slot in self.created() if is_loaded(slot)]

    def imported(self, module: str) -> list[RandomSource]:
        """The sources that ``module`` (just imported) makes live."""
        self.load_plugins()
        self._create(lambda declaration: declaration.module == module)
        self._modules_seen = -1
        return [source for source in self.created() if source.module == module]

    def watched_modules(self) -> set[str]:
        self.load_plugins()
        return {slot.module for slot in self._slots if slot.module}

    def live_calls(self) -> list[tuple[str, Callable[[int], None]]]:
        """``(name, seed)`` for every live source with global state.

        Which sources are live changes only when modules are imported or sources
        added, so the lists are keyed on those two sizes.
        """
        if len(sys.modules) != self._modules_seen or len(self._slots) != self._slots_seen:
            self._refresh_live()
        return self._live_calls

    def _refresh_live(self) -> None:
        live = [source for source in self.loaded() if source.has_global_state]
        self._live_calls = [(source.name, source.seed) for source in live]
        self.live_names = tuple(name for name, _ in self._live_calls)
        self.waiting = tuple(slot.name for slot in self._slots if self._waits_for_import(slot))
        self._modules_seen, self._slots_seen = len(sys.modules), len(self._slots)

    @staticmethod
    def _waits_for_import(slot: Slot) -> bool:
        if isinstance(slot, SourceDeclaration):
            return slot.has_global_state and not slot.is_loaded() and library_installed(slot.module)
        return slot.has_global_state and not is_loaded(slot) and is_installed(slot)

    def _create(self, wanted: Callable[[SourceDeclaration], bool]) -> None:
        for index, slot in enumerate(self._slots):
            if isinstance(slot, SourceDeclaration) and wanted(slot):
                self._slots[index] = slot.create()
