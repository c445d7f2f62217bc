"""Kernel side of the ``jupyter_seed`` comm: the toolbar's view of the seeder.

Protocol 1 (docs/ARCHITECTURE.md, "Comm protocol"). The front end opens a comm
to the target ``jupyter_seed``; the kernel answers with the full state, pushes it
again after every change (whoever made it) and applies the front end's requests.
Every request is checked against a fixed schema: seeds through
:func:`~jupyter_seed.seeding.seeds.validate_seed`, modes from fixed sets. Nothing in a
message is ever executed.

Threads: a comm handler may run on a subshell thread (JupyterLab's
``commsOverSubshells``) or on the main thread while an async cell awaits. RNG
state is only changed on the main thread with no cell running; otherwise the
request is queued, reported as ``pending`` and applied right after the running
cell (``post_run_cell``) or, when no cell runs, from the kernel's main event loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import comm

from ..seeding.seeder import DETERMINISTIC_MODES, PER_CELL_MODES, PROTOCOL_VERSION, Seeder
from ..seeding.seeds import validate_seed

COMM_TARGET = "jupyter_seed"

Request = dict[str, Any]

# Request type -> {field: validator}. Exactly these fields plus ``protocol`` and ``type``.
_FIELD_CHECKS: dict[str, Callable[[object], object]] = {
    "seed": validate_seed,
    "mode:per_cell": lambda value: _one_of(value, PER_CELL_MODES),
    "mode:deterministic": lambda value: _one_of(value, DETERMINISTIC_MODES),
}
REQUEST_FIELDS: dict[str, dict[str, str]] = {
    "get_state": {},
    "set_seed": {"seed": "seed"},
    "set_per_cell": {"mode": "mode:per_cell"},
    "set_deterministic": {"mode": "mode:deterministic"},
    "configure": {"seed": "seed", "per_cell": "mode:per_cell", "deterministic": "mode:deterministic"},
}


MAX_ID_LENGTH = 64


class ProtocolError(ValueError):
    """A message that does not fit the schema; ``request`` and ``request_id`` when known."""

    def __init__(self, message: str, request: str | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request = request
        self.request_id = request_id


def _one_of(value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _one_line(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())[:500]


def _is_request_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def parse_request(data: object) -> Request:
    """Validate a front-end message and return the request (without ``protocol``) or raise.

    Every request may carry an ``id`` (1-64 characters) that the kernel's answer names.
    """
    if not isinstance(data, dict):
        raise ProtocolError(f"message must be an object, got {type(data).__name__}")
    kind = data.get("type")
    request_name = kind if isinstance(kind, str) and kind in REQUEST_FIELDS else None
    request_id = data["id"] if _is_request_id(data.get("id")) else None
    protocol = data.get("protocol")
    if type(protocol) is not int or protocol != PROTOCOL_VERSION:
        raise ProtocolError(
            f"unsupported protocol {protocol!r}, expected {PROTOCOL_VERSION}", request_name, request_id
        )
    if request_name is None:
        raise ProtocolError(f"unknown request type {kind!r}", None, request_id)
    if "id" in data and request_id is None:
        raise ProtocolError(
            f"{request_name}: id must be a string of 1 to {MAX_ID_LENGTH} characters", request_name
        )
    fields = REQUEST_FIELDS[request_name]
    extra = sorted(set(data) - {"protocol", "type", "id"} - set(fields))
    if extra:
        raise ProtocolError(
            f"{request_name}: unexpected field(s) {', '.join(map(str, extra))}", request_name, request_id
        )
    request: Request = {"type": request_name}
    for name, check in fields.items():
        if name not in data:
            raise ProtocolError(f"{request_name}: missing field {name!r}", request_name, request_id)
        try:
            request[name] = _FIELD_CHECKS[check](data[name])
        except (TypeError, ValueError) as error:
            raise ProtocolError(f"{request_name}: {name}: {error}", request_name, request_id) from None
    if request_id is not None:
        request["id"] = request_id
    return request


class FrontendComms:
    """The comm target, the open comms and the queue of pending requests of one shell.

    ``add`` and ``remove`` are exact mirrors: target, seeder listener and
    ``post_run_cell``/``pre_run_cell`` callbacks.
    """

    def __init__(self, shell: Any, seeder: Seeder) -> None:
        self.shell = shell
        self.seeder = seeder
        kernel = getattr(shell, "kernel", None)
        self.log: logging.Logger = getattr(kernel, "log", None) or logging.getLogger(__name__)
        self._io_loop = getattr(kernel, "io_loop", None)
        self._lock = threading.Lock()
        self._comms: list[Any] = []
        self._pending: list[tuple[Request, Any]] = []
        self._answered: list[str] = []  # ids of requests applied since the last push
        self._cells_running = 0
        self._batch = False

    # ------------------------------------------------------------ lifecycle
    def add(self) -> None:
        comm.get_comm_manager().register_target(COMM_TARGET, self._on_open)
        self.seeder.add_listener(self.push)
        self.shell.events.register("pre_run_cell", self._on_pre_run_cell)
        self.shell.events.register("post_run_cell", self._on_post_run_cell)
        self._announce()

    def remove(self) -> None:
        events = self.shell.events
        for name, callback in (
            ("pre_run_cell", self._on_pre_run_cell),
            ("post_run_cell", self._on_post_run_cell),
        ):
            if callback in events.callbacks[name]:
                events.unregister(name, callback)
        self.seeder.remove_listener(self.push)
        manager = comm.get_comm_manager()
        if manager.targets.get(COMM_TARGET) == self._on_open:
            manager.unregister_target(COMM_TARGET, self._on_open)
        with self._lock:
            comms, self._comms = self._comms, []
            self._pending.clear()
        for opened in comms:
            opened.close()

    def _announce(self) -> None:
        """Tell front ends that are already watching this kernel that the target now exists.

        A short-lived kernel-opened comm: each front end answers by opening its own.
        """
        announcement = comm.create_comm(
            target_name=COMM_TARGET, data={"protocol": PROTOCOL_VERSION, "type": "hello"}
        )
        announcement.close()

    # --------------------------------------------------------------- comms
    def _on_open(self, opened: Any, message: dict[str, Any]) -> None:
        with self._lock:
            self._comms.append(opened)
        opened.on_msg(lambda msg: self._on_message(opened, msg))
        opened.on_close(lambda msg: self._forget(opened))
        # The open message may carry a request (the front end sends get_state).
        data = message.get("content", {}).get("data")
        if data:
            self._handle(opened, data)
        else:
            self._send_state(opened)

    def _forget(self, closed: Any) -> None:
        with self._lock:
            if closed in self._comms:
                self._comms.remove(closed)

    def _on_message(self, sender: Any, message: dict[str, Any]) -> None:
        self._handle(sender, message.get("content", {}).get("data"))

    def _handle(self, sender: Any, data: object) -> None:
        try:
            request = parse_request(data)
        except ProtocolError as error:
            self.log.warning("jupyter-seed: ignoring comm message that does not fit protocol 1: %s", error)
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
        return threading.current_thread() is threading.main_thread() and self._cells_running == 0

    def _on_pre_run_cell(self, info: Any) -> None:
        self._cells_running += 1

    def _on_post_run_cell(self, result: Any) -> None:
        self._cells_running = max(0, self._cells_running - 1)
        if threading.current_thread() is threading.main_thread():
            self.apply_pending()
        elif self._pending and self._io_loop is not None:
            # A cell that ran on a subshell finished: let the main thread apply the queue.
            self._io_loop.add_callback(self.apply_pending)

    def apply_pending(self) -> None:
        """Apply queued requests, in order, if this is the main thread and no cell runs."""
        if not self._can_apply_now():
            return
        with self._lock:
            queued, self._pending = self._pending, []
        if not queued:
            return
        self._batch = True
        try:
            for request, sender in queued:
                self._apply(request, sender, push=False)
        finally:
            self._batch = False
        self.push()

    def _apply(self, request: Request, sender: Any, *, push: bool = True) -> None:
        """Change the seeder (main thread only); errors go back to the sender, state unchanged."""
        kind = request["type"]
        batch, self._batch = self._batch, True
        try:
            if kind == "set_seed":
                self.seeder.seed_everything(request["seed"])
            elif kind == "set_per_cell":
                self.seeder.set_per_cell(request["mode"])
            elif kind == "set_deterministic":
                self.seeder.set_deterministic(request["mode"])
            elif kind == "configure":
                self.seeder.seed_everything(request["seed"], deterministic=request["deterministic"])
                self.seeder.set_per_cell(request["per_cell"])
        except Exception as error:  # noqa: BLE001 - any refusal is answered, never raised into the kernel
            self._send_error(sender, kind, request.get("id"), _one_line(error))
        else:
            if "id" in request:
                with self._lock:
                    self._answered.append(request["id"])
        finally:
            self._batch = batch
        if push:
            self.push()

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
                return self.seeder.state()
            except RuntimeError:
                continue
        return self.seeder.state()

    def push(self) -> None:
        """Send the full state to every open comm (the seeder's listener)."""
        if self._batch:
            return
        with self._lock:
            comms = list(self._comms)
            answered, self._answered = self._answered, []
        if not comms:
            return
        payload = self._payload(answered)
        for opened in comms:
            opened.send(payload)

    def _send_state(self, target: Any, request_id: str | None = None) -> None:
        target.send(self._payload([request_id] if request_id else []))

    def _send_error(self, target: Any, request: str | None, request_id: str | None, message: str) -> None:
        target.send(
            {
                "protocol": PROTOCOL_VERSION,
                "type": "error",
                "request": request,
                "id": request_id,
                "message": message,
            }
        )
