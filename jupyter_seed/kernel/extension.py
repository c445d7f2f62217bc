"""IPython extension entry points: load and unload are exact mirrors.

Load registers the ``%seed`` magics, one ``pre_run_cell`` callback and the
toolbar's comm target (:mod:`.comm`), and marks the seeder as driven by
this shell; unload removes exactly those, plus the import
hook and patches the seeder added while the extension was in use.
"""

from __future__ import annotations

from typing import Any

from ..seeding.seeder import Seeder, get_seeder
from .comm import FrontendComms
from . import banner_tip
from .magics import SeedMagics


class _Registration:
    def __init__(self, shell: Any, seeder: Seeder) -> None:
        self.shell = shell
        self.seeder = seeder
        self.magics = SeedMagics(shell, seeder)
        before_cell = seeder.before_cell

        def pre_run_cell(info: Any) -> None:
            before_cell(info.cell_id, info.raw_cell)

        self.pre_run_cell = pre_run_cell
        self.frontend_comms = FrontendComms(shell, seeder)

    def add(self) -> None:
        self.shell.register_magics(self.magics)
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.seeder.extension_loaded = True
        self.frontend_comms.add()
        banner_tip.guard.install()

    def remove(self) -> None:
        banner_tip.guard.uninstall()
        self.frontend_comms.remove()
        events = self.shell.events
        if self.pre_run_cell in events.callbacks["pre_run_cell"]:
            events.unregister("pre_run_cell", self.pre_run_cell)
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
