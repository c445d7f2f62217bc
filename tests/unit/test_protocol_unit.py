"""Protocol parsing, error quoting and the risks list: pure functions, no kernel, no framework."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from jupyter_seed.kernel.protocol import MAX_ERROR_LENGTH, ProtocolError, parse_request, quote
from jupyter_seed.kernel.risks import risks_of


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"protocol": 1, "type": "get_state", "a\nb": 1}, "unexpected field(s) 'a\\nb'"),
        ({"protocol": 1, "type": "x" * 10**6}, "(1000000 characters)"),
        ({"protocol": 1, "type": "set_seed", "seed": "9" * 10**6}, "(1000000 characters)"),
        ({"protocol": 1, "type": "set_seed", "seed": 10**5000}, "digits is out of range"),
        ({"protocol": 1, "type": "set_seed", "seed": 7.0}, "float"),
        ({"protocol": 1, "type": "apply_fix", "fix": "rm -rf /"}, "'rm -rf /' is not one of"),
        ({"protocol": 1, "type": "set_workers", "enabled": 1}, "is not of type 'boolean'"),
        ({"protocol": 1, "type": "configure", "seed": 1}, "missing field"),
    ],
)
def test_refusals_quote_hostile_text_in_one_short_line(data: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_request(data)
    text = str(info.value)
    assert fragment in text and "\n" not in text and len(text) <= MAX_ERROR_LENGTH


def test_new_requests_parse() -> None:
    assert parse_request({"protocol": 1, "type": "apply_fix", "fix": "kernelspec", "id": "a"}) == {
        "type": "apply_fix",
        "fix": "kernelspec",
        "id": "a",
    }
    assert parse_request({"protocol": 1, "type": "set_workers", "enabled": False}) == {
        "type": "set_workers",
        "enabled": False,
    }


def test_quote_is_short_for_every_type() -> None:
    for value in ("a\nb" * 10**5, 10**10000, [0] * 10**6, {"k": 1}, None, object()):
        assert len(quote(value)) < 120 and "\n" not in quote(value)


def test_no_schema_library_is_imported_at_load_or_on_a_message() -> None:
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_line_magic('load_ext', 'jupyter_seed')\n"
        "shell.run_line_magic('seed', '3 -q')\n"
        "assert 'jsonschema' not in sys.modules, 'jsonschema imported at load'\n"
        "from jupyter_seed.kernel.protocol import parse_request\n"
        "parse_request({'protocol': 1, 'type': 'set_seed', 'seed': 4})\n"
        "assert 'jsonschema' not in sys.modules, 'jsonschema imported by a message'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _state(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "seed": 5,
        "per_cell": "same",
        "deterministic": "strict",
        "patch_default_rng": True,
        "sources": [
            {"name": "pythonhashseed", "loaded": True, "determinism": {"kernel_hash_seed": 0}},
            {"name": "numpy", "loaded": True, "determinism": {}},
            {
                "name": "torch",
                "loaded": True,
                "determinism": {"cudnn.benchmark": False, "cuda_initialized": False, "CUBLAS_WORKSPACE_CONFIG": None},
            },
        ],
    }
    state.update(overrides)
    return state


def test_a_careful_kernel_has_no_risks() -> None:
    assert risks_of(_state()) == []


def test_each_risk_names_its_fix() -> None:
    risky = _state(
        seed=None,
        per_cell="off",
        deterministic="off",
        patch_default_rng=False,
        sources=[
            {"name": "pythonhashseed", "loaded": True, "determinism": {"kernel_hash_seed": "random"}},
            {"name": "numpy", "loaded": True, "determinism": {}},
            {
                "name": "torch",
                "loaded": True,
                "determinism": {"cudnn.benchmark": True, "cuda_initialized": True, "CUBLAS_WORKSPACE_CONFIG": None},
            },
        ],
    )
    fixes = {risk["id"]: risk["fix"] for risk in risks_of(risky)}
    assert fixes == {
        "hash_seed_random": "kernelspec",
        "cuda_before_cublas": "kernelspec",
        "cudnn_benchmark": "deterministic",
        "default_rng_unpatched": "patch_default_rng",
        "per_cell_off": None,  # no seed yet: the per-cell fix would be refused
        "deterministic_off": "deterministic",
    }
    assert risks_of(_state(per_cell="off"))[0]["fix"] == "per_cell"


def test_odd_sources_do_not_break_the_risks_list() -> None:
    assert risks_of(_state(sources=[{"name": "torch", "loaded": True, "determinism": None}, {}])) == []
