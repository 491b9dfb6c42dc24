"""What a fired inbound rule does: one function per action type, and the tickets a selector picks.

Conversation actions (tag, untag, assign, set_priority, trace_note) act on the conversation the
payload names; ticket actions change at most `max_tickets_for(rule)` tickets per firing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from inbox import services as inbox
from inbox.models import Conversation, RoutingRule, Ticket
from workspaces.models import Membership

from .payloads import value_at
from .rule_vocabulary import TICKET_ACTION_TYPES

# A selector with no status list picks the tickets still being worked on.
DEFAULT_TICKET_STATUSES = [Ticket.Status.OPEN.value, Ticket.Status.PENDING.value]
CONVERSATION_ACTION_TYPES = ("tag", "untag", "assign", "set_priority", "trace_note")


def _text(payload: Any, path: str) -> str:
    value = value_at(payload, path) if path else None
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def max_tickets_for(rule: RoutingRule) -> int:
    """Return the most tickets one firing of the rule may change."""
    return rule.max_tickets or settings.OMNIFLOW_INBOUND_RULE_MAX_TICKETS


def tickets_selected(
    *,
    rule: RoutingRule,
    selector: dict[str, Any],
    payload: Any,
    conversation: Conversation | None,
    now=None,
):
    """Return the workspace's tickets a selector picks, oldest first (a queryset, unbounded)."""
    tickets = Ticket.objects.filter(
        workspace_id=rule.workspace_id,
        status__in=selector.get("statuses") or DEFAULT_TICKET_STATUSES,
    )
    tag = selector.get("tag") or _text(payload, selector.get("tag_path", ""))
    if selector.get("tag") or selector.get("tag_path"):
        if not tag:
            return Ticket.objects.none()
        # A ticket carries the tag, or belongs to a conversation that does.
        tickets = tickets.filter(tags__name=tag) | tickets.filter(conversation__tags__name=tag)
    if selector.get("attribute"):
        expected = selector.get("attribute_value")
        if selector.get("attribute_value_path"):
            expected = value_at(payload, selector["attribute_value_path"])
        if expected is None:
            return Ticket.objects.none()
        tickets = tickets.filter(
            **{f"conversation__custom_attributes__{selector['attribute']}": expected}
        )
    if selector.get("conversation"):
        if conversation is None:
            return Ticket.objects.none()
        tickets = tickets.filter(conversation_id=conversation.pk)
    if selector.get("open_since_minutes"):
        since = (now or timezone.now()) - timedelta(minutes=int(selector["open_since_minutes"]))
        tickets = tickets.filter(created_at__gte=since)
    return tickets.distinct().order_by("id")


def _member(rule: RoutingRule, user_id: int | None):
    """Return the workspace member with this id (None for a user who left or never was)."""
    membership = (
        Membership.objects.select_related("user")
        .filter(workspace_id=rule.workspace_id, user_id=user_id)
        .first()
    )
    return membership.user if membership else None


@dataclass
class _Firing:
    """One firing of a rule: what its actions read, and whether the ticket cap cut one short."""

    rule: RoutingRule
    payload: Any
    conversation: Conversation | None
    actor: str
    cap: int
    capped: bool = False


Change = dict[str, Any] | None


def _tag(firing: _Firing, action: dict[str, Any]) -> Change:
    conversation, kind = firing.conversation, action["type"]
    current = sorted(conversation.tags.values_list("name", flat=True))
    wanted = (
        sorted(set(current) | {action["tag"]})
        if kind == "tag"
        else [name for name in current if name != action["tag"]]
    )
    if wanted == current:
        return None
    inbox.conversation_update(conversation=conversation, actor=firing.actor, tags=wanted)
    return {"action": kind, "conversation_id": conversation.pk, "tag": action["tag"]}


def _assign(firing: _Firing, action: dict[str, Any]) -> Change:
    conversation = firing.conversation
    assignee = action.get("assignee")
    user = _member(firing.rule, assignee) if assignee is not None else None
    if assignee is not None and user is None:
        # The user left the workspace after the rule was written: never assign them.
        return None
    if conversation.assignee_id == assignee:
        return None
    previous = conversation.assignee_id
    inbox.conversation_update(conversation=conversation, actor=firing.actor, assignee=user)
    return {
        "action": action["type"],
        "conversation_id": conversation.pk,
        "from": previous,
        "to": assignee,
    }


def _set_priority(firing: _Firing, action: dict[str, Any]) -> Change:
    conversation = firing.conversation
    if conversation.priority == action["priority"]:
        return None
    previous = conversation.priority
    inbox.conversation_update(
        conversation=conversation, actor=firing.actor, priority=action["priority"]
    )
    return {
        "action": action["type"],
        "conversation_id": conversation.pk,
        "from": previous,
        "to": action["priority"],
    }


def _change_tickets(firing: _Firing, action: dict[str, Any]) -> Change:
    kind = action["type"]
    field = "status" if kind == "set_ticket_status" else "priority"
    target = action[field]
    selected = tickets_selected(
        rule=firing.rule,
        selector=action.get("selector") or {},
        payload=firing.payload,
        conversation=firing.conversation,
    ).exclude(**{field: target})
    # One more than the cap tells whether the cap cut the selection short.
    picked = list(selected[: firing.cap + 1])
    if len(picked) > firing.cap:
        firing.capped = True
        picked = picked[: firing.cap]
    changed_ids = [
        inbox.ticket_update(ticket=ticket, actor=firing.actor, **{field: target}).pk
        for ticket in picked
    ]
    return {"action": kind, "to": target, "ticket_ids": changed_ids}


def _upsert_contact(firing: _Firing, action: dict[str, Any]) -> Change:
    kind, payload = action["type"], firing.payload
    email = _text(payload, action.get("email_path", ""))
    external_id = _text(payload, action.get("external_id_path", ""))
    if not email and not external_id:
        return {"action": kind, "skipped": "no email or external id"}
    fields: dict[str, Any] = {}
    if action.get("name_path"):
        fields["name"] = _text(payload, action["name_path"])[:200]
    user = _member(firing.rule, action.get("assignee")) if action.get("assignee") else None
    if user is not None:
        fields["assignee"] = user
    contact, created = inbox.contact_upsert(
        workspace=firing.rule.workspace, email=email, external_id=external_id, **fields
    )
    return {
        "action": kind,
        "contact_id": contact.pk,
        "created": created,
        "assignee_id": contact.assignee_id,
    }


def _trace_note(firing: _Firing, action: dict[str, Any]) -> Change:
    conversation = firing.conversation
    entry = inbox.trace_event_record(
        conversation=conversation,
        name="inbound.note",
        actor=firing.actor,
        details={"note": action["note"], "rule_id": firing.rule.pk},
    )
    return {
        "action": action["type"],
        "conversation_id": conversation.pk,
        "trace_entry_id": entry.pk,
    }


_ACTIONS: dict[str, Callable[[_Firing, dict[str, Any]], Change]] = {
    "tag": _tag,
    "untag": _tag,
    "assign": _assign,
    "set_priority": _set_priority,
    **{kind: _change_tickets for kind in TICKET_ACTION_TYPES},
    "upsert_contact": _upsert_contact,
    "trace_note": _trace_note,
}


def rule_fire(
    *, rule: RoutingRule, payload: Any, conversation: Conversation | None, actor: str
) -> dict[str, Any]:
    """Run a matched rule's actions; return what changed (and whether the ticket cap was hit)."""
    firing = _Firing(
        rule=rule,
        payload=payload,
        conversation=conversation,
        actor=actor,
        cap=max_tickets_for(rule),
    )
    changes: list[dict[str, Any]] = []
    for action in rule.actions:
        kind = action["type"]
        if kind in CONVERSATION_ACTION_TYPES and conversation is None:
            changes.append({"action": kind, "skipped": "the payload names no conversation"})
            continue
        run = _ACTIONS.get(kind)
        change = run(firing, action) if run is not None else None
        if change is not None:
            changes.append(change)
    return {"changes": changes, "capped": firing.capped, "max_tickets": firing.cap}
