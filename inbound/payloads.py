"""Reading POSTed payloads: dotted paths and the trigger's declared JSON shape."""

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

# Bounds of a declared shape: deeper or bigger is no real payload's shape, and the validator
# recurses per level, so an unbounded one could exhaust the stack of a web worker.
MAX_SCHEMA_DEPTH = 32
MAX_SCHEMA_BYTES = 64 * 1024
PATH_HELP = "A dotted path into the payload, e.g. order.conversation_id (list items by number)."


class PathError(ValueError):
    pass


def path_check(path: str) -> None:
    """Refuse a path with empty segments, such as "order..id"."""
    if path and any(not segment.strip() for segment in path.split(".")):
        raise PathError(f"'{path}' is not a dotted path. {PATH_HELP}")


def value_at(payload: Any, path: str, default: Any = None) -> Any:
    """Return the value at a dotted path of the payload, or `default` when it is absent."""
    current = payload
    for segment in path.split("."):
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return default
    return current


def _retrieve_nothing(uri: str):
    # The validator's default registry GETs any URI a $ref names (http://, file://…): that is
    # a request forgery and a file read on every POST. Only the schema itself is resolvable.
    raise NoSuchResource(ref=uri)


_NOTHING_REMOTE = Registry(retrieve=_retrieve_nothing)


def schema_validator(schema: dict) -> Draft202012Validator:
    """Return the validator of a declared shape; it resolves no $ref outside the schema."""
    return Draft202012Validator(
        schema, registry=_NOTHING_REMOTE, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:  # iterative: a too-deep value must not exhaust the stack while measured
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_SCHEMA_DEPTH:
            break
        if isinstance(current, dict):
            stack.extend((child, depth + 1) for child in current.values())
        elif isinstance(current, list):
            stack.extend((child, depth + 1) for child in current)
    return deepest


def schema_errors(schema: dict) -> list[str]:
    """Return why a JSON Schema is not a valid one (empty when it is)."""
    if not isinstance(schema, dict):
        return ["The JSON shape must be a JSON object (a JSON Schema)."]
    if _depth(schema) > MAX_SCHEMA_DEPTH:
        return [f"The JSON shape is nested deeper than {MAX_SCHEMA_DEPTH} levels."]
    if len(json.dumps(schema, ensure_ascii=False).encode()) > MAX_SCHEMA_BYTES:
        return [f"The JSON shape is over {MAX_SCHEMA_BYTES // 1024} KB."]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path)
        return [f"{error.message}" + (f" (at {where})" if where else "")]
    return []


def payload_errors(*, schema: dict, payload: Any) -> dict[str, list[str]]:
    """Return the payload's violations of the schema as {"field.path": [messages]}."""
    errors: dict[str, list[str]] = {}
    validator = schema_validator(schema)
    try:
        found = sorted(validator.iter_errors(payload), key=lambda error: list(error.path))
    except Unresolvable as error:
        # Nothing is fetched: a $ref outside the schema cannot be checked.
        return {"non_field_errors": [f"The declared shape has an unresolvable $ref: {error}"]}
    except RecursionError:
        # A $ref that loops back on itself ({"$ref": "#"}) or a payload as deep as the stack.
        return {"non_field_errors": ["The payload is nested too deeply for the declared shape."]}
    for error in found:
        field = ".".join(str(part) for part in error.absolute_path) or "non_field_errors"
        errors.setdefault(field, []).append(error.message)
    return errors
