"""Kernel side of the ``jupyter_seed`` comm: the toolbar's view of the seeder.

The contract is ``protocol.schema.json`` (see :mod:`.protocol`). The front end
opens a comm to the target ``jupyter_seed``; the kernel answers with the full
state, pushes it again after every change (whoever made it) and applies the
front end's requests. Requests are data checked against the schema; fixes come
from a fixed set and run fixed code. Nothing in a message is ever executed.

The kernel never opens a comm itself: a headless client (nbclient, nbconvert,
papermill) would log that it has no handler for it. The front end notices
``%load_ext`` in the kernel's iopub traffic and opens the comm then; this module
is imported at that moment (the extension registers the target).

Threads: a comm handler may run on a subshell thread (JupyterLab's
``commsOverSubshells``) or on the main thread while an async cell awaits. State
is only changed on the main thread with no cell running, and read as the cells
see it (:mod:`.threads`: some of it is context-local); otherwise the request is
queued, reported as ``pending`` and applied right after the running cell
(``post_run_cell``) or, when no cell runs, from the kernel's main event loop.
Every request is answered: with the new state naming its id, or with an
``error`` naming it (refused, failed, or dropped by an unload).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..seeding.messages import describe_error, one_line
from ..seeding.seeder import Seeder
from .protocol import (
    COMM_TARGET,
    MAX_ERROR_LENGTH,
    PROTOCOL_VERSION,
    ProtocolError,
    Request,
    parse_request,
)
from .state_contract import build_state
from .threads import CellsContext, on_main_thread, route_requests

__all__ = ["COMM_TARGET", "FrontendComms", "ProtocolError", "parse_request"]


def apply_fix(seeder: Seeder, fix: str) -> None:
    """Apply one of the protocol's fixed fixes (``fixId`` in the schema)."""
    if fix == "deterministic":
        seeder.set_deterministic("strict")
    elif fix == "patch_default_rng":
        seeder.set_patch_default_rng(True)
    elif fix == "per_cell":
        seeder.set_per_cell("same")
    elif fix == "kernelspec":
        from .kernelspec import DEFAULT_NAME, install  # deferred: jupyter_client only when asked

        install(name=DEFAULT_NAME, hash_seed=0, seed=seeder.seed, user=True)
    else:
        raise ValueError(f"unknown fix {fix!r}")


class FrontendComms:
    """The open comms and the queue of pending requests of one shell.

    ``add`` and ``remove`` are exact mirrors: seeder listener and ``post_run_cell``
    callback. ``cell_running()`` says whether a cell runs now (the extension counts);
    ``cells`` is the cells' context the extension keeps (:class:`.threads.CellsContext`).
    """

    def __init__(
        self,
        shell: Any,
        seeder: Seeder,
        cell_running: Callable[[], bool],
        cells: CellsContext | None = None,
    ) -> None:
        self.shell = shell
        self.seeder = seeder
        self._cell_running = cell_running
        self.cells = cells if cells is not None else CellsContext()
        kernel = getattr(shell, "kernel", None)
        self._kernel = kernel
        self.log: logging.Logger = getattr(kernel, "log", None) or logging.getLogger(__name__)
        self._io_loop = getattr(kernel, "io_loop", None)
        self._lock = threading.Lock()
        self._comms: list[Any] = []
        self._pending: list[tuple[Request, Any]] = []
        self._answered: list[str] = []  # ids of requests applied since the last push
        self._held = 0  # > 0 while a batch of changes runs: one push at its end
        self._changed_while_held = False

    # ------------------------------------------------------------ lifecycle
    def add(self) -> None:
        self.seeder.add_listener(self.push)
        self.shell.events.register("post_run_cell", self._on_post_run_cell)

    def remove(self) -> None:
        events = self.shell.events
        if self._on_post_run_cell in events.callbacks["post_run_cell"]:
            events.unregister("post_run_cell", self._on_post_run_cell)
        self.seeder.remove_listener(self.push)
        with self._lock:
            comms, self._comms = self._comms, []
            queued, self._pending = self._pending, []
        for request, sender in queued:  # answered, never left pending
            if sender in comms:
                self._send_error(
                    sender, request["type"], request.get("id"), "not applied: jupyter-seed was unloaded first"
                )
        for opened in comms:
            opened.close()

    # --------------------------------------------------------------- comms
    @property
    def open_comms(self) -> tuple[Any, ...]:
        """The comms front ends have open now."""
        with self._lock:
            return tuple(self._comms)

    def on_open(self, opened: Any, message: dict[str, Any]) -> None:
        """The comm target's handler: the open message may carry a request (get_state)."""
        self.accept(opened, message.get("content", {}).get("data"))

    def accept(self, opened: Any, data: object = None) -> None:
        """Serve a comm a front end opened; ``data`` is the request its open message carried."""
        with self._lock:
            self._comms.append(opened)
        route_requests(opened, self._kernel, self._cell_running)
        opened.on_msg(lambda msg: self._on_message(opened, msg))
        opened.on_close(lambda msg: self._forget(opened))
        if data:
            self._handle(opened, data)
        else:
            self._send_state(opened)

    def _forget(self, closed: Any) -> None:
        with self._lock:
            if closed in self._comms:
                self._comms.remove(closed)

    def _on_message(self, sender: Any, message: dict[str, Any]) -> None:
        data = message.get("content", {}).get("data")
        try:
            self._handle(sender, data)
        except Exception as error:  # noqa: BLE001 - answered, never raised into ipykernel's comm handler
            self._answer_failure(sender, data, error)

    def _answer_failure(self, sender: Any, data: object, error: Exception) -> None:
        self.log.warning("jupyter-seed: a comm request failed: %s", describe_error(error))
        kind = data.get("type") if isinstance(data, dict) else None
        request_id = data.get("id") if isinstance(data, dict) else None
        self._send_error(
            sender,
            kind if isinstance(kind, str) else None,
            request_id if isinstance(request_id, str) else None,
            f"failed: {describe_error(error)}",
        )

    def _handle(self, sender: Any, data: object) -> None:
        try:
            request = parse_request(data)
        except ProtocolError as error:
            self.log.warning(
                "jupyter-seed: ignoring comm message that does not fit protocol %d: %s", PROTOCOL_VERSION, error
            )
            self._send_error(sender, error.request, error.request_id, str(error))
            return
        if request["type"] == "get_state":
            self._send_state(sender, request.get("id"))
            return
        if self._can_apply_now():
            self._apply(request, sender)
            return
        with self._lock:
            self._pending.append((request, sender))
        self.push()
        if self._io_loop is not None:
            self._io_loop.add_callback(self.apply_pending)

    # ---------------------------------------------------------- threading
    def _can_apply_now(self) -> bool:
        return on_main_thread() and not self._cell_running()

    def _on_post_run_cell(self, result: Any) -> None:
        # Registered after the extension's cell count: the cell counts as finished here.
        if on_main_thread():
            self.apply_pending()
        elif self._pending and self._io_loop is not None:
            # A cell that ran on a subshell finished: let the main thread apply the queue.
            self._io_loop.add_callback(self.apply_pending)

    @contextmanager
    def holding_pushes(self) -> Iterator[None]:
        """Changes inside the block push nothing; the caller pushes once after it."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    def apply_pending(self) -> None:
        """Apply queued requests, in order, if this is the main thread and no cell runs."""
        if not self._can_apply_now():
            return
        with self._lock:
            queued, self._pending = self._pending, []
        if not queued:
            return
        with self.holding_pushes():
            for request, sender in queued:
                try:
                    self._apply(request, sender)
                except Exception as error:  # noqa: BLE001 - one failure must not drop the rest of the queue
                    self._answer_failure(sender, request, error)
        self.push()

    def _apply(self, request: Request, sender: Any) -> None:
        """Change the seeder (main thread only); errors go back to the sender, state unchanged."""
        kind = request["type"]
        self._changed_while_held = False
        with self.holding_pushes():
            try:
                self._change(request)
            except Exception as error:  # noqa: BLE001 - any refusal is answered, never raised into the kernel
                self._send_error(sender, kind, request.get("id"), describe_error(error))
                if not self._changed_while_held:
                    return  # refused before any change: the error is the one answer
            else:
                if "id" in request:
                    with self._lock:
                        self._answered.append(request["id"])
        self.push()

    def _change(self, request: Request) -> None:
        kind = request["type"]
        if kind == "set_seed":
            self.seeder.seed_everything(request["seed"])
        elif kind == "set_per_cell":
            self.seeder.set_per_cell(request["mode"])
        elif kind == "set_deterministic":
            self.seeder.set_deterministic(request["mode"])
        elif kind == "configure":
            self.seeder.seed_everything(request["seed"], deterministic=request["deterministic"])
            self.seeder.set_per_cell(request["per_cell"])
        elif kind == "apply_fix":
            apply_fix(self.seeder, request["fix"])
        elif kind == "set_workers":
            self.seeder.set_workers(request["enabled"])

    # ------------------------------------------------------------- output
    def _payload(self, answered: list[str]) -> dict[str, Any]:
        with self._lock:
            pending = [dict(request) for request, _ in self._pending]
        return {
            "protocol": PROTOCOL_VERSION,
            "type": "state",
            "state": self._read_state(),
            "pending": pending,
            "answered": answered,
        }

    def _read_state(self) -> dict[str, Any]:
        # Off the main thread the seeder may be changing under us (a cell seeding):
        # reading is harmless, but a dict can change size mid-iteration, so retry.
        for _ in range(3):
            try:
                return self.cells.read(self._build_state)
            except RuntimeError:
                continue
        return self.cells.read(self._build_state)

    def _build_state(self) -> dict[str, Any]:
        return build_state(self.seeder)

    def push(self) -> None:
        """Send the full state to every open comm (the seeder's listener)."""
        if self._held:
            self._changed_while_held = True
            return
        with self._lock:
            comms = list(self._comms)
            answered, self._answered = self._answered, []
        if not comms:
            return
        payload = self._payload(answered)
        for opened in comms:
            self._deliver(opened, payload)

    def _deliver(self, target: Any, payload: dict[str, Any]) -> None:
        """Send to one comm; one whose front end is gone is forgotten, the others still get theirs."""
        try:
            target.send(payload)
        except Exception as error:  # noqa: BLE001 - a dead comm must not stop the answers to the live ones
            self.log.warning("jupyter-seed: dropping a comm that failed to send: %s", describe_error(error))
            self._forget(target)

    def _send_state(self, target: Any, request_id: str | None = None) -> None:
        try:
            payload = self._payload([request_id] if request_id else [])
        except Exception as error:  # noqa: BLE001 - a broken source must not turn the open into a close
            self._send_error(target, "get_state", request_id, f"state failed: {describe_error(error)}")
            return
        self._deliver(target, payload)

    def _send_error(self, target: Any, request: str | None, request_id: str | None, message: str) -> None:
        self._deliver(
            target,
            {
                "protocol": PROTOCOL_VERSION,
                "type": "error",
                "request": request,
                "id": request_id,
                "message": one_line(message, MAX_ERROR_LENGTH),
            },
        )
