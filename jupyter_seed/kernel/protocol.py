"""The kernel <-> toolbar protocol: its version, its one JSON Schema, and request parsing.

The contract lives in ``protocol.schema.json`` beside this module; the TypeScript
side is checked against the same file by jest. Messages are checked against it
by :mod:`.schema_check` (the subset of JSON Schema the file uses), read on the
first message, never at ``%load_ext``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..seeding.error_root import JupyterSeedError
from ..seeding.messages import one_line, short_int
from ..seeding.seeds import validate_seed
from . import COMM_TARGET  # noqa: F401 - part of the protocol's names; defined where load can read it

if TYPE_CHECKING:
    from .schema_check import Problem

PROTOCOL_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("protocol.schema.json")
MAX_ID_LENGTH = 64
MAX_ERROR_LENGTH = 500
QUOTE_LIMIT = 60

Request = dict[str, Any]

# Request type -> its definition in the schema.
REQUEST_DEFINITIONS: dict[str, str] = {
    "get_state": "getState",
    "set_seed": "setSeed",
    "set_per_cell": "setPerCell",
    "set_deterministic": "setDeterministic",
    "configure": "configure",
    "apply_fix": "applyFix",
    "set_workers": "setWorkers",
}
ENVELOPE = ("protocol", "type", "id")


class ProtocolError(JupyterSeedError, ValueError):
    """A message that does not fit the schema; ``request`` and ``request_id`` when known.

    Its text is one line of at most ``MAX_ERROR_LENGTH`` characters, hostile text quoted.
    """

    def __init__(self, message: str, request: str | None = None, request_id: str | None = None) -> None:
        super().__init__(one_line(message, MAX_ERROR_LENGTH))
        self.request = request
        self.request_id = request_id


def quote(value: object) -> str:
    """``repr`` of a value from the wire, short: newlines escaped, long values cut."""
    if isinstance(value, str):
        if len(value) <= QUOTE_LIMIT:
            return repr(value)
        return f"{value[:QUOTE_LIMIT]!r}…({len(value)} characters)"
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return short_int(value)
    if isinstance(value, (dict, list)):
        return f"{type(value).__name__} of {len(value)} item(s)"
    return type(value).__name__


@cache
def schema() -> dict[str, Any]:
    """The protocol's JSON Schema (draft 7), read once."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def schema_errors(instance: object, definition: str) -> list[str]:
    """Why ``instance`` does not fit ``definitions/<definition>``, one short line each ([] when it fits)."""
    root = schema()
    if definition not in root["definitions"]:
        raise KeyError(f"no definition {definition!r} in {SCHEMA_PATH.name}")
    from .schema_check import problems  # the first message pays for it, not %load_ext

    return [_describe(problem) for problem in problems(instance, root["definitions"][definition], root)]


def _describe(problem: Problem) -> str:
    path, value, message = problem
    where = "/".join(part if isinstance(part, str) else str(part) for part in path)
    text = f"{quote(value)} {message}"
    return one_line(f"{where}: {text}" if where else text, MAX_ERROR_LENGTH)


def _is_request_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def parse_request(data: object) -> Request:
    """Validate a front-end message against the schema; return the request without ``protocol``.

    Raises :class:`ProtocolError` naming the request type and id when they are known.
    """
    if not isinstance(data, dict):
        raise ProtocolError(f"message must be an object, got {type(data).__name__}")
    kind = data.get("type")
    request_name = kind if isinstance(kind, str) and kind in REQUEST_DEFINITIONS else None
    request_id = data["id"] if _is_request_id(data.get("id")) else None
    protocol = data.get("protocol")
    if type(protocol) is not int or protocol != PROTOCOL_VERSION:
        raise ProtocolError(
            f"unsupported protocol {quote(protocol)}, expected {PROTOCOL_VERSION}", request_name, request_id
        )
    if request_name is None:
        raise ProtocolError(f"unknown request type {quote(kind)}", None, request_id)
    if "id" in data and request_id is None:
        raise ProtocolError(
            f"{request_name}: id must be a string of 1 to {MAX_ID_LENGTH} characters", request_name
        )
    definition = schema()["definitions"][REQUEST_DEFINITIONS[request_name]]
    fields = [name for name in definition["properties"] if name not in ENVELOPE]
    extra = [name for name in data if name not in ENVELOPE and name not in fields]
    if extra:
        shown = ", ".join(quote(name) for name in extra[:5]) + (", …" if len(extra) > 5 else "")
        raise ProtocolError(f"{request_name}: unexpected field(s) {shown}", request_name, request_id)
    missing = [name for name in definition.get("required", []) if name not in data]
    if missing:
        raise ProtocolError(f"{request_name}: missing field {quote(missing[0])}", request_name, request_id)
    for name in fields:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
            # Past 4,300 digits Python cannot even write the number in an error message.
            raise ProtocolError(f"{request_name}: {name}: {quote(value)} is out of range", request_name, request_id)
    problems = schema_errors(data, REQUEST_DEFINITIONS[request_name])
    if problems:
        raise ProtocolError(f"{request_name}: {problems[0]}", request_name, request_id)
    request: Request = {"type": request_name}
    for name in fields:
        if name in data:
            request[name] = data[name]
    if "seed" in request:
        # JSON Schema counts 7.0 as an integer; a seed must be a real int.
        try:
            request["seed"] = validate_seed(request["seed"])
        except (TypeError, ValueError) as error:
            raise ProtocolError(f"{request_name}: seed: {error}", request_name, request_id) from None
    if request_id is not None:
        request["id"] = request_id
    return request
