"""No toolbar request is lost, and the toolbar shows what the cells see (issue 25, items 1 and 2).

Real ipykernel 7 with kernel subshells (JupyterLab 4.4's ``commsOverSubshells``):
a subshell that is gone (a closed comm's, or one a restart forgot) must not swallow
requests, and torch Inductor's context-local config is read and changed where the
cells run. The in-process tests drive :class:`FrontendComms` with a recording comm.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from test_frontend_comm import FakeComm, WireKernel, _idle_for

from jupyter_seed.kernel.comm import FrontendComms


@pytest.fixture
def wire() -> Iterator[WireKernel]:
    kernel = WireKernel()
    try:
        yield kernel
    finally:
        kernel.shutdown()


def create_subshell(wire: WireKernel) -> str:
    wire.client.control_channel.send(wire.session.msg("create_subshell_request", {}))
    reply = wire.client.get_control_msg(timeout=30)
    assert reply["content"].get("status") == "ok", f"kernel subshells unavailable: {reply['content']}"
    return str(reply["content"]["subshell_id"])


def delete_subshell(wire: WireKernel, subshell_id: str) -> None:
    wire.client.control_channel.send(wire.session.msg("delete_subshell_request", {"subshell_id": subshell_id}))
    assert wire.client.get_control_msg(timeout=30)["content"]["status"] == "ok"


def open_comm_on(wire: WireKernel, subshell_id: str | None) -> str:
    wire.open_comm(subshell_id)
    assert wire.comm_id is not None
    return wire.comm_id


def answer_to(wire: WireKernel, comm_id: str, request_id: str, timeout: float = 10) -> dict[str, Any]:
    """The comm message that answers ``request_id`` (a state naming it, or an error)."""
    wire.comm_id = comm_id

    def answers(message: dict[str, Any]) -> bool:
        if not wire.is_ours(message, ("comm_msg",)):
            return False
        data = message["content"]["data"]
        return request_id in data.get("answered", []) or data.get("id") == request_id

    return wire.collect(answers, timeout)[-1]["content"]["data"]


@pytest.mark.kernel
def test_a_deleted_subshell_swallows_no_later_click(wire: WireKernel) -> None:
    # Two comms on two subshells, as after a reopen in JupyterLab 4.4. The push that
    # answers a click on the first is sent to both; ipykernel then routes the second
    # comm's messages to the first one's subshell, which goes with its comm.
    wire.run("%load_ext jupyter_seed")
    first_subshell, second_subshell = create_subshell(wire), create_subshell(wire)
    first = open_comm_on(wire, first_subshell)
    second = open_comm_on(wire, second_subshell)
    wire.comm_id = first
    wire.request({"protocol": 1, "type": "set_seed", "seed": 3, "id": "a-1"}, subshell_id=first_subshell)
    assert answer_to(wire, first, "a-1")["state"]["seed"] == 3
    wire.send_shell("comm_close", {"comm_id": first, "data": {}}, first_subshell)
    delete_subshell(wire, first_subshell)
    for click in range(10):
        wire.comm_id = second
        per_cell = "same" if click % 2 == 0 else "off"
        request = {"protocol": 1, "type": "set_per_cell", "mode": per_cell, "id": f"b-{click}"}
        wire.request(request, subshell_id=second_subshell)
        answer = answer_to(wire, second, f"b-{click}")
        assert answer["type"] == "state" and answer["state"]["per_cell"] == per_cell, answer


@pytest.mark.kernel
def test_a_request_addressed_to_a_forgotten_subshell_is_answered(wire: WireKernel) -> None:
    # After a restart the kernel knows no subshell; a front end may still name one.
    wire.run("%load_ext jupyter_seed")
    comm_id = open_comm_on(wire, None)
    stale = str(uuid.uuid4())
    wire.request({"protocol": 1, "type": "set_seed", "seed": 5, "id": "s-1"}, subshell_id=stale)
    assert answer_to(wire, comm_id, "s-1")["state"]["seed"] == 5
    # While a cell runs it waits for the cell (the main shell is always there), then is answered.
    cell = wire.execute("import time; time.sleep(1.0)")
    time.sleep(0.3)
    wire.request({"protocol": 1, "type": "set_seed", "seed": 6, "id": "s-2"}, subshell_id=stale)
    answer = answer_to(wire, comm_id, "s-2")
    assert answer["state"]["seed"] == 6 and answer["pending"] == []
    assert any(_idle_for(m, cell) for m in wire.iopub), "answered only after the cell"


INDUCTOR_FLAGS = ("inductor.deterministic", "inductor.fallback_random")


def torch_flags(state: dict[str, Any]) -> tuple[object, ...]:
    (torch,) = [source for source in state["sources"] if source["name"] == "torch"]
    return tuple(torch["determinism"][flag] for flag in INDUCTOR_FLAGS)


CELL_SEES = "import torch._inductor.config as c; (bool(c.deterministic), bool(c.fallback_random))"


@pytest.mark.kernel
def test_the_toolbar_changes_and_shows_inductor_flags_as_the_cells_see_them(wire: WireKernel) -> None:
    # torch._inductor.config keeps user overrides in ContextVars: per thread, per context.
    wire.run("%load_ext jupyter_seed")
    wire.run("import torch, torch._inductor.config")
    subshell = create_subshell(wire)
    comm_id = open_comm_on(wire, subshell)
    wire.request({"protocol": 1, "type": "set_deterministic", "mode": "strict", "id": "d-1"}, subshell)
    answer = answer_to(wire, comm_id, "d-1")
    assert answer["state"]["deterministic"] == "strict"
    assert wire.value(CELL_SEES) == "(True, True)"
    assert torch_flags(answer["state"]) == (True, True)
    # Read on the subshell while a cell runs on the main thread: still the cells' values.
    cell = wire.execute("import time; time.sleep(1.5)")
    time.sleep(0.5)
    wire.request({"protocol": 1, "type": "get_state", "id": "g-1"}, subshell)
    during = answer_to(wire, comm_id, "g-1", timeout=1.0)
    assert torch_flags(during["state"]) == (True, True)
    wire.collect(lambda m: _idle_for(m, cell))
    wire.client.get_shell_msg(timeout=30)
    # A cell changes one itself: the toolbar's next read says so.
    wire.run("torch._inductor.config.fallback_random = False")
    wire.request({"protocol": 1, "type": "get_state", "id": "g-2"}, subshell)
    assert torch_flags(answer_to(wire, comm_id, "g-2")["state"]) == (True, False)


@pytest.mark.kernel
def test_a_helper_thread_reads_the_flags_a_cell_sees() -> None:
    from kernel_client import Kernel

    kernel = Kernel()
    try:
        kernel.execute("%load_ext jupyter_seed")
        kernel.execute("import torch\n%seed 1 --deterministic strict -q")
        reads = kernel.value(
            "import threading, torch._inductor.config as c\n"
            "from jupyter_seed.kernel.extension import registration_of\n"
            "comms = registration_of(get_ipython()).frontend_comms\n"
            "def flags(state):\n"
            "    (t,) = [s for s in state['sources'] if s['name'] == 'torch']\n"
            "    return (t['determinism']['inductor.deterministic'], t['determinism']['inductor.fallback_random'])\n"
            "helper = []\n"
            "thread = threading.Thread(target=lambda: helper.append(flags(comms._read_state())))\n"
            "thread.start(); thread.join()\n"
            "(helper[0], flags(comms._read_state()), (bool(c.deterministic), bool(c.fallback_random)))\n"
        )
        assert reads == "((True, True), (True, True), (True, True))"
    finally:
        kernel.shutdown()


# -------------------------------------------------------------- in-process


@pytest.fixture
def comms(shell: Any) -> FrontendComms:
    from jupyter_seed.kernel.extension import registration_of

    return registration_of(shell).frontend_comms


def test_unload_answers_every_queued_request(shell: Any, comms: FrontendComms, seeder: Any) -> None:
    front = FakeComm()
    comms.accept(front, {"protocol": 1, "type": "get_state"})
    for n in range(3):
        worker = threading.Thread(
            target=front.receive, args=({"protocol": 1, "type": "set_seed", "seed": n, "id": f"u-{n}"},)
        )
        worker.start()
        worker.join()
    assert front.states[-1]["pending"]
    shell.run_line_magic("unload_ext", "jupyter_seed")
    assert sorted(error["id"] for error in front.errors) == ["u-0", "u-1", "u-2"]
    assert all("unloaded" in error["message"] for error in front.errors)
    assert front.closed


class BrokenComm(FakeComm):
    """A comm whose front end went away mid-queue: sending to it fails."""

    def send(self, data: dict[str, Any]) -> None:
        raise OSError("socket closed")


def test_one_failing_request_does_not_drop_the_rest_of_the_queue(comms: FrontendComms, seeder: Any) -> None:
    broken, front = BrokenComm(), FakeComm()
    comms.accept(front, {"protocol": 1, "type": "get_state"})
    comms.accept(broken, {"protocol": 1, "type": "get_state"})  # its answer already fails: forgotten
    assert broken not in comms.open_comms
    with comms._lock:
        comms._comms.append(broken)  # as if it failed only now, with requests of both in the queue
        comms._pending.append(({"type": "set_seed", "seed": 8, "id": "f-1"}, broken))
        comms._pending.append(({"type": "set_seed", "seed": 9, "id": "f-2"}, front))
    comms.apply_pending()
    assert seeder.seed == 9
    assert front.states[-1]["answered"] == ["f-1", "f-2"] and front.states[-1]["pending"] == []
    assert broken not in comms.open_comms


def test_a_request_that_fails_to_be_handled_is_answered_with_its_id(
    comms: FrontendComms, seeder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    front = FakeComm()
    comms.accept(front, {"protocol": 1, "type": "get_state"})

    def failing_handle(sender: Any, data: object) -> None:
        raise RuntimeError("state failed")

    monkeypatch.setattr(comms, "_handle", failing_handle)
    front.receive({"protocol": 1, "type": "set_seed", "seed": 4, "id": "h-1"})
    (error,) = front.errors
    assert error["id"] == "h-1" and error["request"] == "set_seed" and "state failed" in error["message"]
