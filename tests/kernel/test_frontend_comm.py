"""The kernel side of the toolbar comm: schema, requests, pushes, threads, load/unload.

Unit tests drive :class:`FrontendComms` in an in-process IPython shell with a fake
comm; the ``kernel`` tests speak the wire protocol to a real ipykernel through
jupyter_client, including a request sent on a kernel subshell while a cell runs.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kernel_client import execute_content

from jupyter_seed.kernel.comm import COMM_TARGET, FrontendComms, ProtocolError, parse_request
from jupyter_seed.seeding.seeds import MAX_SEED

# ------------------------------------------------------------------- schema


@pytest.mark.parametrize(
    ("data", "request_"),
    [
        ({"protocol": 1, "type": "get_state"}, {"type": "get_state"}),
        ({"protocol": 1, "type": "set_seed", "seed": 0}, {"type": "set_seed", "seed": 0}),
        ({"protocol": 1, "type": "set_seed", "seed": MAX_SEED}, {"type": "set_seed", "seed": MAX_SEED}),
        (
            {"protocol": 1, "type": "set_per_cell", "mode": "derived"},
            {"type": "set_per_cell", "mode": "derived"},
        ),
        (
            {"protocol": 1, "type": "set_deterministic", "mode": "warn"},
            {"type": "set_deterministic", "mode": "warn"},
        ),
        (
            {"protocol": 1, "type": "configure", "seed": 5, "per_cell": "same", "deterministic": "off"},
            {"type": "configure", "seed": 5, "per_cell": "same", "deterministic": "off"},
        ),
        (
            {"protocol": 1, "type": "set_seed", "seed": 1, "id": "a-1"},
            {"type": "set_seed", "seed": 1, "id": "a-1"},
        ),
    ],
)
def test_parse_request_accepts_the_schema(data: dict[str, Any], request_: dict[str, Any]) -> None:
    assert parse_request(data) == request_


@pytest.mark.parametrize(
    "data",
    [
        None,
        "get_state",
        [1],
        {"type": "get_state"},
        {"protocol": 2, "type": "get_state"},
        {"protocol": True, "type": "get_state"},
        {"protocol": "1", "type": "get_state"},
        {"protocol": 1, "type": "exec", "code": "import os"},
        {"protocol": 1, "type": "__class__"},
        {"protocol": 1, "type": "get_state", "code": "1"},
        {"protocol": 1, "type": "set_seed"},
        {"protocol": 1, "type": "set_seed", "seed": -1},
        {"protocol": 1, "type": "set_seed", "seed": MAX_SEED + 1},
        {"protocol": 1, "type": "set_seed", "seed": 7.0},
        {"protocol": 1, "type": "set_seed", "seed": "7"},
        {"protocol": 1, "type": "set_seed", "seed": True},
        {"protocol": 1, "type": "set_seed", "seed": "__import__('os').system('true')"},
        {"protocol": 1, "type": "set_per_cell", "mode": True},
        {"protocol": 1, "type": "set_per_cell", "mode": "always"},
        {"protocol": 1, "type": "set_deterministic", "mode": "on"},
        {"protocol": 1, "type": "configure", "seed": 1, "per_cell": "same"},
        {"protocol": 1, "type": "set_seed", "seed": 1, "id": ""},
        {"protocol": 1, "type": "set_seed", "seed": 1, "id": 5},
        {"protocol": 1, "type": "set_seed", "seed": 1, "id": "x" * 65},
    ],
)
def test_parse_request_refuses_what_does_not_fit(data: object) -> None:
    with pytest.raises(ProtocolError):
        parse_request(data)


# -------------------------------------------------------------- in-process


class FakeComm:
    """Records what the kernel sends; ``receive`` plays a front-end message."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed = False
        self._on_msg: Any = None
        self._on_close: Any = None

    def on_msg(self, callback: Any) -> None:
        self._on_msg = callback

    def on_close(self, callback: Any) -> None:
        self._on_close = callback

    def send(self, data: dict[str, Any]) -> None:
        self.sent.append(data)

    def close(self) -> None:
        self.closed = True

    def receive(self, data: object) -> None:
        self._on_msg({"content": {"data": data}})

    @property
    def states(self) -> list[dict[str, Any]]:
        return [message for message in self.sent if message["type"] == "state"]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [message for message in self.sent if message["type"] == "error"]


@pytest.fixture
def comms(shell: Any) -> FrontendComms:
    from jupyter_seed.kernel.extension import registration_of

    return registration_of(shell).frontend_comms


@pytest.fixture
def front(comms: FrontendComms) -> FakeComm:
    fake = FakeComm()
    comms.accept(fake, {"protocol": 1, "type": "get_state"})
    return fake


def test_open_answers_with_the_full_state(front: FakeComm) -> None:
    (message,) = front.sent
    assert message["protocol"] == 1 and message["type"] == "state" and message["pending"] == []
    assert message["state"]["extension_loaded"] is True
    assert {s["name"] for s in message["state"]["sources"]} >= {"random", "numpy"}


def test_requests_change_the_seeder_and_push_the_state(front: FakeComm, seeder: Any) -> None:
    front.receive({"protocol": 1, "type": "set_seed", "seed": 7})
    assert seeder.seed == 7 and front.states[-1]["state"]["seed"] == 7
    front.receive({"protocol": 1, "type": "set_per_cell", "mode": "same"})
    assert seeder.per_cell == "same" and front.states[-1]["state"]["per_cell"] == "same"
    front.receive({"protocol": 1, "type": "set_deterministic", "mode": "warn"})
    assert front.states[-1]["state"]["deterministic"] == "warn"
    front.receive({"protocol": 1, "type": "get_state"})
    assert front.states[-1]["state"]["seed"] == 7
    assert front.errors == []


def test_answers_name_the_request_id(front: FakeComm, seeder: Any) -> None:
    front.receive({"protocol": 1, "type": "set_seed", "seed": 12, "id": "t-1"})
    assert front.states[-1]["answered"] == ["t-1"]
    front.receive({"protocol": 1, "type": "get_state", "id": "t-2"})
    assert front.states[-1]["answered"] == ["t-2"]
    front.receive({"protocol": 1, "type": "set_seed", "seed": -1, "id": "t-3"})
    assert front.errors[-1]["id"] == "t-3" and front.errors[-1]["request"] == "set_seed"
    seeder.seed_everything(13)  # a push nobody asked for answers nothing
    assert front.states[-1]["answered"] == []


def test_configure_is_one_push(front: FakeComm, seeder: Any) -> None:
    before = len(front.sent)
    front.receive(
        {"protocol": 1, "type": "configure", "seed": 11, "per_cell": "derived", "deterministic": "off"}
    )
    assert len(front.sent) == before + 1
    state = front.states[-1]["state"]
    assert (state["seed"], state["per_cell"], state["deterministic"]) == (11, "derived", "off")


def test_changes_made_elsewhere_are_pushed(shell: Any, front: FakeComm) -> None:
    shell.run_line_magic("seed", "42 -q")
    assert front.states[-1]["state"]["seed"] == 42
    import jupyter_seed

    jupyter_seed.seed_everything(43)
    assert front.states[-1]["state"]["seed"] == 43


@pytest.mark.parametrize(
    "data",
    [
        {"protocol": 1, "type": "set_seed", "seed": -5},
        {"protocol": 1, "type": "set_seed", "seed": "print('pwned')"},
        {"protocol": 9, "type": "set_seed", "seed": 5},
        {"protocol": 1, "type": "rm -rf"},
        "garbage",
    ],
)
def test_bad_messages_get_one_error_line_and_change_nothing(
    front: FakeComm, seeder: Any, data: object
) -> None:
    seeder.seed_everything(3)
    sent = len(front.sent)
    front.receive(data)
    (error,) = front.sent[sent:]
    assert error["type"] == "error" and error["protocol"] == 1
    assert "\n" not in error["message"]
    assert seeder.seed == 3


def test_semantic_refusal_is_an_error_reply(front: FakeComm, seeder: Any) -> None:
    front.receive({"protocol": 1, "type": "set_per_cell", "mode": "same"})  # no seed yet
    assert front.errors[-1]["request"] == "set_per_cell"
    assert seeder.per_cell == "off"


def test_request_from_another_thread_is_queued_and_applied_on_the_main_thread(
    comms: FrontendComms, front: FakeComm, seeder: Any
) -> None:
    seeder.seed_everything(1)
    request = {"protocol": 1, "type": "set_seed", "seed": 99, "id": "q-1"}
    worker = threading.Thread(target=front.receive, args=(request,))
    worker.start()
    worker.join()
    assert seeder.seed == 1  # not touched from the other thread
    assert front.states[-1]["pending"] == [{"type": "set_seed", "seed": 99, "id": "q-1"}]
    assert front.states[-1]["state"]["seed"] == 1 and front.states[-1]["answered"] == []
    comms.apply_pending()  # what the kernel's main loop runs next
    assert seeder.seed == 99
    assert front.states[-1]["pending"] == [] and front.states[-1]["answered"] == ["q-1"]
    assert front.states[-1]["state"]["seed"] == 99


def test_request_during_a_cell_waits_for_the_cell_to_finish(shell: Any, front: FakeComm, seeder: Any) -> None:
    seeder.seed_everything(1)
    shell.user_ns["front"] = front
    shell.run_cell(
        "import random\n"
        "random.seed(5)\n"
        "front.receive({'protocol': 1, 'type': 'set_seed', 'seed': 77})\n"
        "during = (random.random(), __import__('jupyter_seed').state()['seed'])\n"
    )
    random_after_seed5 = __import__("random").Random(5).random()
    assert shell.user_ns["during"] == (random_after_seed5, 1)
    assert any(m["pending"] == [{"type": "set_seed", "seed": 77}] for m in front.states)
    assert seeder.seed == 77  # applied by post_run_cell
    assert front.states[-1]["pending"] == []


def test_unload_closes_and_unregisters_exactly_what_load_registered(shell: Any, front: FakeComm) -> None:
    import comm

    from jupyter_seed.seeding.seeder import get_seeder

    manager = comm.get_comm_manager()
    registration_comms = front  # opened through the registered target
    assert COMM_TARGET in manager.targets
    listeners = list(get_seeder()._listeners)
    callbacks = {name: list(shell.events.callbacks[name]) for name in ("pre_run_cell", "post_run_cell")}
    shell.run_line_magic("unload_ext", "jupyter_seed")
    assert registration_comms.closed
    assert COMM_TARGET not in manager.targets
    assert len(get_seeder()._listeners) == len(listeners) - 1
    # The extension's count of running cells and the comm's queue runner; per-cell reseeding.
    assert len(shell.events.callbacks["post_run_cell"]) == len(callbacks["post_run_cell"]) - 2
    assert len(shell.events.callbacks["pre_run_cell"]) == len(callbacks["pre_run_cell"]) - 1
    shell.run_line_magic("load_ext", "jupyter_seed")
    assert COMM_TARGET in manager.targets
    # No comm open yet: only the extension's own callbacks, no seeder listener.
    assert len(get_seeder()._listeners) == len(listeners) - 1
    assert len(shell.events.callbacks["post_run_cell"]) == len(callbacks["post_run_cell"]) - 1
    assert len(shell.events.callbacks["pre_run_cell"]) == len(callbacks["pre_run_cell"])
    reopened = FakeComm()
    manager.targets[COMM_TARGET](reopened, {"content": {"data": {"protocol": 1, "type": "get_state"}}})
    assert reopened.states and len(get_seeder()._listeners) == len(listeners)
    assert {n: len(shell.events.callbacks[n]) for n in callbacks} == {n: len(v) for n, v in callbacks.items()}


# -------------------------------------------------------------- real kernel


class WireKernel:
    """A real ipykernel, spoken to at the message level (comms, subshells)."""

    def __init__(self) -> None:
        from kernel_client import Kernel

        self.kernel = Kernel()
        self.client = self.kernel.client
        self.session = self.client.session
        self.comm_id: str | None = None
        self.iopub: list[dict[str, Any]] = []

    def shutdown(self) -> None:
        self.kernel.shutdown()

    def send_shell(self, msg_type: str, content: dict[str, Any], subshell_id: str | None = None) -> str:
        message = self.session.msg(msg_type, content)
        if subshell_id is not None:
            message["header"]["subshell_id"] = subshell_id
        self.client.shell_channel.send(message)
        return message["header"]["msg_id"]

    def execute(self, code: str, *, silent: bool = False) -> str:
        return self.send_shell("execute_request", execute_content(code, silent=silent))

    def collect(self, until: Any, timeout: float = 30) -> list[dict[str, Any]]:
        """Read IOPub until ``until(message)`` is true; return everything read."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; saw {[m['msg_type'] for m in seen]}"
            try:
                message = self.client.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue  # the deadline assert above reports what was seen
            seen.append(message)
            self.iopub.append(message)
            if until(message):
                return seen

    def run(self, code: str) -> list[dict[str, Any]]:
        msg_id = self.execute(code)
        seen = self.collect(lambda m: _idle_for(m, msg_id))
        reply = self.client.get_shell_msg(timeout=30)
        assert reply["content"]["status"] == "ok", reply["content"]
        return seen

    def value(self, code: str) -> str:
        seen = self.run(code)
        results = [m["content"]["data"]["text/plain"] for m in seen if m["msg_type"] == "execute_result"]
        assert results, [m["msg_type"] for m in seen]
        return results[-1]

    def open_comm(self, subshell_id: str | None = None) -> list[dict[str, Any]]:
        self.comm_id = uuid.uuid4().hex
        self.send_shell(
            "comm_open",
            {
                "comm_id": self.comm_id,
                "target_name": COMM_TARGET,
                "data": {"protocol": 1, "type": "get_state"},
            },
            subshell_id,
        )
        return self.collect(lambda m: self.is_ours(m, ("comm_msg", "comm_close")))

    def request(self, data: object, subshell_id: str | None = None) -> None:
        self.send_shell("comm_msg", {"comm_id": self.comm_id, "data": data}, subshell_id)

    def next_comm_message(self, timeout: float = 30) -> dict[str, Any]:
        seen = self.collect(lambda m: self.is_ours(m, ("comm_msg",)), timeout)
        return seen[-1]["content"]["data"]

    def is_ours(self, message: dict[str, Any], kinds: tuple[str, ...]) -> bool:
        return message["msg_type"] in kinds and message["content"].get("comm_id") == self.comm_id


def _idle_for(message: dict[str, Any], msg_id: str) -> bool:
    return (
        message["msg_type"] == "status"
        and message["content"]["execution_state"] == "idle"
        and message["parent_header"].get("msg_id") == msg_id
    )


@pytest.fixture
def wire() -> Iterator[WireKernel]:
    kernel = WireKernel()
    try:
        yield kernel
    finally:
        kernel.shutdown()


@pytest.mark.kernel
def test_kernel_without_the_extension_closes_the_comm(wire: WireKernel) -> None:
    seen = wire.open_comm()
    assert seen[-1]["msg_type"] == "comm_close"


@pytest.mark.kernel
def test_load_opens_no_comm_and_the_comm_drives_the_kernel(wire: WireKernel) -> None:
    # A kernel-opened comm is what headless clients log as "No handler found".
    seen = wire.run("%load_ext jupyter_seed")
    assert not [m for m in seen if m["msg_type"] == "comm_open"]

    first = wire.open_comm()[-1]["content"]["data"]
    assert first["type"] == "state" and first["state"]["extension_loaded"] and first["state"]["seed"] is None

    wire.request({"protocol": 1, "type": "set_seed", "seed": 7})
    assert wire.next_comm_message()["state"]["seed"] == 7
    assert wire.value("import random; random.random()") == repr(__import__("random").Random(7).random())

    # A change made by the magic in a cell is pushed too.
    seen = wire.run("%seed 42 -q")
    pushed = [m["content"]["data"] for m in seen if wire.is_ours(m, ("comm_msg",))]
    assert pushed and pushed[-1]["state"]["seed"] == 42

    # Bad messages: one error line each, kernel and comm keep working.
    for bad in (
        {"protocol": 1, "type": "set_seed", "seed": "7; import os"},
        {"protocol": 1, "type": "nope"},
        17,
    ):
        wire.request(bad)
        reply = wire.next_comm_message()
        assert reply["type"] == "error" and "\n" not in reply["message"]
    wire.request({"protocol": 1, "type": "get_state"})
    assert wire.next_comm_message()["state"]["seed"] == 42
    assert wire.value("1 + 1") == "2"


@pytest.mark.kernel
def test_unload_closes_the_comm(wire: WireKernel) -> None:
    wire.run("%load_ext jupyter_seed")
    wire.open_comm()
    seen = wire.run("%unload_ext jupyter_seed")
    assert any(wire.is_ours(m, ("comm_close",)) for m in seen)
    assert wire.open_comm()[-1]["msg_type"] == "comm_close"


@pytest.mark.kernel
def test_request_during_an_async_cell_is_pending_until_the_cell_ends(wire: WireKernel) -> None:
    wire.run("%load_ext jupyter_seed")
    wire.open_comm()
    wire.run("%seed 1 -q")
    cell = wire.execute("import asyncio, random\nrandom.seed(5)\nawait asyncio.sleep(1.5)\nrandom.random()\n")
    time.sleep(0.5)  # the cell is awaiting: ipykernel dispatches comms concurrently
    wire.request({"protocol": 1, "type": "set_seed", "seed": 8})
    seen = wire.collect(lambda m: _idle_for(m, cell))
    wire.client.get_shell_msg(timeout=30)
    pushed = [m["content"]["data"] for m in seen if wire.is_ours(m, ("comm_msg",))]
    assert pushed[0]["pending"] == [{"type": "set_seed", "seed": 8}]
    assert pushed[0]["state"]["seed"] == 1
    assert pushed[-1]["pending"] == [] and pushed[-1]["state"]["seed"] == 8
    result = [m["content"]["data"]["text/plain"] for m in seen if m["msg_type"] == "execute_result"]
    assert result == [repr(__import__("random").Random(5).random())]  # RNG untouched under the cell
    assert wire.value("random.random()") == repr(__import__("random").Random(8).random())


@pytest.mark.kernel
def test_request_on_a_subshell_while_a_cell_runs_is_applied_after_it(wire: WireKernel) -> None:
    wire.client.control_channel.send(wire.session.msg("create_subshell_request", {}))
    reply = wire.client.get_control_msg(timeout=30)
    if reply["content"].get("status") != "ok":
        pytest.fail(f"kernel subshells unavailable: {reply['content']}")
    subshell_id = reply["content"]["subshell_id"]
    wire.run("%load_ext jupyter_seed")
    wire.run("%seed 1 -q")
    # ipykernel routes a comm's messages to the subshell it last answered on.
    wire.open_comm(subshell_id)
    cell = wire.execute("import time, random\nrandom.seed(5)\ntime.sleep(1.5)\nrandom.random()\n")
    time.sleep(0.5)
    wire.request({"protocol": 1, "type": "set_seed", "seed": 9}, subshell_id=subshell_id)
    pending = wire.next_comm_message(timeout=1.0)  # answered from the subshell while the cell sleeps
    assert pending["pending"] == [{"type": "set_seed", "seed": 9}] and pending["state"]["seed"] == 1
    seen = wire.collect(lambda m: _idle_for(m, cell))
    wire.client.get_shell_msg(timeout=30)
    result = [m["content"]["data"]["text/plain"] for m in seen if m["msg_type"] == "execute_result"]
    assert result == [repr(__import__("random").Random(5).random())]
    pushed = [m["content"]["data"] for m in seen if wire.is_ours(m, ("comm_msg",))]
    assert pushed[-1]["pending"] == [] and pushed[-1]["state"]["seed"] == 9
