"""One protocol: real state payloads fit ``protocol.schema.json``, and jest's fixtures come from them.

The dump runs in a fresh interpreter with NumPy and PyTorch imported and seeded, so
the fixture is what a real kernel sends, not something written by hand. jest
(``labextension/test/schema.spec.ts``) validates the same file against the schema
and checks the TypeScript validators agree with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_seed.kernel.protocol import SCHEMA_PATH, schema, schema_errors

FIXTURE = Path(__file__).resolve().parents[2] / "labextension" / "test" / "fixtures" / "state.json"

DUMP = r"""
import json, random
import numpy.random, torch
import jupyter_seed
from jupyter_seed.kernel.state_contract import build_state
from jupyter_seed.seeding.seeder import get_seeder

# torch's own initial seed is random per process; fix it so the fixture is stable.
# Past 2**53 on purpose: JSON keeps it, JavaScript rounds it, the toolbar must accept it.
torch.manual_seed(11202429940358247561)
seeder = get_seeder()
seeder.extension_loaded = True  # what %load_ext sets; no shell is needed for the state
def message(answered):
    return {"protocol": 1, "type": "state", "state": build_state(seeder), "pending": [], "answered": answered}
dumps = {"unseeded": message([])}
jupyter_seed.seed_everything(3407)
dumps["seeded"] = message(["req-1"])
seeder.set_per_cell("derived")
seeder.set_deterministic("warn")
dumps["configured"] = message([])
dumps["error"] = {"protocol": 1, "type": "error", "request": "set_seed", "id": "req-2",
                  "message": "set_seed: seed: 'x' is not of type 'integer'"}
print(json.dumps(dumps, indent=1, sort_keys=True))
"""


@pytest.fixture(scope="module")
def dumps() -> dict[str, Any]:
    # The same environment wherever it runs, so the fixture does not churn.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "CUBLAS_WORKSPACE_CONFIG")}
    out = subprocess.run(
        [sys.executable, "-c", DUMP], capture_output=True, text=True, timeout=240, check=True, env=env
    ).stdout
    loaded: dict[str, Any] = json.loads(out)
    return loaded


def test_schema_file_is_shipped_beside_the_protocol_module() -> None:
    assert SCHEMA_PATH.parent.name == "kernel" and SCHEMA_PATH.is_file()
    assert schema()["definitions"]["protocol"] == {"const": 1}


def test_real_state_payloads_fit_the_schema_and_become_the_jest_fixture(dumps: dict[str, Any]) -> None:
    for name, message in dumps.items():
        assert schema_errors(message, "kernelMessage") == [], name
    seeded = dumps["seeded"]["state"]
    assert seeded["seed"] == 3407 and {s["name"] for s in seeded["sources"] if s["loaded"]} >= {"numpy", "torch"}
    assert {risk["id"] for risk in dumps["configured"]["state"]["risks"]} <= {
        risk["id"] for risk in dumps["unseeded"]["state"]["risks"]
    }
    text = json.dumps(dumps, indent=1, sort_keys=True) + "\n"
    if not FIXTURE.exists() or FIXTURE.read_text(encoding="utf-8") != text:
        FIXTURE.write_text(text, encoding="utf-8")


def test_a_state_that_drifts_from_the_schema_is_caught(dumps: dict[str, Any]) -> None:
    state = dict(dumps["seeded"]["state"])
    state["surprise"] = 1
    assert schema_errors(state, "state")
    del state["surprise"]
    state["per_cell"] = "always"
    assert schema_errors(state, "state")


# ------------------------------------------------------------ one contract
class _RecordingComm:
    """Stands in for a front end's comm: records what the kernel sends."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def on_msg(self, callback: Any) -> None:
        pass

    def on_close(self, callback: Any) -> None:
        pass

    def send(self, data: dict[str, Any]) -> None:
        self.sent.append(json.loads(json.dumps(data, allow_nan=False)))  # the wire is strict JSON

    def close(self) -> None:
        pass


def _state_errors(state: object) -> list[str]:
    """``definitions/state`` checked by jsonschema itself, not by our schema subset."""
    import jsonschema

    root = schema()
    validator = jsonschema.Draft7Validator({"definitions": root["definitions"], "$ref": "#/definitions/state"})
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(state)]


def test_the_public_state_fits_the_schema_it_documents(seeder: Any) -> None:
    import jupyter_seed

    state = jupyter_seed.state()
    assert _state_errors(state) == []
    assert isinstance(state["risks"], list) and state["protocol"] == 1


def test_public_state_comm_payload_and_status_view_are_one_contract(shell: Any) -> None:
    import jupyter_seed
    from jupyter_seed.kernel.extension import registration_of

    shell.run_line_magic("seed", "3407 --per-cell derived -q")
    front = _RecordingComm()
    registration_of(shell).frontend_comms.accept(front)
    (message,) = front.sent
    assert schema_errors(message, "kernelMessage") == []
    views = {
        "jupyter_seed.state()": jupyter_seed.state(),
        "comm payload": message["state"],
        "%seed status": shell.run_line_magic("seed", "").state,
    }
    for name, state in views.items():
        assert _state_errors(state) == [], name
        assert state["seed"] == 3407 and state["per_cell"] == "derived", name
    assert views["jupyter_seed.state()"] == views["comm payload"] == views["%seed status"]
    assert any(risk["id"] == "deterministic_off" for risk in views["%seed status"]["risks"])
