import json

import pytest

from inbound.services import trigger_create
from tests.factories import ConversationFactory, MembershipFactory

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


@pytest.fixture
def conversation(workspace):
    return ConversationFactory(workspace=workspace, external_id="shop-order-42")


@pytest.fixture
def member(workspace):
    """A support user of `workspace`, who can be assigned contacts."""
    return MembershipFactory(workspace=workspace, role="support").user


@pytest.fixture
def tag_trigger(workspace):
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
