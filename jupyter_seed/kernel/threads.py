"""Where the toolbar's requests run and where its state is read: where the cells run.

Two facts of ipykernel 7 shape this module:

* Comms over subshells. ipykernel's shell-channel thread sends a ``comm_msg`` to
  the subshell its comm last *published* on (``comm._reply_subshell_for``), not to
  the one the front end addressed. A push to every open comm, made while handling
  one front end's message, therefore points the other comms at that front end's
  subshell; once it is deleted (JupyterLab deletes a comm's subshell with the comm,
  and a restart forgets them all) each later message is dropped with "Unknown
  subshell_id". :func:`route_requests` gives our comms their own rule.
* Context-local state. torch's config modules (``torch._inductor.config``:
  ``deterministic``, ``fallback_random``) keep user overrides in ``ContextVar``s.
  ipykernel runs the main shell's messages, cells included, in one persistent
  ``Context``; a subshell thread, or a callback the main loop runs for another
  thread, has another one, where those overrides read as their defaults. So state
  is changed where the cells run and read there, or in a copy of the cells'
  context taken there (:class:`CellsContext`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import Context, ContextVar, copy_context
from typing import Any, TypeVar

T = TypeVar("T")

# True in the context the main shell's cells run in (and in the copies made of it).
_IN_CELLS: ContextVar[bool] = ContextVar("jupyter_seed_in_cells", default=False)


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class CellsContext:
    """The context the main shell's cells run in, as last seen there."""

    def __init__(self) -> None:
        self._snapshot: Context | None = None

    def capture(self) -> None:
        """Call where a cell runs (``%load_ext``, ``post_run_cell``): mark that context, keep a copy."""
        if not on_main_thread():
            return  # a cell on a subshell has its own context: the main shell's is what the toolbar shows
        if not _IN_CELLS.get():
            _IN_CELLS.set(True)
        self._snapshot = copy_context()

    def here(self) -> bool:
        """Whether this code runs in the cells' context (on the main thread)."""
        return on_main_thread() and _IN_CELLS.get()

    def read(self, reader: Callable[[], T]) -> T:
        """``reader()`` as a cell would see it, from any thread."""
        if self.here():
            self.capture()  # the latest values, for readers on other threads
            return reader()
        snapshot = self._snapshot
        if snapshot is None:
            return reader()  # never seen a cell (not in ipykernel's main shell): read here
        # A copy per read: a Context cannot be entered by two threads at once.
        return snapshot.copy().run(reader)


def _live_subshells(kernel: Any) -> Callable[[], list[str]] | None:
    if not getattr(kernel, "_supports_kernel_subshells", False):
        return None
    manager = getattr(getattr(kernel, "shell_channel_thread", None), "manager", None)
    return getattr(manager, "list_subshell", None)


def route_requests(opened: Any, kernel: Any, cell_running: Callable[[], bool]) -> None:
    """Route ``opened``'s incoming messages: never to a subshell that is gone.

    With no cell running a request goes to the main shell, so it is applied at once
    where the cells run. While one runs it goes where the front end sent it (a
    subshell answers "pending" at once), or to the main shell, which is always
    there, when that subshell is gone. Kernels without subshells are left alone.
    """
    live_subshells = _live_subshells(kernel)
    if live_subshells is None or not hasattr(opened, "_reply_subshell_for"):
        return

    def reply_subshell_for(data: object, addressed: str | None) -> str | None:
        if addressed is None or not cell_running():
            return None
        try:
            return addressed if addressed in live_subshells() else None
        except Exception:  # noqa: BLE001 - runs on ipykernel's shell-channel thread: never raise there
            return None

    opened._reply_subshell_for = reply_subshell_for
