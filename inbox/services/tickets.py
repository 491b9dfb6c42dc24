"""Tickets: create and update, linked to the conversation they follow up."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from webhooks.events import EventType, emit
from workspaces.models import Workspace

from ..models import Conversation, Priority, Ticket, TraceEntry
from ..representations import ticket_data
from ..selectors import ticket_with_tags
from .common import UNSET, tags_resolve
from .trace import trace_entry_append


def _trace_link(*, ticket: Ticket, conversation: Conversation, actor: str) -> None:
    trace_entry_append(
        conversation=conversation,
        kind=TraceEntry.Kind.TICKET_LINKED,
        actor=actor,
        details={"ticket_id": ticket.pk, "subject": ticket.subject, "status": ticket.status},
    )


@transaction.atomic
def ticket_create(
    *,
    workspace: Workspace,
    subject: str,
    actor: str,
    description: str = "",
    priority: str = Priority.NORMAL,
    status: str = Ticket.Status.OPEN,
    conversation: Conversation | None = None,
    tags: list[str] | None = None,
) -> Ticket:
    """Open a ticket, trace it on its conversation and emit `ticket.created`."""
    ticket = Ticket.objects.create(
        workspace=workspace,
        subject=subject,
        description=description,
        priority=priority,
        status=status,
        conversation=conversation,
    )
    if tags:
        ticket.tags.set(tags_resolve(workspace=workspace, names=tags))
    if conversation is not None:
        _trace_link(ticket=ticket, conversation=conversation, actor=actor)
    emit(
        workspace=workspace,
        event_type=EventType.TICKET_CREATED,
        resource_id=ticket.pk,
        data=ticket_data(ticket_with_tags(ticket=ticket)),
    )
    return ticket


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: str,
    subject: str | Any = UNSET,
    description: str | Any = UNSET,
    priority: str | Any = UNSET,
    status: str | Any = UNSET,
    conversation: Conversation | None | Any = UNSET,
    tags: list[str] | Any = UNSET,
) -> Ticket:
    """Change a ticket; a new status emits `ticket.status_changed` with the previous one."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    previous_status = ticket.status
    changes = {
        "subject": subject,
        "description": description,
        "priority": priority,
        "status": status,
        "conversation": conversation,
    }
    changed = [
        field
        for field, value in changes.items()
        if value is not UNSET and getattr(ticket, field) != value
    ]
    for field in changed:
        setattr(ticket, field, changes[field])
    if tags is not UNSET:
        wanted = tags_resolve(workspace=ticket.workspace, names=tags)
        if {tag.name for tag in wanted} != set(ticket.tags.values_list("name", flat=True)):
            ticket.tags.set(wanted)
            changed.append("tags")
    if not changed:
        return ticket
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=[field for field in changed if field != "tags"] + ["updated_at"])
    if "conversation" in changed and ticket.conversation is not None:
        _trace_link(ticket=ticket, conversation=ticket.conversation, actor=actor)
    if "status" in changed:
        if ticket.conversation is not None:
            trace_entry_append(
                conversation=ticket.conversation,
                kind=TraceEntry.Kind.TICKET_STATUS_CHANGED,
                actor=actor,
                details={"ticket_id": ticket.pk, "from": previous_status, "to": ticket.status},
            )
        emit(
            workspace=ticket.workspace,
            event_type=EventType.TICKET_STATUS_CHANGED,
            resource_id=ticket.pk,
            data=ticket_data(ticket_with_tags(ticket=ticket)),
            previous_attributes={"status": previous_status},
        )
    return ticket
