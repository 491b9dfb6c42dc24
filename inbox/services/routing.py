"""Routing rules: their CRUD, and applying them to a new or updated conversation.

A rule fires when all its conditions hold and at least one of its actions changes the
conversation. So an update never fires a rule again for an effect that is already there, and
rules do not re-trigger each other: their changes are applied directly, not as an update.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from omniflow import conditions as rule_conditions
from webhooks.events import EventType, emit
from workspaces.models import Membership, Workspace

from ..models import Conversation, RoutingRule, TraceEntry
from ..representations import conversation_data
from ..selectors import conversation_with_tags
from .common import UNSET, actor_for_rule, tags_resolve
from .trace import trace_entry_append


def rule_matches(*, rule: RoutingRule, conversation: Conversation, tag_names: list[str]) -> bool:
    """Tell whether all of a rule's conditions hold for a conversation."""
    subject = {"conversation": conversation, "tag_names": tag_names}
    return rule_conditions.conditions_hold(rule.conditions, subject)


def _is_member(rule: RoutingRule, user_id: int) -> bool:
    return Membership.objects.filter(workspace_id=rule.workspace_id, user_id=user_id).exists()


def _rule_apply(*, rule: RoutingRule, conversation: Conversation) -> dict[str, Any]:
    """Apply a rule's actions; return the previous values of what changed."""
    previous: dict[str, Any] = {}
    for action in rule.actions:
        if action["type"] == "set_priority" and conversation.priority != action["priority"]:
            previous.setdefault("priority", conversation.priority)
            conversation.priority = action["priority"]
        elif action["type"] == "assign" and conversation.assignee_id != action["assignee"]:
            if action["assignee"] is not None and not _is_member(rule, action["assignee"]):
                # The user left the workspace after the rule was written: never assign them.
                continue
            previous.setdefault("assignee", conversation.assignee_id)
            conversation.assignee_id = action["assignee"]
        elif action["type"] == "tag":
            current = sorted(conversation.tags.values_list("name", flat=True))
            if action["tag"] not in current:
                previous.setdefault("tags", current)
                new_tags = tags_resolve(workspace=rule.workspace, names=[action["tag"]])
                conversation.tags.add(*new_tags)
    return previous


_ACTION_OF_FIELD = {"priority": "set_priority", "assignee": "assign"}


def _changes_made(*, conversation: dict[str, Any], previous: dict[str, Any]) -> list[dict]:
    """Return what a rule did, one entry per action, as inbound rules report it."""
    changes: list[dict[str, Any]] = []
    for field, old in previous.items():
        if field == "tags":
            changes += [
                {"action": "tag", "conversation_id": conversation["id"], "tag": name}
                for name in conversation["tags"]
                if name not in old
            ]
        else:
            changes.append(
                {
                    "action": _ACTION_OF_FIELD[field],
                    "conversation_id": conversation["id"],
                    "from": old,
                    "to": conversation[field],
                }
            )
    return changes


def routing_rules_apply(*, conversation: Conversation, trigger: str) -> list[RoutingRule]:
    """Fire the workspace's active rules for a conversation event; return the rules that fired.

    Runs in the caller's transaction; each firing is traced and emits `automation.triggered`.
    """
    rules = RoutingRule.objects.filter(
        workspace_id=conversation.workspace_id,
        is_active=True,
        trigger__in=[trigger, RoutingRule.Trigger.ANY],
    ).select_related("workspace")
    fired = []
    for rule in rules:
        tag_names = list(conversation.tags.values_list("name", flat=True))
        if not rule_matches(rule=rule, conversation=conversation, tag_names=tag_names):
            continue
        previous = _rule_apply(rule=rule, conversation=conversation)
        if not previous:
            continue
        conversation.updated_at = timezone.now()
        conversation.save(update_fields=["priority", "assignee", "updated_at"])
        data = conversation_data(conversation_with_tags(conversation=conversation))
        trace_entry_append(
            conversation=conversation,
            kind=TraceEntry.Kind.RULE_FIRED,
            actor=actor_for_rule(rule),
            details={
                "rule_id": rule.pk,
                "rule_name": rule.name,
                "changes": {
                    field: {"from": old, "to": data[field]} for field, old in previous.items()
                },
            },
        )
        # The same keys as an inbound rule's firing (inbound/rules.py): which rule, what it
        # did, and the conversation as it is now; ordered per conversation.
        emit(
            workspace=rule.workspace,
            event_type=EventType.AUTOMATION_TRIGGERED,
            resource_type="conversation",
            resource_id=conversation.pk,
            data={
                "rule": {"id": rule.pk, "name": rule.name},
                "inbound_trigger": None,
                "conversation": data,
                "changes": _changes_made(conversation=data, previous=previous),
                "capped": False,
            },
            previous_attributes=previous,
        )
        fired.append(rule)
    return fired


def _rule_check(
    *,
    workspace_id: int,
    trigger: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    inbound_trigger: Any,
    event_name: str,
) -> None:
    """Refuse a field, operator or action the rule's trigger may not use, and what only an
    inbound rule has (its trigger, event name) on another rule."""
    errors: dict[str, list[str]] = {}
    for index, condition in enumerate(conditions):
        for problem in _condition_problems(condition, trigger):
            errors.setdefault(f"conditions.{index}", []).append(problem)
    for index, action in enumerate(actions):
        action_type = rule_conditions.action_type_get(action.get("type"))
        if action_type is None:
            continue  # the serializers refuse an unknown type
        if not rule_conditions.allowed(action_type, trigger):
            errors.setdefault(f"actions.{index}.type", []).append(
                f"A {action_type.name} action needs {_triggers_text(action_type)}."
            )
        for argument, problem in (action_type.check(action) if action_type.check else {}).items():
            errors.setdefault(f"actions.{index}.{argument}", []).append(problem)
    if inbound_trigger is not None and inbound_trigger.workspace_id != workspace_id:
        errors.setdefault("inbound_trigger", []).append("No such trigger in this workspace.")
    if trigger != RoutingRule.Trigger.INBOUND and (inbound_trigger is not None or event_name):
        errors.setdefault("trigger", []).append(
            "inbound_trigger and event_name need trigger=inbound."
        )
    if errors:
        raise ValidationError(errors)


def _triggers_text(item: Any) -> str:
    return " or ".join(f"trigger={name}" for name in sorted(item.triggers))


def _condition_problems(condition: dict[str, Any], trigger: str) -> list[str]:
    found = rule_conditions.field_get(condition.get("field", ""))
    operator = rule_conditions.operator_get(condition.get("operator"))
    problems = []
    if found is not None and not rule_conditions.allowed(found[0], trigger):
        problems.append(f"{found[0].help or found[0].name} needs {_triggers_text(found[0])}.")
    if operator is not None and not rule_conditions.allowed(operator, trigger):
        problems.append(f"{operator.name} needs {_triggers_text(operator)}.")
    return problems


def _assignees_check(*, workspace: Workspace, actions: list[dict[str, Any]]) -> None:
    for index, action in enumerate(actions):
        assignee = (
            action.get("assignee") if action.get("type") in ("assign", "upsert_contact") else None
        )
        if assignee is None:
            continue
        if not Membership.objects.filter(workspace=workspace, user_id=assignee).exists():
            raise ValidationError(
                {f"actions.{index}.assignee": "The assignee must be a member of this workspace."}
            )


@transaction.atomic
def routing_rule_create(
    *,
    workspace: Workspace,
    name: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    trigger: str = RoutingRule.Trigger.ANY,
    is_active: bool = True,
    position: int = 0,
    inbound_trigger: Any = None,
    event_name: str = "",
    max_tickets: int | None = None,
) -> RoutingRule:
    """Create a routing rule (trigger `inbound`: fired by an inbound trigger's events)."""
    _assignees_check(workspace=workspace, actions=actions)
    _rule_check(
        workspace_id=workspace.pk,
        trigger=trigger,
        conditions=conditions,
        actions=actions,
        inbound_trigger=inbound_trigger,
        event_name=event_name,
    )
    return RoutingRule.objects.create(
        workspace=workspace,
        name=name,
        conditions=conditions,
        actions=actions,
        trigger=trigger,
        is_active=is_active,
        position=position,
        inbound_trigger=inbound_trigger,
        event_name=event_name,
        max_tickets=max_tickets,
    )


@transaction.atomic
def routing_rule_update(
    *,
    rule: RoutingRule,
    name: str | Any = UNSET,
    conditions: list[dict[str, Any]] | Any = UNSET,
    actions: list[dict[str, Any]] | Any = UNSET,
    trigger: str | Any = UNSET,
    is_active: bool | Any = UNSET,
    position: int | Any = UNSET,
    inbound_trigger: Any = UNSET,
    event_name: str | Any = UNSET,
    max_tickets: int | None | Any = UNSET,
) -> RoutingRule:
    """Change a routing rule; it applies from the next conversation or inbound event on."""
    if actions is not UNSET:
        _assignees_check(workspace=rule.workspace, actions=actions)
    changes = {
        "name": name,
        "conditions": conditions,
        "actions": actions,
        "trigger": trigger,
        "is_active": is_active,
        "position": position,
        "inbound_trigger": inbound_trigger,
        "event_name": event_name,
        "max_tickets": max_tickets,
    }
    changed = [field for field, value in changes.items() if value is not UNSET]
    for field in changed:
        setattr(rule, field, changes[field])
    _rule_check(
        workspace_id=rule.workspace_id,
        trigger=rule.trigger,
        conditions=rule.conditions,
        actions=rule.actions,
        inbound_trigger=rule.inbound_trigger,
        event_name=rule.event_name,
    )
    rule.updated_at = timezone.now()
    rule.save(update_fields=[*changed, "updated_at"])
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule) -> None:
    """Delete a routing rule (the traces of its past firings stay)."""
    rule.delete()
