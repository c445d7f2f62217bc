"""A validator for the JSON Schema (draft 7) subset that ``protocol.schema.json`` uses.

Why not ``jsonschema``: importing it takes 0.3 s on an idle machine and several
seconds on a busy one, all of it on the kernel's first comm message, so the
toolbar could not go live within a second of ``%load_ext``. The protocol needs
only these keywords: ``$ref`` (local), ``oneOf``, ``type``, ``const``, ``enum``,
``minimum``, ``maximum``, ``minLength``, ``maxLength``, ``pattern``,
``properties``, ``required``, ``additionalProperties`` and ``items``. A keyword
outside that set is refused when the schema is checked, and the unit tests
compare every verdict with ``jsonschema`` itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

KEYWORDS = frozenset(
    {
        "$schema", "$id", "$ref", "title", "description", "definitions", "oneOf", "type", "const", "enum",
        "minimum", "maximum", "minLength", "maxLength", "pattern", "properties", "required",
        "additionalProperties", "items",
    }
)

Path = tuple[Any, ...]
Problem = tuple[Path, Any, str]  # where, the offending value, what is wrong with it

_TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    # Draft 7 counts 7.0 as an integer; callers that need a real int check again.
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}


def unknown_keywords(schema: object) -> set[str]:
    """Keywords in ``schema`` that this validator does not implement (must be empty)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("definitions", "properties"):
                for child in value.values():
                    found |= unknown_keywords(child)
                continue
            if key not in KEYWORDS:
                found.add(key)
            if isinstance(value, dict):
                found |= unknown_keywords(value)
            elif isinstance(value, list):
                for child in value:
                    found |= unknown_keywords(child)
    return found


def _equal(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def problems(instance: object, schema: dict[str, Any], root: dict[str, Any], path: Path = ()) -> Iterator[Problem]:
    """Every way ``instance`` fails ``schema`` (empty when it fits)."""
    if "$ref" in schema:  # draft 7: keywords beside $ref are ignored
        yield from problems(instance, _resolve(root, schema["$ref"]), root, path)
        return
    if "oneOf" in schema:
        fits = sum(1 for option in schema["oneOf"] if not any(problems(instance, option, root, path)))
        if fits != 1:
            yield path, instance, (
                "is not valid under any of the given schemas" if fits == 0 else "is valid under more than one schema"
            )
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[name](instance) for name in names):
            yield path, instance, f"is not of type {', '.join(repr(n) for n in names)}"
            return
    if "const" in schema and not _equal(instance, schema["const"]):
        yield path, instance, f"is not {schema['const']!r}"
    if "enum" in schema and not any(_equal(instance, option) for option in schema["enum"]):
        yield path, instance, f"is not one of {schema['enum']!r}"
    if _TYPES["number"](instance):
        if "minimum" in schema and instance < schema["minimum"]:  # type: ignore[operator]
            yield path, instance, f"is less than the minimum of {schema['minimum']}"
        if "maximum" in schema and instance > schema["maximum"]:  # type: ignore[operator]
            yield path, instance, f"is greater than the maximum of {schema['maximum']}"
    if isinstance(instance, str):
        if "minLength" in schema and len(instance) < schema["minLength"]:
            yield path, instance, "is too short"
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            yield path, instance, "is too long"
        if "pattern" in schema and not _pattern(schema["pattern"]).search(instance):
            yield path, instance, f"does not match {schema['pattern']!r}"
    if isinstance(instance, dict):
        yield from _object_problems(instance, schema, root, path)
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(instance):
            yield from problems(item, schema["items"], root, (*path, index))


def _object_problems(
    instance: dict[Any, Any], schema: dict[str, Any], root: dict[str, Any], path: Path
) -> Iterator[Problem]:
    for name in schema.get("required", []):
        if name not in instance:
            yield path, name, "is a required property"
    properties: dict[str, Any] = schema.get("properties", {})
    for name, child in properties.items():
        if name in instance:
            yield from problems(instance[name], child, root, (*path, name))
    extra_schema = schema.get("additionalProperties", True)
    extras = [name for name in instance if name not in properties]
    if extra_schema is False and extras:
        yield path, extras[0], "is not an allowed property"
    elif isinstance(extra_schema, dict):
        for name in extras:
            yield from problems(instance[name], extra_schema, root, (*path, name))
