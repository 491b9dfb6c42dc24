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
) -> str:
    """Return the exact JSON text sent for an event."""
    body: dict[str, Any] = {
        "id": public_id,
        "type": event_type,
        "created_at": _timestamp(created_at),
        "workspace": workspace_slug,
        "data": data,
    }
    if previous_attributes is not None:
        body["previous_attributes"] = previous_attributes
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


_CONVERSATION = {
    "id": 1042,
    "object": "conversation",
    "channel": "chat",
    "status": "open",
    "subject": "Where is my order?",
    "contact": {"id": 311, "email": "ada@example.com"},
    "created_at": "2026-11-27T09:14:03Z",
}
_TICKET = {
    "id": 88,
    "object": "ticket",
    "title": "Refund for order #5521",
    "status": "open",
    "priority": "normal",
    "conversation": 1042,
    "created_at": "2026-11-27T09:20:11Z",
}

EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "conversation.created": (_CONVERSATION, None),
    "conversation.resolved": (
        {**_CONVERSATION, "status": "resolved", "resolved_at": "2026-11-27T09:41:00Z"},
        {"status": "open", "resolved_at": None},
    ),
    "ticket.created": (_TICKET, None),
    "ticket.status_changed": ({**_TICKET, "status": "pending"}, {"status": "open"}),
    "scorecard.created": (
        {
            "id": 5120,
            "object": "scorecard",
            "conversation": 1042,
            "score": 92,
            "grader": "qa-bot",
            "created_at": "2026-11-27T10:02:45Z",
        },
        None,
    ),
    "agent.published": (
        {
            "id": 7,
            "object": "agent",
            "name": "Returns assistant",
            "version": 12,
            "published_at": "2026-11-27T08:00:00Z",
        },
        None,
    ),
    "training_attempt.completed": (
        {
            "id": 240,
            "object": "training_attempt",
            "trainee": {"id": 19, "email": "sam@example.com"},
            "scenario": "Angry customer, late delivery",
            "score": 81,
            "completed_at": "2026-11-27T11:30:00Z",
        },
        None,
    ),
    "automation.triggered": (
        {
            "id": 3301,
            "object": "automation_run",
            "rule": {"id": 12, "name": "VIP to priority queue"},
            "conversation": 1042,
            "triggered_at": "2026-11-27T09:14:04Z",
        },
        None,
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
