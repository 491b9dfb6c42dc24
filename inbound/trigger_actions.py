"""The four actions a trigger runs, each through the inbox services (traces, events)."""

from typing import Any

from django.db import transaction

from inbox import services as inbox
from inbox.models import Conversation, Ticket

from .models import InboundTrigger
from .payloads import value_at

Action = InboundTrigger.Action
# Tickets still being worked on; escalating a resolved or closed one would reopen it.
ESCALATABLE_STATUSES = (Ticket.Status.OPEN, Ticket.Status.PENDING)


class ActionRefused(Exception):
    """The payload is valid but names something that cannot be acted on (answered 422)."""

    def __init__(self, type_: str, detail: str, field: str = "") -> None:
        super().__init__(detail)
        self.type_ = type_
        self.detail = detail
        self.field = field


def actor_for_trigger(trigger: InboundTrigger) -> str:
    """Return the trace label of an inbound trigger acting."""
    return f"inbound_trigger:{trigger.public_id}"


def _conversation(trigger: InboundTrigger, payload: Any) -> Conversation:
    """Return the workspace's conversation the payload names, locked, or refuse."""
    value = value_at(payload, trigger.conversation_path)
    conversations = Conversation.objects.select_for_update(of=("self",)).filter(
        workspace_id=trigger.workspace_id
    )
    path = trigger.conversation_path
    if value is None or isinstance(value, dict | list | bool):
        raise ActionRefused("conversation_not_found", f"No conversation id at '{path}'.", path)
    if trigger.conversation_match == InboundTrigger.ConversationMatch.ID:
        try:
            conversation = conversations.filter(pk=int(value)).first()
        except (TypeError, ValueError, OverflowError):
            conversation = None
    else:
        conversation = conversations.filter(external_id=str(value).strip()).first()
    if conversation is None:
        raise ActionRefused(
            "conversation_not_found",
            f"No conversation with {trigger.conversation_match} '{value}' in this workspace.",
            path,
        )
    return conversation


def _tag_conversation(trigger: InboundTrigger, payload: Any, actor: str) -> dict[str, Any]:
    conversation = _conversation(trigger, payload)
    current = set(conversation.tags.values_list("name", flat=True))
    inbox.conversation_update(
        conversation=conversation, actor=actor, tags=sorted(current | set(trigger.tags))
    )
    return {"conversation_id": conversation.pk, "tags_added": sorted(set(trigger.tags) - current)}


def _escalate_tickets(trigger: InboundTrigger, payload: Any, actor: str) -> dict[str, Any]:
    conversation = _conversation(trigger, payload)
    tickets = Ticket.objects.filter(
        workspace_id=trigger.workspace_id,
        conversation=conversation,
        status__in=ESCALATABLE_STATUSES,
    ).order_by("id")
    escalated = [
        inbox.ticket_update(ticket=ticket, actor=actor, status=Ticket.Status.ESCALATED).pk
        for ticket in tickets
    ]
    return {"conversation_id": conversation.pk, "tickets_escalated": escalated}


def _text_at(payload: Any, path: str) -> str:
    value = value_at(payload, path) if path else None
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _create_contact(trigger: InboundTrigger, payload: Any, _actor: str) -> dict[str, Any]:
    # Every runner takes the same arguments; a contact upsert is not traced, so needs no actor.
    email = _text_at(payload, trigger.contact_email_path)
    external_id = _text_at(payload, trigger.contact_external_id_path)
    if not email and not external_id:
        paths = " or ".join(
            path for path in (trigger.contact_email_path, trigger.contact_external_id_path) if path
        )
        raise ActionRefused("contact_unidentified", f"No email or external id at {paths}.")
    fields: dict[str, Any] = {}
    if trigger.contact_name_path:
        fields["name"] = _text_at(payload, trigger.contact_name_path)[:200]
    if trigger.assignee_id is not None:
        fields["assignee"] = trigger.assignee
    contact, created = inbox.contact_upsert(
        workspace=trigger.workspace, email=email, external_id=external_id, **fields
    )
    return {"contact_id": contact.pk, "created": created, "assignee_id": contact.assignee_id}


def _record_event(trigger: InboundTrigger, payload: Any, actor: str) -> dict[str, Any]:
    conversation = _conversation(trigger, payload)
    entry = inbox.trace_event_record(
        conversation=conversation,
        name=trigger.event_name,
        actor=actor,
        details=payload if isinstance(payload, dict) else {"payload": payload},
    )
    return {"conversation_id": conversation.pk, "trace_entry_id": entry.pk}


_RUNNERS = {
    Action.TAG_CONVERSATION: _tag_conversation,
    Action.ESCALATE_TICKETS: _escalate_tickets,
    Action.CREATE_CONTACT: _create_contact,
    Action.RECORD_EVENT: _record_event,
    # The rules do the work (inbound_rules_apply runs after the action).
    Action.RUN_RULES: lambda _trigger, _payload, _actor: {},
}


@transaction.atomic
def action_run(*, trigger: InboundTrigger, payload: Any) -> dict[str, Any]:
    """Run the trigger's action on a valid payload in one transaction; return what it did."""
    return _RUNNERS[trigger.action](trigger, payload, actor_for_trigger(trigger))
