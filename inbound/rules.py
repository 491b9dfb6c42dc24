"""Routing rules fired by inbound events: conditions on the payload, actions on what it names.

A rule with trigger `inbound` listens to one inbound trigger (or all of the workspace's) and,
optionally, one custom event name. Its conditions read the payload by path
(`payload.<dotted.path>`) alongside the fields of the conversation the payload names; its actions
tag or untag that conversation, change the tickets a selector picks, assign, create or update a
contact, or add a trace note. Every firing is traced and emits `automation.triggered` in the
caller's transaction; a dry run runs the same code in a transaction that is rolled back.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from inbox import services as inbox
from inbox.models import Conversation, RoutingRule, Ticket, TraceEntry
from inbox.representations import conversation_data
from inbox.selectors import conversation_loaded
from inbox.services.routing import (
    PAYLOAD_FIELD_PREFIX,
    TICKET_ACTION_TYPES,
    _field_values,
    _holds,
)
from inbox.services.trace import trace_entry_append
from webhooks.events import EventType, emit
from workspaces.models import Membership

from .models import InboundTrigger
from .payloads import value_at

# A selector with no status list picks the tickets still being worked on.
DEFAULT_TICKET_STATUSES = [Ticket.Status.OPEN.value, Ticket.Status.PENDING.value]


class DryRunRollback(Exception):
    """Raised at the end of a dry run so that its transaction writes nothing."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _payload_holds(value: Any, operator: str, expected: Any) -> bool:
    if operator == "exists":
        return (value is not None) == (expected is not False)
    if operator in ("gt", "gte", "lt", "lte"):
        left, right = _number(value), _number(expected)
        if left is None or right is None:
            return False
        return {
            "gt": left > right,
            "gte": left >= right,
            "lt": left < right,
            "lte": left <= right,
        }[operator]
    if operator == "contains" and isinstance(value, list):
        return expected in value
    if operator == "in":
        return (
            isinstance(expected, list)
            and not isinstance(value, dict | list)
            and (value in expected)
        )
    return _holds(value, operator, expected)


def conditions_hold(
    *, conditions: list[dict[str, Any]], payload: Any, conversation: Conversation | None
) -> bool:
    """Tell whether every condition holds on the payload and the conversation it names."""
    tag_names = list(conversation.tags.values_list("name", flat=True)) if conversation else []
    for condition in conditions:
        field, operator = condition["field"], condition["operator"]
        expected = condition.get("value")
        if field.startswith(PAYLOAD_FIELD_PREFIX):
            value = value_at(payload, field[len(PAYLOAD_FIELD_PREFIX) :])
            if not _payload_holds(value, operator, expected):
                return False
            continue
        if conversation is None:
            # A condition on the conversation cannot hold when the payload names none.
            return False
        values = _field_values(conversation, field, tag_names)
        if operator == "not_equals":
            if not all(_holds(value, operator, expected) for value in values):
                return False
        elif not any(_payload_holds(value, operator, expected) for value in values):
            return False
    return True


def payload_conversation(*, trigger: InboundTrigger, payload: Any) -> Conversation | None:
    """Return the workspace's conversation the payload names (by the trigger's path), locked."""
    if not trigger.conversation_path:
        return None
    value = value_at(payload, trigger.conversation_path)
    if value is None or isinstance(value, dict | list | bool):
        return None
    conversations = Conversation.objects.select_for_update(of=("self",)).filter(
        workspace_id=trigger.workspace_id
    )
    if trigger.conversation_match == InboundTrigger.ConversationMatch.ID:
        try:
            return conversations.filter(pk=int(value)).first()
        except (TypeError, ValueError, OverflowError):
            return None
    return conversations.filter(external_id=str(value).strip()).first()


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


def _rule_fire(
    *,
    rule: RoutingRule,
    trigger: InboundTrigger,
    payload: Any,
    conversation: Conversation | None,
    actor: str,
) -> dict[str, Any]:
    """Run a matched rule's actions; return what changed (and whether the ticket cap was hit)."""
    changes: list[dict[str, Any]] = []
    capped = False
    cap = max_tickets_for(rule)
    for action in rule.actions:
        kind = action["type"]
        if (
            kind in ("tag", "untag", "assign", "set_priority", "trace_note")
            and conversation is None
        ):
            changes.append({"action": kind, "skipped": "the payload names no conversation"})
            continue
        if kind in ("tag", "untag"):
            current = sorted(conversation.tags.values_list("name", flat=True))
            wanted = (
                sorted(set(current) | {action["tag"]})
                if kind == "tag"
                else [name for name in current if name != action["tag"]]
            )
            if wanted != current:
                inbox.conversation_update(conversation=conversation, actor=actor, tags=wanted)
                changes.append(
                    {"action": kind, "conversation_id": conversation.pk, "tag": action["tag"]}
                )
        elif kind == "assign":
            assignee = action.get("assignee")
            user = _member(rule, assignee) if assignee is not None else None
            if assignee is not None and user is None:
                # The user left the workspace after the rule was written: never assign them.
                continue
            if conversation.assignee_id != assignee:
                previous = conversation.assignee_id
                inbox.conversation_update(conversation=conversation, actor=actor, assignee=user)
                changes.append(
                    {
                        "action": kind,
                        "conversation_id": conversation.pk,
                        "from": previous,
                        "to": assignee,
                    }
                )
        elif kind == "set_priority":
            if conversation.priority != action["priority"]:
                previous = conversation.priority
                inbox.conversation_update(
                    conversation=conversation, actor=actor, priority=action["priority"]
                )
                changes.append(
                    {
                        "action": kind,
                        "conversation_id": conversation.pk,
                        "from": previous,
                        "to": action["priority"],
                    }
                )
        elif kind in TICKET_ACTION_TYPES:
            field = "status" if kind == "set_ticket_status" else "priority"
            target = action[field]
            selected = tickets_selected(
                rule=rule,
                selector=action.get("selector") or {},
                payload=payload,
                conversation=conversation,
            ).exclude(**{field: target})
            # One more than the cap tells whether the cap cut the selection short.
            picked = list(selected[: cap + 1])
            if len(picked) > cap:
                capped = True
                picked = picked[:cap]
            changed_ids = [
                inbox.ticket_update(ticket=ticket, actor=actor, **{field: target}).pk
                for ticket in picked
            ]
            changes.append({"action": kind, "to": target, "ticket_ids": changed_ids})
        elif kind == "upsert_contact":
            email = _text(payload, action.get("email_path", ""))
            external_id = _text(payload, action.get("external_id_path", ""))
            if not email and not external_id:
                changes.append({"action": kind, "skipped": "no email or external id"})
                continue
            fields: dict[str, Any] = {}
            if action.get("name_path"):
                fields["name"] = _text(payload, action["name_path"])[:200]
            user = _member(rule, action.get("assignee")) if action.get("assignee") else None
            if user is not None:
                fields["assignee"] = user
            contact, created = inbox.contact_upsert(
                workspace=rule.workspace, email=email, external_id=external_id, **fields
            )
            changes.append(
                {
                    "action": kind,
                    "contact_id": contact.pk,
                    "created": created,
                    "assignee_id": contact.assignee_id,
                }
            )
        elif kind == "trace_note":
            entry = inbox.trace_event_record(
                conversation=conversation,
                name="inbound.note",
                actor=actor,
                details={"note": action["note"], "rule_id": rule.pk},
            )
            changes.append(
                {"action": kind, "conversation_id": conversation.pk, "trace_entry_id": entry.pk}
            )
    return {"changes": changes, "capped": capped, "max_tickets": cap}


def inbound_rules_for(*, trigger: InboundTrigger, active_only: bool = True):
    """Return the (active) rules an event of this trigger fires, in their order."""
    rules = RoutingRule.objects.filter(
        workspace_id=trigger.workspace_id, trigger=RoutingRule.Trigger.INBOUND
    )
    if active_only:
        rules = rules.filter(is_active=True)
    return (
        rules.filter(Q(inbound_trigger__isnull=True) | Q(inbound_trigger_id=trigger.pk))
        .filter(Q(event_name="") | Q(event_name=trigger.event_name))
        .select_related("workspace")
        .order_by("position", "id")
    )


def inbound_rules_apply(
    *, trigger: InboundTrigger, payload: Any, actor: str, dry_run: bool = False
) -> list[dict[str, Any]]:
    """Fire the rules of an inbound event in the caller's transaction; return what each did.

    Each rule that matched is listed with its changes; a rule whose actions changed something is
    traced on the conversation the payload names and emits `automation.triggered`.
    """
    conversation = payload_conversation(trigger=trigger, payload=payload)
    report = []
    for rule in inbound_rules_for(trigger=trigger):
        if conversation is not None:
            conversation.refresh_from_db()
        if not conditions_hold(
            conditions=rule.conditions, payload=payload, conversation=conversation
        ):
            continue
        outcome = _rule_fire(
            rule=rule, trigger=trigger, payload=payload, conversation=conversation, actor=actor
        )
        changed = [change for change in outcome["changes"] if "skipped" not in change]
        changed = [c for c in changed if c.get("ticket_ids", True)]
        entry = {
            "rule_id": rule.pk,
            "rule_name": rule.name,
            "changes": outcome["changes"],
            "fired": bool(changed),
            "capped": outcome["capped"],
            "max_tickets": outcome["max_tickets"],
        }
        report.append(entry)
        if not changed:
            continue
        details = {
            "rule_id": rule.pk,
            "rule_name": rule.name,
            "inbound_trigger": trigger.public_id,
            "changes": outcome["changes"],
            "capped": outcome["capped"],
        }
        if conversation is not None:
            trace_entry_append(
                conversation=conversation,
                kind=TraceEntry.Kind.RULE_FIRED,
                actor=f"rule:{rule.pk}",
                details=details,
            )
        emit(
            workspace=rule.workspace,
            event_type=EventType.AUTOMATION_TRIGGERED,
            resource_type="routing_rule",
            resource_id=rule.pk,
            data={
                "rule": {"id": rule.pk, "name": rule.name},
                "inbound_trigger": {"id": trigger.public_id, "name": trigger.name},
                "conversation": conversation_data(conversation_loaded(conversation=conversation))
                if conversation
                else None,
                "changes": outcome["changes"],
                "capped": outcome["capped"],
            },
        )
    return report


__all__ = ["DryRunRollback", "inbound_rules_apply", "tickets_selected"]
