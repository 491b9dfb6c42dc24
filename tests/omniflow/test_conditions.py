"""The one rule evaluator: what each operator means, on the fields the apps registered."""

from types import SimpleNamespace

import pytest

from omniflow import conditions
from omniflow.conditions import Operator


def _conversation(**fields):
    defaults = {"channel": "email", "contact_id": None, "custom_attributes": {}}
    return SimpleNamespace(**{**defaults, **fields})


def _holds(field, operator, value, *, payload=None, tags=(), **conversation):
    subject = {"conversation": _conversation(**conversation), "tag_names": list(tags)}
    if payload is not None:
        subject["payload"] = payload
    condition = {"field": field, "operator": operator, "value": value}
    return conditions.condition_holds(condition, subject)


@pytest.mark.parametrize(
    ("value", "expected", "holds"),
    [
        ("gold", ["gold", "silver"], True),
        ("gol", ["gold"], False),
        ("a", "abc", False),  # never a substring test, though a stored value were a string
        (True, [1], False),  # a boolean is not a number
        (1, [1.0], True),
        (["gold"], ["gold"], False),  # a list is one of no scalars
        (None, [None], True),
    ],
)
def test_in_holds_when_the_value_is_one_of_the_list(value, expected, holds):
    payload = {"plan": value}

    assert _holds("payload.plan", "in", expected, payload=payload) is holds


@pytest.mark.parametrize(
    ("value", "expected", "holds"),
    [
        ("Refund for order 42", "REFUND", True),
        (["sso", "api"], "sso", True),
        (["ssox"], "sso", False),
        ([1], True, False),
        (42, 4, False),
    ],
)
def test_contains_is_a_substring_of_text_or_an_item_of_a_list(value, expected, holds):
    attributes = {"x": value}

    assert (
        _holds("custom_attributes.x", "contains", expected, custom_attributes=attributes) is holds
    )


def test_not_equals_on_tags_means_no_tag_is_the_value_and_equals_one_is():
    assert _holds("tag", "not_equals", "vip", tags=["billing"]) is True
    assert _holds("tag", "not_equals", "vip", tags=["billing", "vip"]) is False
    assert _holds("tag", "equals", "vip", tags=["billing", "vip"]) is True
    assert _holds("tag", "in", ["vip", "gold"], tags=["billing", "vip"]) is True


def test_a_condition_on_the_conversation_fails_when_there_is_none():
    subject = {"payload": {}, "conversation": None, "tag_names": []}
    condition = {"field": "tag", "operator": "not_equals", "value": "vip"}

    assert conditions.condition_holds(condition, subject) is False


def test_unknown_fields_operators_and_a_payload_on_a_conversation_rule_never_hold():
    assert _holds("mood", "equals", "x") is False
    assert _holds("channel", "like", "email") is False
    assert _holds("payload.a", "exists", True) is False, "a conversation rule has no payload"


def test_numbers_compare_only_with_numbers():
    assert _holds("payload.total", "gt", 100, payload={"total": "120.5"}) is True
    assert _holds("payload.total", "gt", 0, payload={"total": True}) is False
    assert _holds("payload.total", "lte", 1, payload={}) is False


def test_every_app_registers_its_own_and_inbound_ones_are_for_inbound_rules_only():
    on_conversations = {o.name for o in conditions.operators(trigger="created")}
    on_inbound = [o.name for o in conditions.operators(trigger="inbound")]
    inbound_only = ["exists", "gt", "gte", "lt", "lte"]

    assert on_conversations == {"equals", "not_equals", "contains", "in"}
    assert on_inbound == ["equals", "not_equals", "contains", "in", *inbound_only]
    assert "untag" not in {kind.name for kind in conditions.action_types(trigger="any")}
    assert conditions.field_get("payload.a..b") is None, "a path has no empty segment"


def test_a_name_is_registered_once():
    equals = conditions.operator_get("equals")

    conditions.operator_register(equals)  # the same again (a ready() run twice) is no change
    with pytest.raises(ValueError, match="registered already"):
        conditions.operator_register(Operator("equals", lambda value, expected: True, "is"))
