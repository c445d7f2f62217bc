"""The kernel's schema validator agrees with ``jsonschema`` on the protocol file, verdict for verdict."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_seed.kernel.protocol import schema, schema_errors
from jupyter_seed.kernel.schema_check import unknown_keywords

DEFINITIONS = ["request", "kernelMessage", "state", "risk", "queuedRequest", "applyFix", "configure"]
WORDS = [
    "protocol", "type", "id", "seed", "mode", "per_cell", "deterministic", "fix", "enabled", "state", "pending",
    "answered", "message", "request", "get_state", "set_seed", "configure", "apply_fix", "set_workers", "error",
    "off", "same", "derived", "strict", "warn", "kernelspec", "tf32", "name", "risks", "sources",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(WORDS + ["", "a\nb", "x" * 70]),
    st.sampled_from([0, 1, 4294967295, 4294967296, 7.0]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(WORDS), inner, max_size=6),
    max_leaves=12,
)


def _validator(definition: str) -> Any:
    return jsonschema.Draft7Validator({**schema(), "$ref": f"#/definitions/{definition}"})


def test_the_schema_uses_only_implemented_keywords() -> None:
    assert unknown_keywords(schema()) == set()


@settings(max_examples=400, deadline=None)
@given(definition=st.sampled_from(DEFINITIONS), instance=values)
def test_verdicts_match_jsonschema(definition: str, instance: Any) -> None:
    assert (schema_errors(instance, definition) == []) == _validator(definition).is_valid(instance)


def test_verdicts_match_on_valid_messages() -> None:
    for message in (
        {"protocol": 1, "type": "apply_fix", "fix": "kernelspec", "id": "x"},
        {"protocol": 1, "type": "error", "request": None, "id": None, "message": "one line"},
        {"protocol": 1, "type": "error", "request": None, "id": None, "message": "two\nlines"},
    ):
        for definition in ("request", "kernelMessage"):
            assert (schema_errors(message, definition) == []) == _validator(definition).is_valid(message)


def test_verdicts_match_on_mutations_of_real_messages() -> None:
    import json
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[2] / "labextension" / "test" / "fixtures" / "state.json"
    odd = [None, 0, -1, 1.5, "", "x", True, [], {}, 4294967296, "a\nb", [{"id": "tf32"}]]
    checked = 0
    for message in json.loads(fixture.read_text()).values():
        variants = [message]
        targets = [message] + ([message["state"]] if message["type"] == "state" else [])
        for target in targets:
            for key in list(target):
                for replacement in [*odd, "DROP"]:
                    changed = dict(target)
                    if replacement == "DROP":
                        del changed[key]
                    else:
                        changed[key] = replacement
                    variants.append(changed if target is message else {**message, "state": changed})
        for variant in variants:
            assert (schema_errors(variant, "kernelMessage") == []) == _validator("kernelMessage").is_valid(variant)
            checked += 1
    assert checked > 500
