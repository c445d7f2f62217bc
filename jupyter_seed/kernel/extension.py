"""IPython extension entry points: load and unload are exact mirrors.

Load registers the ``%seed`` magics, one ``pre_run_cell`` and one
``post_run_cell`` callback (per-cell reseeding, and the count of running cells
the toolbar's comm needs), the comm target, and marks the seeder as driven by
this shell. The comm module itself is imported when a front end first opens a
comm (:attr:`_Registration.frontend_comms`). Unload removes exactly those, the
comm's own callbacks if it was opened, plus the import hook and patches the
seeder added while the extension was in use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import comm

from ..seeding.seeder import Seeder, get_seeder
from . import COMM_TARGET, banner_tip
from .magics import SeedMagics
from .threads import CellsContext

if TYPE_CHECKING:
    from .comm import FrontendComms


class _Registration:
    def __init__(self, shell: Any, seeder: Seeder) -> None:
        self.shell = shell
        self.seeder = seeder
        self.magics = SeedMagics(shell, seeder)
        self.cells_running = 0
        self.cells_context = CellsContext()  # where the toolbar reads context-local state
        self._frontend_comms: FrontendComms | None = None
        before_cell = seeder.before_cell
        capture_cells_context = self.cells_context.capture

        def pre_run_cell(info: Any) -> None:
            self.cells_running += 1
            before_cell(info.cell_id, info.raw_cell)

        def post_run_cell(result: Any) -> None:
            self.cells_running = max(0, self.cells_running - 1)
            capture_cells_context()

        self.pre_run_cell = pre_run_cell
        self.post_run_cell = post_run_cell

    @property
    def frontend_comms(self) -> FrontendComms:
        """The toolbar's comms of this shell, created (and its module imported) on first use."""
        if self._frontend_comms is None:
            from .comm import FrontendComms

            self._frontend_comms = FrontendComms(
                self.shell, self.seeder, lambda: self.cells_running > 0, self.cells_context
            )
            self._frontend_comms.add()
        return self._frontend_comms

    def _on_comm_open(self, opened: Any, message: dict[str, Any]) -> None:
        self.frontend_comms.on_open(opened, message)

    def add(self) -> None:
        self.shell.register_magics(self.magics)
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)
        self.seeder.extension_loaded = True
        self.cells_context.capture()  # %load_ext runs in a cell
        comm.get_comm_manager().register_target(COMM_TARGET, self._on_comm_open)
        banner_tip.guard.install()

    def remove(self) -> None:
        banner_tip.guard.uninstall()
        comms = comm.get_comm_manager()
        if comms.targets.get(COMM_TARGET) == self._on_comm_open:
            comms.unregister_target(COMM_TARGET, self._on_comm_open)
        if self._frontend_comms is not None:
            self._frontend_comms.remove()
            self._frontend_comms = None
        events = self.shell.events
        for name, callback in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            if callback in events.callbacks[name]:
                events.unregister(name, callback)
        manager = self.shell.magics_manager
        for kind in ("line", "cell"):
            registered = manager.magics[kind].get("seed")
            if getattr(registered, "__self__", None) is self.magics:
                del manager.magics[kind]["seed"]
        if manager.registry.get(type(self.magics).__name__) is self.magics:
            del manager.registry[type(self.magics).__name__]
        self.seeder.extension_loaded = False
        self.seeder.detach()


_registrations: dict[int, _Registration] = {}


def registration_of(shell: Any) -> _Registration:
    """What ``%load_ext`` registered in ``shell`` (``KeyError`` when not loaded)."""
    return _registrations[id(shell)]


def load(shell: Any) -> None:
    if id(shell) in _registrations:
        return
    registration = _Registration(shell, get_seeder())
    registration.add()
    _registrations[id(shell)] = registration


def unload(shell: Any) -> None:
    registration = _registrations.pop(id(shell), None)
    if registration is not None:
        registration.remove()
