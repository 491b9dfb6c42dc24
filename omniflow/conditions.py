"""Rule conditions: fields, operators and action types as data, and the one evaluator.

In the manner of NetBox's `extras/conditions.py`. A condition is `{"field", "operator",
"value"}`, and a rule fires only if all its conditions hold. The core names no field, operator
or action: each app registers what it adds in its AppConfig.ready() (`inbox` the
conversation's fields, `equals`/`not_equals`/`contains`/`in` and the conversation actions;
`inbound` the payload's `payload.<path>`, `exists`/`gt`/`gte`/`lt`/`lte` and its actions).
The evaluator, the API's rule serializers, the Settings rule builder and the services' check of
which rule may use what all read this one registry.

A registration names the rule triggers it is for (`triggers`; None: every trigger). A field
reads a *subject*, the mapping a rule is evaluated on (e.g. `{"conversation", "tag_names",
"payload"}`); what keys it holds is between the app that registers a field and the callers.

What the operators mean, whichever rule uses them: a value is the same as another only if both
are booleans or neither is (JSON's `true` is not `1`); `in` holds when the field's value is one
of the condition's list (never a substring test: `"a"` is not in `"abc"`); `contains` holds when
a text value has the condition's value in it (ignoring case) or a list value has it as an item.
On a field of several values (a conversation's tags), an operator holds if it holds for one of
them, except one marked `every_value` (`not_equals`: none of the tags is the value).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Triggers = frozenset[str] | None
# Reads a field of the subject: its values (a field may have several), or None when the
# subject has nothing to read it from (the condition then cannot hold).
FieldReader = Callable[[Mapping[str, Any], str], list[Any] | None]


@dataclass(frozen=True)
class Operator:
    name: str
    test: Callable[[Any, Any], bool]  # (the field's value, the condition's value) -> holds
    words: str  # what stands between the field and the value in a sentence: "is one of"
    takes_list: bool = False  # the condition's value is a list of scalars
    every_value: bool = False  # on a field of several values, all must pass
    triggers: Triggers = None


@dataclass(frozen=True)
class Field:
    name: str  # a field's name, or a prefix ending in "." that a path follows
    read: FieldReader  # read(subject, path): what follows a prefix, or a plain field's name
    triggers: Triggers = None
    accepts: Callable[[str], bool] = bool  # for a prefix: whether the path after it is valid
    help: str = ""  # how a prefix field is written: "payload.<dotted.path>"
    # For a prefix: what `accepts` admits after it as a regular expression (unanchored), which
    # the OpenAPI document states; the field arrives unstripped there, stripped here.
    path_pattern: str = r"[\s\S]+"

    @property
    def is_prefix(self) -> bool:
        return self.name.endswith(".")


@dataclass(frozen=True)
class ActionType:
    name: str
    needs: tuple[str, ...] = ()  # the arguments an action of this type must have
    may: tuple[str, ...] = ()  # the ones it may have besides
    # The problems of an action's arguments ({argument: problem}) beyond needs and may.
    check: Callable[[Mapping[str, Any]], dict[str, str]] | None = None
    triggers: Triggers = None


_operators: dict[str, Operator] = {}
_fields: dict[str, Field] = {}
_action_types: dict[str, ActionType] = {}


def _register(registry: dict, item) -> None:
    known = registry.get(item.name)
    if known is not None and known != item:
        raise ValueError(f"'{item.name}' is registered already, differently.")
    registry[item.name] = item


def operator_register(operator: Operator) -> None:
    """Register an operator conditions may use (once per name)."""
    _register(_operators, operator)


def field_register(field: Field) -> None:
    """Register a field (or a prefix of paths) conditions may read (once per name)."""
    _register(_fields, field)


def action_type_register(action_type: ActionType) -> None:
    """Register an action type rules may carry (once per name)."""
    _register(_action_types, action_type)


def vocabulary_register(
    *,
    fields: tuple[Field, ...] = (),
    operators: tuple[Operator, ...] = (),
    action_types: tuple[ActionType, ...] = (),
) -> None:
    """Register what an app adds to rules: its fields, operators and action types."""
    for field in fields:
        field_register(field)
    for operator in operators:
        operator_register(operator)
    for action_type in action_types:
        action_type_register(action_type)


def _for(items, trigger: str | None) -> list:
    return [i for i in items if trigger is None or i.triggers is None or trigger in i.triggers]


def operators(*, trigger: str | None = None) -> list[Operator]:
    """Return the operators (those a rule of `trigger` may use), in registration order."""
    return _for(_operators.values(), trigger)


def fields(*, trigger: str | None = None) -> list[Field]:
    """Return the fields and prefixes (those a rule of `trigger` may read)."""
    return _for(_fields.values(), trigger)


def action_types(*, trigger: str | None = None) -> list[ActionType]:
    """Return the action types (those a rule of `trigger` may carry)."""
    return _for(_action_types.values(), trigger)


def operator_get(name: str) -> Operator | None:
    """Return the operator of this name, or None."""
    return _operators.get(name)


def action_type_get(name: str) -> ActionType | None:
    """Return the action type of this name, or None."""
    return _action_types.get(name)


def field_get(name: str) -> tuple[Field, str] | None:
    """Return the field a condition's `field` names and the path after its prefix, or None."""
    if (field := _fields.get(name)) is not None and not field.is_prefix:
        return field, name
    for field in _fields.values():
        if field.is_prefix and name.startswith(field.name):
            path = name[len(field.name) :]
            return (field, path) if path and field.accepts(path) else None
    return None


def allowed(item: Operator | Field | ActionType, trigger: str) -> bool:
    """Tell whether a rule of `trigger` may use a registered field, operator or action type."""
    return item.triggers is None or trigger in item.triggers


def same(value: Any, other: Any) -> bool:
    """Tell whether two JSON values are the same: a boolean is never a number (true is not 1)."""
    return isinstance(value, bool) is isinstance(other, bool) and value == other


def condition_holds(condition: Mapping[str, Any], subject: Mapping[str, Any]) -> bool:
    """Tell whether one condition holds on the subject (unknown fields and operators never do)."""
    found, operator = field_get(condition["field"]), operator_get(condition["operator"])
    if found is None or operator is None:
        return False
    field, path = found
    values = field.read(subject, path)
    if values is None:
        return False
    expected = condition.get("value")
    checks = (operator.test(value, expected) for value in values)
    return all(checks) if operator.every_value else any(checks)


def conditions_hold(conditions: list[Mapping[str, Any]], subject: Mapping[str, Any]) -> bool:
    """Tell whether every condition holds on the subject (no conditions: always)."""
    return all(condition_holds(condition, subject) for condition in conditions)
