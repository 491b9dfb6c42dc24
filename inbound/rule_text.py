"""Rules, their dry runs and trigger results in a person's words, for the Settings pages.

The pages never print a rule's JSON or a Python dict: conditions and actions read as sentences
("payload incident.status is “triggered”", "Tag the conversation “pager”"), and what an action
or a dry run did reads as short facts ("conversation id 12 · tags added: shipped").
"""

from typing import Any

from inbox.rule_vocabulary import ATTRIBUTE_FIELD_PREFIX
from omniflow.conditions import operator_get

from .rule_vocabulary import PAYLOAD_FIELD_PREFIX

ACTION_WORDS = {
    "tag": "Tag the conversation",
    "untag": "Remove the conversation's tag",
    "assign": "Assign the conversation to member",
    "set_priority": "Set the conversation's priority to",
    "set_ticket_status": "Set the status of",
    "set_ticket_priority": "Set the priority of",
    "upsert_contact": "Create or update the contact",
    "trace_note": "Add to the trace the note",
}


def value_text(value: Any) -> str:
    """Return a value as a person reads it: quoted text, numbers, yes/no, lists with "or"."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return " or ".join(value_text(item) for item in value) if value else "nothing"
    if isinstance(value, dict):
        return facts_text(value)
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return f"“{value}”"


def field_text(field: str) -> str:
    """Return where a condition reads: "payload incident.status", "custom attribute plan"."""
    if field.startswith(PAYLOAD_FIELD_PREFIX):
        return f"payload {field[len(PAYLOAD_FIELD_PREFIX) :]}"
    if field.startswith(ATTRIBUTE_FIELD_PREFIX):
        return f"custom attribute {field[len(ATTRIBUTE_FIELD_PREFIX) :]}"
    return f"conversation {field.replace('_', ' ')}"


def condition_text(condition: dict[str, Any]) -> str:
    """Return one condition as a sentence."""
    operator = condition.get("operator", "")
    field = field_text(condition.get("field", ""))
    if operator == "exists":
        return f"{field} {'exists' if condition.get('value') is not False else 'is missing'}"
    words = found.words if (found := operator_get(operator)) else operator
    return f"{field} {words} {value_text(condition.get('value'))}"


def selector_text(selector: dict[str, Any]) -> str:
    """Return which tickets a selector picks, as words."""
    statuses = selector.get("statuses") or ["open", "pending"]
    parts = [" or ".join(statuses) + " tickets"]
    if selector.get("tag"):
        parts.append(f"tagged “{selector['tag']}”")
    if selector.get("tag_path"):
        parts.append(f"tagged with the payload's {selector['tag_path']}")
    if selector.get("attribute"):
        if selector.get("attribute_value_path"):
            expected = f"the payload's {selector['attribute_value_path']}"
        else:
            expected = value_text(selector.get("attribute_value"))
        parts.append(f"whose custom attribute {selector['attribute']} is {expected}")
    if selector.get("conversation"):
        parts.append("of the payload's conversation")
    if selector.get("open_since_minutes"):
        parts.append(f"opened in the last {selector['open_since_minutes']} minutes")
    return " ".join(parts)


def action_text(action: dict[str, Any]) -> str:
    """Return one action as a sentence."""
    kind = action.get("type", "")
    words = ACTION_WORDS.get(kind, kind.replace("_", " ").capitalize())
    if kind in ("tag", "untag"):
        return f"{words} {value_text(action.get('tag'))}"
    if kind == "assign":
        return f"{words} #{action.get('assignee')}" if action.get("assignee") else "Unassign"
    if kind == "set_priority":
        return f"{words} {action.get('priority')}"
    if kind == "set_ticket_status":
        return f"{words} {selector_text(action.get('selector', {}))} to {action.get('status')}"
    if kind == "set_ticket_priority":
        selected = selector_text(action.get("selector", {}))
        return f"{words} {selected} to {action.get('priority')}"
    if kind == "upsert_contact":
        found = [
            f"{label} at the payload's {action[name]}"
            for name, label in (
                ("email_path", "email"),
                ("external_id_path", "external id"),
                ("name_path", "name"),
            )
            if action.get(name)
        ]
        return f"{words} with its " + ", ".join(found)
    if kind == "trace_note":
        return f"{words} {value_text(action.get('note'))}"
    return words


def facts_text(facts: dict[str, Any]) -> str:
    """Return a result's keys and values as short facts: "conversation id 12 · created: yes"."""
    parts = []
    for key, value in facts.items():
        label = key.replace("_id", " id").replace("_", " ")
        if isinstance(value, dict):
            parts.append(f"{label}: ({facts_text(value)})")
        elif isinstance(value, list):
            items = [
                f"({facts_text(item)})" if isinstance(item, dict) else str(item) for item in value
            ]
            parts.append(f"{label}: {', '.join(items) or 'none'}")
        elif isinstance(value, bool):
            parts.append(f"{label}: {'yes' if value else 'no'}")
        elif value is None:
            parts.append(f"{label}: none")
        else:
            parts.append(f"{label} {value}" if key.endswith("_id") else f"{label}: {value}")
    return " · ".join(parts)


def change_text(change: dict[str, Any]) -> str:
    """Return one change a fired rule made (or would make) as words."""
    rest = {key: value for key, value in change.items() if key != "action"}
    kind = str(change.get("action", "")).replace("_", " ")
    if "skipped" in rest:
        return f"{kind}: skipped, {rest['skipped']}"
    return f"{kind}: {facts_text(rest)}" if rest else kind
