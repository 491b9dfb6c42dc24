"""JSON bodies hold the types the OpenAPI document gives, not values DRF would coerce.

DRF reads `"tags": [0]` as `["0"]`, `"enabled": "yes"` as true and `"score": "9"` as 9: kind to
HTML forms, but a JSON API that documents a string, a boolean or a number accepting another
type tells a client its bug is fine. Each field's JSON type is checked before validation.
"""

from typing import Any

from rest_framework import fields, serializers

_NUMBER = (int, float)


def _expected(field: fields.Field) -> tuple[tuple[type, ...], str] | None:
    """Return the JSON types `field` takes (Python types, and their name), or None for any."""
    if isinstance(field, fields.BooleanField):
        return (bool,), "a boolean"
    if isinstance(field, fields.IntegerField):
        return (int,), "an integer"
    if isinstance(field, fields.FloatField | fields.DecimalField):
        return _NUMBER, "a number"
    if isinstance(field, fields.CharField | fields.DateTimeField | fields.DateField):
        return (str,), "a string"
    if isinstance(field, fields.ChoiceField) and all(
        isinstance(choice, str) for choice in field.choices
    ):
        return (str,), "a string"
    return None


def _item_errors(field: fields.Field, value: Any) -> Any:
    """Return the type errors of one value for `field` (a message, a nested dict, or None)."""
    if value is None:
        return None  # null: the field's own allow_null rule answers
    if isinstance(field, serializers.ListSerializer):
        return _list_errors(field.child, value)
    if isinstance(field, serializers.Serializer):
        return type_errors(field, value) if isinstance(value, dict) else None
    if isinstance(field, fields.ListField):
        return _list_errors(field.child, value)
    if isinstance(field, fields.DictField) and isinstance(value, dict):
        found = {key: _item_errors(field.child, item) for key, item in value.items()}
        found = {key: error for key, error in found.items() if error}
        return found or None
    expected = _expected(field)
    if expected is None:
        return None
    types, name = expected
    if types == (int,) and isinstance(value, float) and value.is_integer():
        return None  # JSON Schema's "integer" is any number without a fraction, 7.0 too
    # bool is an int in Python; JSON keeps them apart.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        return [f"Expected {name}, got {_json_type(value)}."]
    return None


def _list_errors(child: fields.Field, value: Any) -> Any:
    if not isinstance(value, list):
        return None  # the field answers "Expected a list"
    found = {str(index): _item_errors(child, item) for index, item in enumerate(value)}
    found = {index: error for index, error in found.items() if error}
    return found or None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def type_errors(serializer: serializers.Serializer, data: Any) -> dict[str, Any]:
    """Return {field: errors} for values of `data` whose JSON type the field does not take."""
    if not isinstance(data, dict):
        return {}
    found = {}
    for name, field in serializer.fields.items():
        if field.read_only or field.field_name not in data:
            continue
        error = _item_errors(field, data[field.field_name])
        if error:
            found[name] = error
    return found
