"""A tool's input JSON Schema: checked when saved, and arguments checked against it per call.

Nothing is ever fetched: validators get a `referencing.Registry` that retrieves nothing, so a
`$ref` can only point inside the schema itself (`#/...`), which is also refused on save
otherwise. (jsonschema's default would still fetch remote references over HTTP.)
"""

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import Unresolvable

# Retrieves nothing: every lookup of a resource not in the schema itself fails.
LOCAL_ONLY = Registry()


def _foreign_refs(value: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (
                key in ("$ref", "$dynamicRef")
                and isinstance(item, str)
                and not item.startswith("#")
            ):
                found.append(f"{item} (at {path or '/'})")
            found.extend(_foreign_refs(item, f"{path}/{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_foreign_refs(item, f"{path}/{index}"))
    return found


# The same bounds as inbound triggers' shapes: the validators recurse per level.
MAX_SCHEMA_DEPTH = 32
MAX_SCHEMA_BYTES = 65_536


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:  # iterative: the schema may be as deep as the JSON parser allowed
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return False


# The one problem of an input schema the API's own schema states (`"type": {"const": "object"}`).
NOT_AN_OBJECT_SCHEMA = 'The input schema\'s top level must be {"type": "object", ...}.'


def input_schema_errors(schema: Any) -> list[str]:
    """Return why `schema` cannot be a tool's input schema (empty when it can)."""
    if not isinstance(schema, dict):
        return ["The input schema must be a JSON object (a JSON Schema)."]
    if _depth_exceeds(schema, MAX_SCHEMA_DEPTH):
        return [f"The input schema nests deeper than {MAX_SCHEMA_DEPTH} levels."]
    try:
        size = len(json.dumps(schema, allow_nan=False).encode("utf-8"))
    except (ValueError, UnicodeError):
        return ["The input schema holds a number out of range or a lone surrogate."]
    if size > MAX_SCHEMA_BYTES:
        return [f"The input schema is larger than {MAX_SCHEMA_BYTES} bytes."]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path)
        return [error.message + (f" (at {where})" if where else "")]
    problems = []
    # Function-calling runtimes (OpenAI, Anthropic, MCP) all take an object of named arguments.
    if schema.get("type") != "object":
        problems.append(NOT_AN_OBJECT_SCHEMA)
    problems.extend(
        f"Only local references (#/...) are allowed: {ref}" for ref in _foreign_refs(schema)
    )
    if not problems:
        try:
            # Resolve every local reference once, so a dangling one is refused on save.
            list(_validator(schema).iter_errors({}))
        except Unresolvable as error:
            problems.append(f"A $ref does not resolve inside the schema: {error}")
    return problems


def _validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(
        schema, registry=LOCAL_ONLY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def argument_errors(*, schema: dict, arguments: Any) -> dict[str, list[str]]:
    """Return the arguments' violations of the schema as {"field.path": [messages]}."""
    errors: dict[str, list[str]] = {}
    try:
        found = sorted(_validator(schema).iter_errors(arguments), key=lambda e: list(e.path))
    except Unresolvable as error:
        return {"non_field_errors": [f"The tool's schema has an unresolvable $ref: {error}"]}
    for error in found:
        field = ".".join(str(part) for part in error.absolute_path) or "non_field_errors"
        errors.setdefault(field, []).append(error.message)
    return errors


def schema_properties(schema: dict) -> set[str]:
    """Return the argument names the schema's top level declares."""
    properties = schema.get("properties")
    return set(properties) if isinstance(properties, dict) else set()
