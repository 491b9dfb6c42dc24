"""Issue 14: inbound events drive routing rules, over each trigger's real URL."""

import pytest
from django.apps import apps
from django.test import override_settings

from inbound.models import InboundReceipt
from inbound.services import trigger_create
from inbox.models import Ticket, TraceEntry
from inbox.services.common import tags_resolve
from tests.factories import ConversationFactory, TicketFactory
from tests.support.inbound_triggers import (
    RULES,
    post_json,
    rule_from_preset,
    rule_preset,
    trigger_from_preset,
)
from webhooks.models import WebhookEvent


def _tagged_ticket(workspace, tag: str, **fields):
    conversation = ConversationFactory(workspace=workspace)
    ticket = TicketFactory(workspace=workspace, conversation=conversation, **fields)
    ticket.tags.set(tags_resolve(workspace=workspace, names=[tag]))
    return ticket


INCIDENT = {"incident": {"id": "inc-1", "component": "payments", "status": "triggered"}}


def test_an_incident_escalates_every_open_ticket_tagged_with_the_component(
    api_client, client, workspace, other_workspace
):
    trigger = trigger_from_preset(workspace, "incident_escalation")
    rule_from_preset(api_client, trigger, "incident_escalation")
    tagged = [_tagged_ticket(workspace, "payments") for _ in range(3)]
    pending = _tagged_ticket(workspace, "payments", status="pending")
    resolved = _tagged_ticket(workspace, "payments", status="resolved")
    other_component = _tagged_ticket(workspace, "search")
    elsewhere = _tagged_ticket(other_workspace, "payments")

    response = post_json(client, trigger, INCIDENT)

    assert response.status_code == 200, response.json()
    (rule,) = response.json()["rules"]
    (change,) = rule["changes"]
    assert sorted(change["ticket_ids"]) == sorted(t.pk for t in [*tagged, pending])
    assert rule["capped"] is False
    statuses = {t.pk: Ticket.objects.get(pk=t.pk).status for t in Ticket.objects.all()}
    assert {statuses[t.pk] for t in [*tagged, pending]} == {"escalated"}
    assert statuses[resolved.pk] == "resolved"
    assert statuses[other_component.pk] == "open"
    assert statuses[elsewhere.pk] == "open", "another workspace's tickets are never touched"
    event = WebhookEvent.objects.get(workspace=workspace, event_type="automation.triggered")
    assert event.data["rule"] == {"id": rule["rule_id"], "name": rule["rule_name"]}
    assert sorted(event.data["changes"][0]["ticket_ids"]) == sorted(change["ticket_ids"])
    receipt = InboundReceipt.objects.get(trigger=trigger)
    assert receipt.rules[0]["rule_id"] == rule["rule_id"]


def test_the_same_incident_again_is_answered_from_the_store_and_changes_nothing(
    api_client, client, workspace
):
    trigger = trigger_from_preset(workspace, "incident_escalation")
    rule_from_preset(api_client, trigger, "incident_escalation")
    ticket = _tagged_ticket(workspace, "payments")
    assert post_json(client, trigger, INCIDENT).status_code == 200
    Ticket.objects.filter(pk=ticket.pk).update(status="open")

    again = post_json(client, trigger, INCIDENT)

    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.get(pk=ticket.pk).status == "open", "one event, one firing"
    assert WebhookEvent.objects.filter(event_type="automation.triggered").count() == 1
    receipts = InboundReceipt.objects.filter(trigger=trigger).order_by("id")
    assert [r.is_replay for r in receipts] == [False, True]


@override_settings(OMNIFLOW_INBOUND_RULE_MAX_TICKETS=2)
def test_a_firing_changes_at_most_the_cap_and_the_receipt_says_so(api_client, client, workspace):
    trigger = trigger_from_preset(workspace, "incident_escalation")
    rule_from_preset(api_client, trigger, "incident_escalation", max_tickets=None)
    tickets = [_tagged_ticket(workspace, "payments") for _ in range(3)]

    response = post_json(client, trigger, INCIDENT)

    (rule,) = response.json()["rules"]
    assert rule["capped"] is True and rule["max_tickets"] == 2
    assert rule["changes"][0]["ticket_ids"] == [tickets[0].pk, tickets[1].pk]
    assert Ticket.objects.get(pk=tickets[2].pk).status == "open"
    assert InboundReceipt.objects.get(trigger=trigger).rules[0]["capped"] is True


def test_a_rule_cap_overrides_the_setting(api_client, client, workspace):
    trigger = trigger_from_preset(workspace, "incident_escalation")
    rule_from_preset(api_client, trigger, "incident_escalation", max_tickets=1)
    for _ in range(2):
        _tagged_ticket(workspace, "payments")

    (rule,) = post_json(client, trigger, INCIDENT).json()["rules"]

    assert rule["capped"] is True and len(rule["changes"][0]["ticket_ids"]) == 1


@pytest.mark.parametrize(
    ("condition", "fires"),
    [
        ({"field": "payload.order.total", "operator": "gt", "value": 100}, True),
        ({"field": "payload.order.total", "operator": "lte", "value": 100}, False),
        ({"field": "payload.order.items", "operator": "contains", "value": "book"}, True),
        ({"field": "payload.order.coupon", "operator": "exists", "value": True}, False),
        ({"field": "payload.order.status", "operator": "in", "value": ["shipped"]}, True),
        # A boolean is not a number, in `in` and `equals` alike (true fired `in [1]` before).
        ({"field": "payload.order.gift", "operator": "in", "value": [1]}, False),
        ({"field": "payload.order.gift", "operator": "equals", "value": 1}, False),
        ({"field": "payload.order.gift", "operator": "in", "value": [True]}, True),
        ({"field": "tag", "operator": "equals", "value": "vip"}, True),
        ({"field": "priority", "operator": "equals", "value": "urgent"}, False),
    ],
)
def test_conditions_read_the_payload_and_the_conversation_it_names(
    api_client, client, workspace, condition, fires
):
    conversation = ConversationFactory(workspace=workspace, external_id="shop-1")
    conversation.tags.set(tags_resolve(workspace=workspace, names=["vip"]))
    trigger = trigger_from_preset(workspace, "order_shipped", payload_schema={"type": "object"})
    rule_from_preset(api_client, trigger, "order_shipped", conditions=[condition])
    payload = {
        "order": {
            "conversation_id": "shop-1",
            "status": "shipped",
            "total": 120.5,
            "items": ["book", "pen"],
            "gift": True,
        }
    }

    response = post_json(client, trigger, payload)

    assert response.status_code == 200
    assert bool(response.json()["rules"]) is fires
    tags = set(conversation.tags.values_list("name", flat=True))
    assert ("shipped" in tags) is fires


def test_untag_and_trace_note_act_on_the_named_conversation(api_client, client, workspace):
    conversation = ConversationFactory(workspace=workspace, external_id="shop-1")
    conversation.tags.set(tags_resolve(workspace=workspace, names=["awaiting-shipment"]))
    trigger = trigger_from_preset(workspace, "order_shipped")
    rule_from_preset(
        api_client,
        trigger,
        "order_shipped",
        actions=[
            {"type": "untag", "tag": "awaiting-shipment"},
            {"type": "trace_note", "note": "Carrier picked it up."},
        ],
    )

    post_json(client, trigger, {"order": {"conversation_id": "shop-1", "status": "shipped"}})

    assert not conversation.tags.exists()
    kinds = list(conversation.trace_entries.values_list("kind", flat=True))
    assert TraceEntry.Kind.RULE_FIRED in kinds and TraceEntry.Kind.CUSTOM_EVENT in kinds


def test_a_custom_event_fires_only_the_rules_of_its_name(api_client, client, workspace):
    conversation = ConversationFactory(workspace=workspace, external_id="c-1")
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Billing events",
        resource="custom_event",
        event_name="invoice.overdue",
        payload_schema={"type": "object"},
        conversation_path="conversation",
    )
    body = {"trigger": "inbound", "conditions": [], "inbound_trigger": trigger.pk}
    mine = {**body, "name": "Overdue", "event_name": "invoice.overdue"}
    other = {**body, "name": "Paid", "event_name": "invoice.paid"}
    api_client.post(RULES, {**other, "actions": [{"type": "tag", "tag": "paid"}]}, format="json")
    api_client.post(
        RULES,
        {**mine, "actions": [{"type": "set_priority", "priority": "high"}]},
        format="json",
    )

    response = post_json(client, trigger, {"conversation": "c-1"})

    assert [rule["rule_name"] for rule in response.json()["rules"]] == ["Overdue"]
    conversation.refresh_from_db()
    assert conversation.priority == "high"
    assert not conversation.tags.exists()
    assert WebhookEvent.objects.filter(event_type="automation.triggered").count() == 1


def test_inbound_only_conditions_and_actions_are_refused_on_conversation_rules(api_client):
    response = api_client.post(
        RULES,
        {
            "name": "Wrong",
            "trigger": "updated",
            "conditions": [{"field": "payload.a", "operator": "gt", "value": 1}],
            "actions": [{"type": "set_ticket_status", "status": "escalated"}],
        },
        format="json",
    )

    # What a ticket action needs is a rule across fields no schema states.
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert any(key.startswith("actions.0") for key in errors), errors


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("inbox", "inbound", "webhooks")
    }


def test_a_dry_run_tells_what_would_happen_and_changes_nothing(api_client, workspace):
    trigger = trigger_from_preset(workspace, "incident_escalation")
    rule_from_preset(api_client, trigger, "incident_escalation")
    tickets = [_tagged_ticket(workspace, "payments") for _ in range(2)]
    before = _row_counts()

    response = api_client.post(
        f"/api/v1/inbound-triggers/{trigger.pk}/dry-run", {"payload": INCIDENT}, format="json"
    )

    assert response.status_code == 200, response.json()
    (rule,) = response.json()["rules"]
    assert sorted(rule["changes"][0]["ticket_ids"]) == sorted(t.pk for t in tickets)
    assert _row_counts() == before, "no row written, no event emitted, no receipt"
    assert {t.status for t in Ticket.objects.all()} == {"open"}


def test_a_dry_run_of_an_invalid_payload_says_what_the_sender_would_get(api_client, workspace):
    trigger = trigger_from_preset(workspace, "incident_escalation")

    response = api_client.post(
        f"/api/v1/inbound-triggers/{trigger.pk}/dry-run", {"payload": {}}, format="json"
    )

    assert response.json()["http_status"] == 422
    assert response.json()["error_type"] == "payload_invalid"
    assert not InboundReceipt.objects.exists()


def test_a_receipt_rerun_goes_through_the_current_rules_as_a_new_linked_receipt(
    api_client, client, workspace
):
    trigger = trigger_from_preset(workspace, "incident_escalation")
    ticket = _tagged_ticket(workspace, "payments")
    first = post_json(client, trigger, INCIDENT)
    assert first.json()["rules"] == [], "no rule yet: the admin forgot it"
    rule_from_preset(api_client, trigger, "incident_escalation")

    response = api_client.post(f"/api/v1/inbound-receipts/{first.json()['receipt_id']}/rerun")

    assert response.status_code == 201, response.json()
    assert response.json()["rerun_of"] == first.json()["receipt_id"]
    assert response.json()["rules"][0]["changes"][0]["ticket_ids"] == [ticket.pk]
    assert Ticket.objects.get(pk=ticket.pk).status == "escalated"


def test_another_workspaces_receipt_cannot_be_rerun(api_client, client, other_workspace):
    trigger = trigger_from_preset(other_workspace, "incident_escalation")
    receipt_id = post_json(client, trigger, INCIDENT).json()["receipt_id"]

    response = api_client.post(f"/api/v1/inbound-receipts/{receipt_id}/rerun")

    assert response.status_code == 404


def test_the_presets_are_listed_for_the_form_and_the_api(api_client):
    response = api_client.get("/api/v1/inbound-rule-presets")

    keys = [preset["key"] for preset in response.json()["results"]]
    assert keys == ["order_shipped", "incident_escalation", "website_form"]


def test_a_rule_cannot_listen_to_another_workspaces_trigger(api_client, workspace, other_workspace):
    from django.core.exceptions import ValidationError

    from inbox.services.routing import routing_rule_create

    theirs = trigger_from_preset(other_workspace, "incident_escalation")
    body = {**rule_preset("incident_escalation")["rule"]}
    body.pop("max_tickets")

    response = api_client.post(RULES, {**body, "inbound_trigger": theirs.pk}, format="json")
    with pytest.raises(ValidationError) as refused:
        routing_rule_create(workspace=workspace, inbound_trigger=theirs, **body)

    assert response.status_code == 409 and "inbound_trigger" in response.json()["errors"]
    assert "inbound_trigger" in refused.value.message_dict
