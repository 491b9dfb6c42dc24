"""Inbound triggers as the tests make them and the POSTs a sender makes to their URLs."""

import copy
import json

from inbound.presets import RULE_PRESETS
from inbound.services import trigger_create
from inbox.models import TraceEntry

ORDER_SCHEMA = {
    "type": "object",
    "required": ["order"],
    "properties": {
        "order": {
            "type": "object",
            "required": ["conversation_id", "status"],
            "properties": {
                "conversation_id": {"type": "string"},
                "status": {"type": "string", "enum": ["shipped", "delivered"]},
            },
        }
    },
}


def make_tag_trigger(workspace):
    """Create the "order shipped" trigger that tags the conversation an order names."""
    return trigger_create(
        workspace=workspace,
        created_by=None,
        name="Shop: order shipped",
        resource="conversation",
        payload_schema=ORDER_SCHEMA,
        conversation_path="order.conversation_id",
        tags=["shipped"],
    )


def post_json(client, trigger, payload, **extra):
    """POST a payload to the trigger's real URL with the Django test client."""
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    content_type = extra.pop("content_type", "application/json")
    return client.post(trigger.receive_path, body, content_type=content_type, **extra)


RULES = "/api/v1/routing-rules"


def rule_preset(key: str) -> dict:
    return copy.deepcopy(RULE_PRESETS[key])


def trigger_from_preset(workspace, key: str, **overrides):
    preset = rule_preset(key)
    return trigger_create(
        workspace=workspace,
        created_by=None,
        name=preset["label"],
        **{**preset["trigger"], **overrides},
    )


def rule_from_preset(api_client, trigger, key: str, **overrides):
    """Save a preset's rule through the API, as an admin who picked it would."""
    body = {**rule_preset(key)["rule"], "inbound_trigger": trigger.pk, **overrides}
    response = api_client.post(RULES, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


SHIPPED = {"order": {"conversation_id": "shop-order-42", "status": "shipped"}}


def trace_of(conversation, kind):
    return list(TraceEntry.objects.filter(conversation=conversation, kind=kind))


def make_contact_trigger(workspace, assignee):
    return trigger_create(
        workspace=workspace,
        created_by=None,
        name="Website form",
        resource="contact",
        payload_schema={
            "type": "object",
            "required": ["email"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                # Declared: a path must be in the shape (issue 13).
                "profile": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        },
        contact_email_path="email",
        contact_name_path="profile.name",
        assignee=assignee,
    )


def event_trigger(workspace, **overrides):
    """Create a custom-event trigger (the action with the least to configure)."""
    config = {
        "name": "Shop",
        "resource": "custom_event",
        "payload_schema": {},
        "conversation_path": "conversation_id",
        "event_name": "order.shipped",
        **overrides,
    }
    return trigger_create(workspace=workspace, created_by=None, **config)
