"""The comm handler under hostile and odd input: one short line per refusal, state unchanged.

Runs the real handler (``FrontendComms`` of a loaded extension in an in-process
shell) with a fake comm; a few payloads also go through a real kernel in
tests/test_frontend_comm.py. Includes the hypothesis fuzz of comm payloads.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jupyter_seed
from jupyter_seed.kernel.comm import FrontendComms
from jupyter_seed.kernel.protocol import MAX_ERROR_LENGTH, schema_errors


class FakeComm:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.on_msg_callback: Any = None

    def on_msg(self, callback: Any) -> None:
        self.on_msg_callback = callback

    def on_close(self, callback: Any) -> None:
        pass

    def send(self, data: dict[str, Any]) -> None:
        json.dumps(data, allow_nan=False)  # the wire is strict JSON
        self.sent.append(data)

    def close(self) -> None:
        pass

    def receive(self, data: object) -> list[dict[str, Any]]:
        """Play one front-end message; return what the kernel answered to it."""
        before = len(self.sent)
        self.on_msg_callback({"content": {"data": data}})
        return self.sent[before:]


@pytest.fixture
def front(shell: Any) -> FakeComm:
    from jupyter_seed.kernel.extension import registration_of

    comms: FrontendComms = registration_of(shell).frontend_comms
    fake = FakeComm()
    comms.accept(fake)
    return fake


def _one_error(replies: list[dict[str, Any]]) -> str:
    (reply,) = replies
    assert reply["type"] == "error", reply
    assert schema_errors(reply, "errorMessage") == []
    message: str = reply["message"]
    assert "\n" not in message and "\r" not in message and len(message) <= MAX_ERROR_LENGTH
    return message


def test_a_field_name_with_a_newline_is_quoted_on_one_line(
    front: FakeComm, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    forged = "x\n[E 2026-01-01 00:00:00 ServerApp] forged log line"
    message = _one_error(front.receive({"protocol": 1, "type": "get_state", forged: 1}))
    assert repr(forged) in message
    records = [r.getMessage() for r in caplog.records if "jupyter-seed" in r.getMessage()]
    assert records and all("\n" not in r and len(r) <= MAX_ERROR_LENGTH + 100 for r in records)


@pytest.mark.parametrize("where", ["name", "value", "type", "id"])
def test_a_megabyte_is_never_echoed(front: FakeComm, caplog: pytest.LogCaptureFixture, where: str) -> None:
    caplog.set_level(logging.WARNING)
    big = "y" * 1_000_000
    data: dict[str, Any] = {"protocol": 1, "type": "set_seed", "seed": 1}
    if where == "name":
        data[big] = 1
    elif where == "value":
        data["seed"] = big
    else:
        data[where] = big
    before = jupyter_seed.state()
    message = _one_error(front.receive(data))
    assert "characters" in message or where == "id"
    assert all(len(r.getMessage()) <= MAX_ERROR_LENGTH + 100 for r in caplog.records)
    assert jupyter_seed.state() == before


def test_fixes_are_data_from_a_fixed_set(front: FakeComm, seeder: Any) -> None:
    seeder.seed_everything(5)
    (state,) = front.receive({"protocol": 1, "type": "apply_fix", "fix": "deterministic", "id": "f-1"})
    assert state["answered"] == ["f-1"] and state["state"]["deterministic"] == "strict"
    assert "deterministic_off" not in {risk["id"] for risk in state["state"]["risks"]}
    (state,) = front.receive({"protocol": 1, "type": "apply_fix", "fix": "patch_default_rng"})
    assert state["state"]["patch_default_rng"] is True
    (state,) = front.receive({"protocol": 1, "type": "apply_fix", "fix": "per_cell"})
    assert state["state"]["per_cell"] == "same"
    before = jupyter_seed.state()
    for fix in ("exec", "__import__('os').system('true')", None, ["deterministic"]):
        _one_error(front.receive({"protocol": 1, "type": "apply_fix", "fix": fix}))
    assert jupyter_seed.state() == before


def test_per_cell_fix_without_a_seed_is_refused_in_one_line(front: FakeComm) -> None:
    before = jupyter_seed.state()
    message = _one_error(front.receive({"protocol": 1, "type": "apply_fix", "fix": "per_cell", "id": "p"}))
    assert "needs a seed" in message
    assert jupyter_seed.state() == before


def test_kernelspec_fix_installs_our_seeded_kernelspec(
    front: FakeComm, seeder: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))
    seeder.seed_everything(42)
    (state,) = front.receive({"protocol": 1, "type": "apply_fix", "fix": "kernelspec", "id": "k"})
    assert state["type"] == "state" and state["answered"] == ["k"]
    spec = json.loads((tmp_path / "kernels" / "python3-seeded" / "kernel.json").read_text())
    assert spec["env"]["PYTHONHASHSEED"] == "0" and "%seed 42 --quiet" in " ".join(spec["argv"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kernels"]


def test_workers_switch(front: FakeComm, seeder: Any) -> None:
    if not hasattr(seeder, "set_workers"):
        _one_error(front.receive({"protocol": 1, "type": "set_workers", "enabled": True}))
        return
    seeder.seed_everything(3)
    (state,) = front.receive({"protocol": 1, "type": "set_workers", "enabled": True})
    assert state["state"]["workers"] is True
    (state,) = front.receive({"protocol": 1, "type": "set_workers", "enabled": False})
    assert state["state"]["workers"] is False
    _one_error(front.receive({"protocol": 1, "type": "set_workers", "enabled": "yes"}))


def test_holding_pushes_nests_and_pushes_once(shell: Any, front: FakeComm, seeder: Any) -> None:
    from jupyter_seed.kernel.extension import registration_of

    comms = registration_of(shell).frontend_comms
    before = len(front.sent)
    with comms.holding_pushes():
        seeder.seed_everything(1)
        with comms.holding_pushes():
            seeder.seed_everything(2)
        seeder.seed_everything(3)
    assert len(front.sent) == before
    comms.push()
    assert len(front.sent) == before + 1 and front.sent[-1]["state"]["seed"] == 3


# ---------------------------------------------------------------- fuzz

KEYS = ["protocol", "type", "id", "seed", "mode", "per_cell", "deterministic", "fix", "enabled", "code", "a\nb", ""]
TYPES = ["get_state", "set_seed", "set_per_cell", "set_deterministic", "configure", "apply_fix", "set_workers"]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(TYPES + ["off", "same", "derived", "strict", "warn", "deterministic", "kernelspec"]),
)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
payloads = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), json_values, max_size=6),
    st.fixed_dictionaries(
        {"protocol": st.sampled_from([1, 1, 2, "1", True]), "type": st.sampled_from(TYPES)},
        optional={
            "seed": json_scalars,
            "mode": json_scalars,
            "fix": json_scalars,
            "enabled": json_scalars,
            "id": st.text(max_size=70),
            "per_cell": json_scalars,
            "deterministic": json_scalars,
        },
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=payloads)
def test_fuzzed_payloads_get_one_answer_each(front: FakeComm, seeder: Any, data: object) -> None:
    if isinstance(data, dict) and data.get("fix") == "kernelspec":
        data = {**data, "fix": "deterministic"}  # never write into the real Jupyter data directory
    before = jupyter_seed.state()
    started = time.monotonic()
    replies = front.receive(data)
    assert time.monotonic() - started < 5
    assert len(replies) == 1
    (reply,) = replies
    assert schema_errors(reply, "kernelMessage") == [], reply
    if reply["type"] == "error":
        _one_error(replies)
        assert jupyter_seed.state() == before
    seeder.set_deterministic("off")
    seeder.detach()


@pytest.mark.kernel
def test_hostile_payloads_through_a_real_kernel() -> None:
    from test_frontend_comm import WireKernel

    wire = WireKernel()
    try:
        wire.run("%load_ext jupyter_seed\n%seed 4 -q")
        wire.open_comm()
        hostile: list[object] = [
            {"protocol": 1, "type": "get_state", "x\n[E forged] line": 1},
            {"protocol": 1, "type": "set_seed", "seed": "9" * 1_000_000},
            {"protocol": 1, "type": "z" * 1_000_000},
            {"protocol": 1, "type": "apply_fix", "fix": "__import__('os').system('touch /tmp/owned')"},
            {"protocol": 1, "type": "set_workers", "enabled": "yes"},
            {"protocol": 1, "type": "configure", "seed": 1, "per_cell": "same", "deterministic": "on"},
            [1, 2, 3],
            "get_state",
        ]
        for data in hostile:
            wire.request(data)
            reply = wire.next_comm_message()
            assert reply["type"] == "error" and schema_errors(reply, "errorMessage") == [], reply
        wire.request({"protocol": 1, "type": "get_state"})
        assert wire.next_comm_message()["state"]["seed"] == 4
        assert wire.value("1 + 1") == "2"
    finally:
        wire.shutdown()


def test_a_state_that_cannot_be_built_is_an_error_not_a_closed_comm(
    shell: Any, seeder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_seed.kernel.extension import registration_of

    def broken() -> dict[str, Any]:
        raise RuntimeError("a plugin broke\nbadly")

    monkeypatch.setattr(seeder, "state", broken)
    fake = FakeComm()
    registration_of(shell).frontend_comms.accept(fake, {"protocol": 1, "type": "get_state", "id": "o"})
    (reply,) = fake.sent
    assert reply["type"] == "error" and reply["id"] == "o" and "a plugin broke" in reply["message"]
    assert "\n" not in reply["message"]
