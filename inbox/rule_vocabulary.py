"""What every routing rule may use: the conversation's fields, four operators, three actions.

Registered with the one rule evaluator (`omniflow.conditions`) in InboxConfig.ready(); rules
of trigger `inbound` add the payload's fields and more (`inbound/rule_vocabulary.py`).
A conversation rule is evaluated on `{"conversation": …, "tag_names": […]}`.
"""

from collections.abc import Mapping
from typing import Any

from omniflow import conditions
from omniflow.api.fields import PYTHON_SPACES
from omniflow.conditions import ActionType, Field, Operator, same

CONVERSATION_FIELDS = ("channel", "status", "priority", "subject", "tag", "contact_email")
ATTRIBUTE_FIELD_PREFIX = "custom_attributes."


def _conversation_field(subject: Mapping[str, Any], name: str) -> list[Any] | None:
    conversation = subject.get("conversation")
    if conversation is None:
        return None  # e.g. an inbound event that names no conversation
    if name == "tag":
        return list(subject["tag_names"])
    if name == "contact_email":
        return [conversation.contact.email if conversation.contact_id else ""]
    return [getattr(conversation, name)]


def _custom_attribute(subject: Mapping[str, Any], key: str) -> list[Any] | None:
    conversation = subject.get("conversation")
    return None if conversation is None else [conversation.custom_attributes.get(key)]


def _other(value: Any, expected: Any) -> bool:
    return not same(value, expected)


def _contains(value: Any, expected: Any) -> bool:
    if isinstance(value, list):
        return any(same(item, expected) for item in value)
    return isinstance(value, str) and str(expected).lower() in value.lower()


def _one_of(value: Any, expected: Any) -> bool:
    return (
        isinstance(expected, list)
        and not isinstance(value, dict | list)
        and any(same(value, item) for item in expected)
    )


FIELDS = (
    *(Field(name, _conversation_field) for name in CONVERSATION_FIELDS),
    Field(
        ATTRIBUTE_FIELD_PREFIX,
        _custom_attribute,
        help=f"{ATTRIBUTE_FIELD_PREFIX}<key>",
        # Any key that is not blank once the field is stripped.
        path_pattern=f"[\\s\\S]*[^{PYTHON_SPACES}][{PYTHON_SPACES}]*",
    ),
)
OPERATORS = (
    Operator("equals", same, "is"),
    Operator("not_equals", _other, "is not", every_value=True),
    Operator("contains", _contains, "contains"),
    Operator("in", _one_of, "is one of", takes_list=True),
)
ACTION_TYPES = (
    ActionType("assign", needs=("assignee",)),
    ActionType("tag", needs=("tag",)),
    ActionType("set_priority", needs=("priority",)),
)


def register() -> None:
    """Register the conversation's fields, the four operators and the conversation actions."""
    conditions.vocabulary_register(fields=FIELDS, operators=OPERATORS, action_types=ACTION_TYPES)
