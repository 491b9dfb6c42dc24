"""Rules, dry runs and results read as sentences on the Settings pages, never as Python reprs."""

from inbound.rule_text import action_text, change_text, condition_text, facts_text


def test_conditions_read_as_sentences():
    assert (
        condition_text({"field": "payload.incident.status", "operator": "equals", "value": "on"})
        == "payload incident.status is “on”"
    )
    assert (
        condition_text({"field": "priority", "operator": "in", "value": ["high", "urgent"]})
        == "conversation priority is one of “high” or “urgent”"
    )
    assert (
        condition_text({"field": "payload.amount", "operator": "gte", "value": 100})
        == "payload amount is at least 100"
    )
    assert (
        condition_text({"field": "payload.x", "operator": "exists", "value": False})
        == "payload x is missing"
    )
    assert (
        condition_text({"field": "custom_attributes.plan", "operator": "not_equals", "value": True})
        == "custom attribute plan is not yes"
    )


def test_actions_read_as_sentences():
    assert action_text({"type": "tag", "tag": "pager"}) == "Tag the conversation “pager”"
    assert action_text({"type": "assign", "assignee": 7}) == "Assign the conversation to member #7"
    assert (
        action_text(
            {
                "type": "set_ticket_status",
                "status": "pending",
                "selector": {"tag_path": "incident.component", "open_since_minutes": 60},
            }
        )
        == "Set the status of open or pending tickets tagged with the payload's "
        "incident.component opened in the last 60 minutes to pending"
    )
    assert (
        action_text({"type": "upsert_contact", "email_path": "customer.email"})
        == "Create or update the contact with its email at the payload's customer.email"
    )


def test_results_and_changes_read_as_facts():
    assert (
        facts_text({"conversation_id": 3, "tags_added": ["shipped"], "created": False})
        == "conversation id 3 · tags added: shipped · created: no"
    )
    assert change_text({"action": "set_ticket_status", "ticket_ids": [4, 5]}) == (
        "set ticket status: ticket ids: 4, 5"
    )
    assert change_text({"action": "tag", "skipped": "the payload names no conversation"}) == (
        "tag: skipped, the payload names no conversation"
    )
    for text in (facts_text({"a": [1]}), change_text({"action": "x", "b": {"c": 1}})):
        assert "{" not in text and "[" not in text
