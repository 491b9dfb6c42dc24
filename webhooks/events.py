"""The event catalogue and `emit`, the one call every domain service makes.

`emit` runs inside the caller's transaction and writes the event to the outbox, so an event
exists exactly when the action that caused it committed.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from workspaces.models import Workspace

from .models import WebhookEvent


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    resource_type: str


CATALOGUE: dict[str, EventType] = {
    event.name: event
    for event in (
        EventType("conversation.created", "A new conversation lands in the inbox.", "conversation"),
        EventType("conversation.resolved", "A conversation is marked resolved.", "conversation"),
        EventType("ticket.created", "A new ticket is opened.", "ticket"),
        EventType("ticket.status_changed", "A ticket changes status.", "ticket"),
        EventType("scorecard.created", "A QA grader scores a conversation.", "scorecard"),
        EventType("agent.published", "An AI agent is published or republished.", "agent"),
        EventType(
            "training_attempt.completed", "A trainee finishes a practice call.", "training_attempt"
        ),
        EventType("automation.triggered", "A routing rule fires.", "conversation"),
    )
}
EVENT_TYPES = tuple(CATALOGUE)


class UnknownEventType(ValueError):
    pass


def emit(
    *,
    workspace: Workspace,
    event_type: str,
    resource_id: int | str,
    data: dict[str, Any],
    previous_attributes: dict[str, Any] | None = None,
    resource_type: str | None = None,
) -> WebhookEvent:
    """Record an event in the caller's transaction (the outbox).

    `data` is the resource as the public API shows it; `resource_type` defaults to the
    catalogue's (ordering is per resource, so `automation.triggered` passes the conversation).
    """
    if event_type not in CATALOGUE:
        raise UnknownEventType(f"Unknown event type '{event_type}'.")
    if not transaction.get_connection().in_atomic_block:
        # Without a transaction the event could outlive a failed action, or vice versa.
        raise RuntimeError("emit() must be called inside the transaction of the action.")
    return WebhookEvent.objects.create(
        workspace=workspace,
        event_type=event_type,
        resource_type=resource_type or CATALOGUE[event_type].resource_type,
        resource_id=str(resource_id),
        data=data,
        previous_attributes=previous_attributes,
    )
