"""The event catalogue and `emit`, the one call every domain service makes.

`emit` runs inside the caller's transaction and writes the event to the outbox, so an event
exists exactly when the action that caused it committed.
"""

import functools
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from workspaces.models import Workspace

from .engine.wakeup import request_dispatch
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent, _event_public_id
from .payloads import event_body


class EventType(StrEnum):
    """Every event a service may emit: a typo at a call site fails on import, not at run time."""

    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_RESOLVED = "conversation.resolved"
    TICKET_CREATED = "ticket.created"
    TICKET_STATUS_CHANGED = "ticket.status_changed"
    SCORECARD_CREATED = "scorecard.created"
    AGENT_PUBLISHED = "agent.published"
    TRAINING_ATTEMPT_COMPLETED = "training_attempt.completed"
    AUTOMATION_TRIGGERED = "automation.triggered"


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    description: str
    resource_type: str


def _entry(event_type: EventType, description: str, resource_type: str) -> CatalogueEntry:
    # The catalogue is keyed by the plain string: endpoints store and compare plain strings.
    return CatalogueEntry(str(event_type), description, resource_type)


CATALOGUE: dict[str, CatalogueEntry] = {
    entry.name: entry
    for entry in (
        _entry(
            EventType.CONVERSATION_CREATED, "A new conversation lands in the inbox.", "conversation"
        ),
        _entry(
            EventType.CONVERSATION_RESOLVED, "A conversation is marked resolved.", "conversation"
        ),
        _entry(EventType.TICKET_CREATED, "A new ticket is opened.", "ticket"),
        _entry(EventType.TICKET_STATUS_CHANGED, "A ticket changes status.", "ticket"),
        _entry(EventType.SCORECARD_CREATED, "A QA grader scores a conversation.", "scorecard"),
        _entry(EventType.AGENT_PUBLISHED, "An AI agent is published or republished.", "agent"),
        _entry(
            EventType.TRAINING_ATTEMPT_COMPLETED,
            "A trainee finishes a practice call.",
            "training_attempt",
        ),
        _entry(EventType.AUTOMATION_TRIGGERED, "A routing rule fires.", "conversation"),
    )
}
# Every member has its catalogue entry (description and resource type), and nothing else does.
assert set(CATALOGUE) == {str(event_type) for event_type in EventType}
EVENT_TYPES = tuple(CATALOGUE)


class UnknownEventType(ValueError):
    pass


def emit(
    *,
    workspace: Workspace,
    event_type: EventType | str,
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
    # Stored, signed and compared as the plain string, whichever form the caller passed.
    event_type = CATALOGUE[event_type].name
    if not transaction.get_connection().in_atomic_block:
        # Without a transaction the event could outlive a failed action, or vice versa.
        raise RuntimeError("emit() must be called inside the transaction of the action.")
    now = timezone.now()
    public_id = _event_public_id()
    event = WebhookEvent(
        public_id=public_id,
        workspace=workspace,
        event_type=event_type,
        resource_type=resource_type or CATALOGUE[event_type].resource_type,
        resource_id=str(resource_id),
        data=data,
        previous_attributes=previous_attributes,
        body=event_body(
            public_id=public_id,
            event_type=event_type,
            created_at=now,
            workspace_slug=workspace.slug,
            data=data,
            previous_attributes=previous_attributes,
        ),
        created_at=now,
    )
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        deliveries = _record_in_one_statement(event=event, connection=connection)
    else:
        deliveries = _record_portably(event=event)
    if deliveries:
        nudge_after_commit()
    return event


def _deliveries_of(event: WebhookEvent, endpoints) -> list[WebhookDelivery]:
    return [
        WebhookDelivery(
            event=event,
            endpoint=endpoint,
            workspace_id=event.workspace_id,
            event_type=event.event_type,
            resource_type=event.resource_type,
            resource_id=event.resource_id,
            # Held while the endpoint is paused or disabled (webhooks/health.py).
            status=endpoint.new_delivery_status,
            next_attempt_at=event.created_at,
            created_at=event.created_at,
        )
        for endpoint in endpoints
    ]


def _record_portably(*, event: WebhookEvent) -> int:
    """Save the event and its deliveries with the ORM; return how many deliveries."""
    event.save(force_insert=True)
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            workspace_id=event.workspace_id, deleted_at__isnull=True
        ).only("id", "event_types", "state", "deleted_at")
        # Filtered here rather than in SQL: JSON containment is not portable to SQLite.
        if event.event_type in endpoint.event_types
    ]
    WebhookDelivery.objects.bulk_create(_deliveries_of(event, endpoints))
    return len(endpoints)


def _record_in_one_statement(*, event: WebhookEvent, connection) -> int:
    """Insert the event and one delivery per subscribed endpoint in one round trip.

    What `_record_portably` does in three statements (insert, endpoint lookup, bulk insert),
    on PostgreSQL as one, in the caller's transaction: emit runs inside domain transactions,
    so every round trip it saves is time those hold their locks less. The columns and values
    come from the models (a field added later is written too, with its default).
    """
    sql, event_fields, delivery_fields = _one_statement()
    prototype = _deliveries_of(event, [WebhookEndpoint(id=0)])[0]
    params = [
        field.get_db_prep_save(field.pre_save(event, True), connection) for field in event_fields
    ]
    params += [
        field.get_db_prep_save(getattr(prototype, field.attname), connection)
        for field in delivery_fields
        if field.attname != "status"  # from each endpoint's state, in the SQL
    ]
    params += [event.workspace_id, json.dumps([event.event_type])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        event.id, deliveries = cursor.fetchone()
    event._state.adding = False
    event._state.db = connection.alias
    return deliveries


@functools.cache
def _one_statement() -> tuple[str, list, list]:
    """Return the SQL of `_record_in_one_statement` and the fields it writes, in order."""
    event_fields = [field for field in WebhookEvent._meta.concrete_fields if not field.primary_key]
    delivery_fields = [
        field
        for field in WebhookDelivery._meta.concrete_fields
        if not field.primary_key and field.attname not in ("event_id", "endpoint_id")
    ]
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    event_columns = ", ".join(quote(field.column) for field in event_fields)
    delivery_columns = ", ".join(quote(field.column) for field in delivery_fields)
    # Typed: in a SELECT list a bare NULL or string would not take the column's type.
    delivery_values = ", ".join(_delivery_value(field, connection) for field in delivery_fields)
    sql = f"""
        WITH event AS (
            INSERT INTO {quote(WebhookEvent._meta.db_table)} ({event_columns})
            VALUES ({", ".join(["%s"] * len(event_fields))}) RETURNING id
        ), deliveries AS (
            INSERT INTO {quote(WebhookDelivery._meta.db_table)}
                ({quote("event_id")}, {quote("endpoint_id")}, {delivery_columns})
            SELECT event.id, endpoint.id, {delivery_values}
            FROM event, {quote(WebhookEndpoint._meta.db_table)} AS endpoint
            WHERE endpoint.workspace_id = %s AND endpoint.deleted_at IS NULL
                AND endpoint.event_types @> %s::jsonb
            ORDER BY endpoint.id
            RETURNING 1
        )
        SELECT (SELECT id FROM event), (SELECT count(*) FROM deliveries)
    """
    return sql, event_fields, delivery_fields


def _delivery_value(field, connection) -> str:
    """Return the SELECT-list expression of one delivery column in `_one_statement`."""
    if field.attname == "status":
        # Held while the endpoint is paused or disabled (webhooks/health.py).
        return (
            f"CASE WHEN endpoint.state = '{WebhookEndpoint.State.ACTIVE}' "
            f"THEN '{WebhookDelivery.Status.PENDING}' ELSE '{WebhookDelivery.Status.HELD}' END"
        )
    return f"CAST(%s AS {field.cast_db_type(connection)})"


def nudge_after_commit() -> None:
    """Ask for a dispatch once the transaction commits, once per transaction."""
    connection = transaction.get_connection()
    hooks = connection.run_on_commit
    # Django replaces this list after each commit or rollback, so its identity tells whether
    # this transaction already holds a nudge (20,000 emits should not mean 20,000 nudges).
    if getattr(connection, "_webhooks_nudge_hooks", None) is hooks and hooks:
        return
    connection._webhooks_nudge_hooks = hooks
    transaction.on_commit(request_dispatch)
