"""The JSON body of an event, serialised once, and an example per event type."""

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event_body(
    *,
    public_id: str,
    event_type: str,
    created_at: datetime,
    workspace_slug: str,
    data: dict[str, Any],
    previous_attributes: dict[str, Any] | None = None,
    test: bool = False,
) -> str:
    """Return the exact JSON text sent for an event (`"test": true` for a test event)."""
    body: dict[str, Any] = {
        "id": public_id,
        "type": event_type,
        "created_at": _timestamp(created_at),
        "workspace": workspace_slug,
        "data": data,
    }
    if previous_attributes is not None:
        body["previous_attributes"] = previous_attributes
    if test:
        body["test"] = True
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


_CONVERSATION = {
    "id": 1042,
    "external_id": "zendesk-88213",
    "channel": "chat",
    "subject": "Where is my order?",
    "status": "open",
    "priority": "normal",
    "contact": 311,
    "assignee": None,
    "tags": ["orders"],
    "custom_attributes": {"order_id": "5521"},
    "started_at": "2026-11-27T09:13:40Z",
    "resolved_at": None,
    "created_at": "2026-11-27T09:14:03Z",
    "updated_at": "2026-11-27T09:14:03Z",
}
_TICKET = {
    "id": 88,
    "subject": "Refund for order #5521",
    "description": "Parcel arrived damaged.",
    "priority": "normal",
    "status": "open",
    "conversation": 1042,
    "tags": ["refund"],
    "created_at": "2026-11-27T09:20:11Z",
    "updated_at": "2026-11-27T09:20:11Z",
}

# Each type's `data` and `previous_attributes` have exactly the shape the domain emits
# (tests/webhooks/test_catalogue_examples.py holds them to it).
EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "conversation.created": (_CONVERSATION, None),
    "conversation.resolved": (
        {
            **_CONVERSATION,
            "status": "resolved",
            "resolved_at": "2026-11-27T09:41:00Z",
            "updated_at": "2026-11-27T09:41:00Z",
        },
        {"status": "open", "resolved_at": None},
    ),
    "ticket.created": (_TICKET, None),
    "ticket.status_changed": (
        {**_TICKET, "status": "pending", "updated_at": "2026-11-27T09:25:30Z"},
        {"status": "open"},
    ),
    "scorecard.created": (
        {
            "id": 5120,
            "conversation": 1042,
            "grader": "qa-lead@example.com",
            "total_score": 92.0,
            "criteria": {"empathy": 4.5, "resolution": 5.0},
            "comment": "Clear and kind.",
            "created_at": "2026-11-27T10:02:45Z",
        },
        None,
    ),
    "agent.published": (
        {
            "id": 7,
            "name": "Returns assistant",
            "description": "Handles returns and refunds.",
            "status": "published",
            "configuration": {"prompt": "Be helpful and brief."},
            "published_version": 12,
            "published_at": "2026-11-27T08:00:00Z",
            "created_at": "2026-10-02T14:11:09Z",
            "updated_at": "2026-11-27T08:00:00Z",
            "tools": [
                {
                    "id": 31,
                    "version": 4,
                    "name": "lookup_order",
                    "description": "Look up an order by its number.",
                    "input_schema": {
                        "type": "object",
                        "required": ["order_id"],
                        "properties": {"order_id": {"type": "string"}},
                    },
                    "method": "GET",
                    "url_template": "https://shop.example.com/api/orders/{order_id}",
                    "query_arguments": [],
                    "body_arguments": [],
                    "body_argument": "",
                    "headers": {},
                    "auth": "bearer",
                    "auth_header_name": "",
                    "timeout_seconds": 5.0,
                    "max_response_bytes": 16384,
                }
            ],
        },
        None,
    ),
    "training_attempt.completed": (
        {
            "id": 240,
            "trainee": "sam@example.com",
            "scenario": "Angry customer, late delivery",
            "status": "completed",
            "score": 81.0,
            "feedback": "Acknowledge the delay first.",
            "started_at": "2026-11-27T11:18:02Z",
            "completed_at": "2026-11-27T11:30:00Z",
            "created_at": "2026-11-27T11:18:02Z",
        },
        {"status": "in_progress"},
    ),
    # The rule that fired, what it did, and the conversation as it left it. Routing rules
    # also give the changed attributes' earlier values; inbound rules have no
    # previous_attributes (and may have no conversation, changing tickets instead).
    "automation.triggered": (
        {
            "rule": {"id": 7, "name": "VIP customers first"},
            "inbound_trigger": None,
            "conversation": {
                **_CONVERSATION,
                "priority": "high",
                "updated_at": "2026-11-27T09:14:04Z",
            },
            "changes": [
                {"action": "set_priority", "conversation_id": 1042, "from": "normal", "to": "high"}
            ],
            "capped": False,
        },
        {"priority": "normal"},
    ),
}


def example_body(*, event_type: str) -> dict[str, Any]:
    """Return an example body of `event_type`, as a consumer would receive it."""
    data, previous_attributes = EXAMPLES[event_type]
    body = {
        "id": "evt_5f1c0e4a9b2d7c3e8a6f1b0d",
        "type": event_type,
        "created_at": "2026-11-27T09:14:05Z",
        "workspace": "acme",
        "data": data,
    }
    if previous_attributes is not None:
        body["previous_attributes"] = previous_attributes
    return body
