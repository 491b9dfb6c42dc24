"""The conversation trace: entries are only ever appended."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import Conversation, TraceEntry


def trace_entry_append(
    *,
    conversation: Conversation,
    kind: str,
    actor: str,
    details: dict[str, Any],
    occurred_at: datetime | None = None,
) -> TraceEntry:
    """Append an entry to a conversation's trace (in the caller's transaction)."""
    return TraceEntry.objects.create(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        kind=kind,
        actor=actor,
        details=details,
        occurred_at=occurred_at or timezone.now(),
    )


@transaction.atomic
def trace_event_record(
    *,
    conversation: Conversation,
    name: str,
    actor: str,
    details: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> TraceEntry:
    """Record a custom event (e.g. from an inbound webhook) on a conversation's trace."""
    return trace_entry_append(
        conversation=conversation,
        kind=TraceEntry.Kind.CUSTOM_EVENT,
        actor=actor,
        details={"name": name, **({"data": details} if details else {})},
        occurred_at=occurred_at,
    )
