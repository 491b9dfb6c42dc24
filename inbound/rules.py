"""Routing rules fired by inbound events: conditions on the payload, actions on what it names.

A rule with trigger `inbound` listens to one inbound trigger (or all of the workspace's) and,
optionally, one custom event name. Its conditions read the payload by path
(`payload.<dotted.path>`) alongside the fields of the conversation the payload names; its actions
tag or untag that conversation, change the tickets a selector picks, assign, create or update a
contact, or add a trace note. Every firing is traced and emits `automation.triggered` in the
caller's transaction; a dry run runs the same code in a transaction that is rolled back.
"""

from typing import Any

from django.db.models import Q

from inbox.models import Conversation, RoutingRule, TraceEntry
from inbox.representations import conversation_data
from inbox.selectors import conversation_with_tags
from inbox.services.trace import trace_entry_append
from omniflow.conditions import conditions_hold
from webhooks.events import EventType, emit

from .models import InboundTrigger
from .payloads import value_at
from .rule_actions import rule_fire, tickets_selected


class DryRunRollback(Exception):
    """Raised at the end of a dry run so that its transaction writes nothing."""


def rule_conditions_hold(
    *, conditions: list[dict[str, Any]], payload: Any, conversation: Conversation | None
) -> bool:
    """Tell whether every condition holds on the payload and the conversation it names."""
    tag_names = list(conversation.tags.values_list("name", flat=True)) if conversation else []
    subject = {"payload": payload, "conversation": conversation, "tag_names": tag_names}
    return conditions_hold(conditions, subject)


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
    *, trigger: InboundTrigger, payload: Any, actor: str
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
        if not rule_conditions_hold(
            conditions=rule.conditions, payload=payload, conversation=conversation
        ):
            continue
        outcome = rule_fire(rule=rule, payload=payload, conversation=conversation, actor=actor)
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
                "conversation": conversation_data(conversation_with_tags(conversation=conversation))
                if conversation
                else None,
                "changes": outcome["changes"],
                "capped": outcome["capped"],
            },
        )
    return report


__all__ = ["DryRunRollback", "inbound_rules_apply", "tickets_selected"]
