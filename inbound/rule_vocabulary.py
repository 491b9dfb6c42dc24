"""What only rules of trigger `inbound` may use: the payload, numbers and presence, and actions
on tickets, contacts and the trace.

Registered with the one rule evaluator (`omniflow.conditions`) in InboundConfig.ready(), beside
what the inbox registers for every rule. An inbound rule is evaluated on `{"payload": …,
"conversation": … or None, "tag_names": […]}`.
"""

from collections.abc import Mapping
from typing import Any

from inbox.models import RoutingRule
from omniflow import conditions
from omniflow.api.fields import PYTHON_SPACES
from omniflow.conditions import ActionType, Field, Operator

from .payloads import value_at

PAYLOAD_FIELD_PREFIX = "payload."
# A dotted path's segment as the schema states it: not blank.
_SEGMENT = f"[^.]*[^.{PYTHON_SPACES}][^.]*"
TICKET_ACTION_TYPES = ("set_ticket_status", "set_ticket_priority")
SELECTOR_CRITERIA = ("tag", "tag_path", "attribute", "conversation", "open_since_minutes")
INBOUND = frozenset({RoutingRule.Trigger.INBOUND.value})


def _payload_value(subject: Mapping[str, Any], path: str) -> list[Any] | None:
    return [value_at(subject["payload"], path)] if "payload" in subject else None


def _dotted(path: str) -> bool:
    return all(segment.strip() for segment in path.split("."))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _compare(holds):
    def test(value: Any, expected: Any) -> bool:
        left, right = _number(value), _number(expected)
        return left is not None and right is not None and holds(left, right)

    return test


def _exists(value: Any, expected: Any) -> bool:
    return (value is not None) == (expected is not False)


def _selector_check(action: Mapping[str, Any]) -> dict[str, str]:
    if any((action.get("selector") or {}).get(key) for key in SELECTOR_CRITERIA):
        return {}
    return {"selector": f"Pick tickets by {', '.join(SELECTOR_CRITERIA)}."}


def _contact_check(action: Mapping[str, Any]) -> dict[str, str]:
    if action.get("email_path") or action.get("external_id_path"):
        return {}
    return {"email_path": "Say where the contact's email or external id is."}


FIELDS = (
    Field(
        PAYLOAD_FIELD_PREFIX,
        _payload_value,
        triggers=INBOUND,
        accepts=_dotted,
        help=f"{PAYLOAD_FIELD_PREFIX}<dotted.path>",
        path_pattern=f"{_SEGMENT}(?:\\.{_SEGMENT})*",
    ),
)
OPERATORS = (
    Operator("exists", _exists, "exists", triggers=INBOUND),
    Operator("gt", _compare(float.__gt__), "is more than", triggers=INBOUND),
    Operator("gte", _compare(float.__ge__), "is at least", triggers=INBOUND),
    Operator("lt", _compare(float.__lt__), "is less than", triggers=INBOUND),
    Operator("lte", _compare(float.__le__), "is at most", triggers=INBOUND),
)
ACTION_TYPES = (
    ActionType("untag", needs=("tag",), triggers=INBOUND),
    *(
        ActionType(kind, needs=(argument, "selector"), check=_selector_check, triggers=INBOUND)
        for kind, argument in zip(TICKET_ACTION_TYPES, ("status", "priority"), strict=True)
    ),
    ActionType(
        "upsert_contact",
        may=("email_path", "external_id_path", "name_path", "assignee"),
        check=_contact_check,
        triggers=INBOUND,
    ),
    ActionType("trace_note", needs=("note",), triggers=INBOUND),
)


def register() -> None:
    """Register the payload's fields, exists/gt/gte/lt/lte and the inbound-only actions."""
    conditions.vocabulary_register(fields=FIELDS, operators=OPERATORS, action_types=ACTION_TYPES)
