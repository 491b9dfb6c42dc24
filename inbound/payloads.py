"""Reading POSTed payloads: dotted paths and the trigger's declared JSON shape."""

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

_MISSING = object()
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


def schema_errors(schema: dict) -> list[str]:
    """Return why a JSON Schema is not a valid one (empty when it is)."""
    if not isinstance(schema, dict):
        return ["The JSON shape must be a JSON object (a JSON Schema)."]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path)
        return [f"{error.message}" + (f" (at {where})" if where else "")]
    return []


def payload_errors(*, schema: dict, payload: Any) -> dict[str, list[str]]:
    """Return the payload's violations of the schema as {"field.path": [messages]}."""
    errors: dict[str, list[str]] = {}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    try:
        found = sorted(validator.iter_errors(payload), key=lambda error: list(error.path))
    except Unresolvable as error:
        # Nothing is fetched from the network: a $ref outside the schema cannot be checked.
        return {"non_field_errors": [f"The declared shape has an unresolvable $ref: {error}"]}
    for error in found:
        field = ".".join(str(part) for part in error.absolute_path) or "non_field_errors"
        errors.setdefault(field, []).append(error.message)
    return errors
