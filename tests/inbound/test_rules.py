"""Issue 14: inbound events drive routing rules, over each trigger's real URL."""

import copy

import pytest
from django.apps import apps
from django.test import override_settings

from inbound.models import InboundReceipt
from inbound.presets import RULE_PRESETS
from inbound.services import trigger_create
from inbox.models import Contact, Ticket, TraceEntry
from inbox.services.common import tags_resolve
from tests.factories import ConversationFactory, TicketFactory
from tests.inbound.conftest import post_json
from webhooks.models import WebhookEvent

RULES = "/api/v1/routing-rules"


def _preset(key: str) -> dict:
    return copy.deepcopy(RULE_PRESETS[key])


def _trigger_from_preset(workspace, key: str, **overrides):
    preset = _preset(key)
    return trigger_create(
        workspace=workspace,
        created_by=None,
        name=preset["label"],
        **{**preset["trigger"], **overrides},
    )


def _rule_from_preset(api_client, trigger, key: str, **overrides):
    """Save a preset's rule through the API, as an admin who picked it would."""
    body = {**_preset(key)["rule"], "inbound_trigger": trigger.pk, **overrides}
    response = api_client.post(RULES, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _tagged_ticket(workspace, tag: str, **fields):
    conversation = ConversationFactory(workspace=workspace)
    ticket = TicketFactory(workspace=workspace, conversation=conversation, **fields)
    ticket.tags.set(tags_resolve(workspace=workspace, names=[tag]))
    return ticket


INCIDENT = {"incident": {"id": "inc-1", "component": "payments", "status": "triggered"}}


def test_an_incident_escalates_every_open_ticket_tagged_with_the_component(
    api_client, client, workspace, other_workspace
):
    trigger = _trigger_from_preset(workspace, "incident_escalation")
    _rule_from_preset(api_client, trigger, "incident_escalation")
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
    trigger = _trigger_from_preset(workspace, "incident_escalation")
    _rule_from_preset(api_client, trigger, "incident_escalation")
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
    trigger = _trigger_from_preset(workspace, "incident_escalation")
    _rule_from_preset(api_client, trigger, "incident_escalation", max_tickets=None)
    tickets = [_tagged_ticket(workspace, "payments") for _ in range(3)]

    response = post_json(client, trigger, INCIDENT)

    (rule,) = response.json()["rules"]
    assert rule["capped"] is True and rule["max_tickets"] == 2
    assert rule["changes"][0]["ticket_ids"] == [tickets[0].pk, tickets[1].pk]
    assert Ticket.objects.get(pk=tickets[2].pk).status == "open"
    assert InboundReceipt.objects.get(trigger=trigger).rules[0]["capped"] is True


def test_a_rule_cap_overrides_the_setting(api_client, client, workspace):
    trigger = _trigger_from_preset(workspace, "incident_escalation")
    _rule_from_preset(api_client, trigger, "incident_escalation", max_tickets=1)
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
        ({"field": "tag", "operator": "equals", "value": "vip"}, True),
        ({"field": "priority", "operator": "equals", "value": "urgent"}, False),
    ],
)
def test_conditions_read_the_payload_and_the_conversation_it_names(
    api_client, client, workspace, condition, fires
):
    conversation = ConversationFactory(workspace=workspace, external_id="shop-1")
    conversation.tags.set(tags_resolve(workspace=workspace, names=["vip"]))
    trigger = _trigger_from_preset(workspace, "order_shipped", payload_schema={"type": "object"})
    _rule_from_preset(api_client, trigger, "order_shipped", conditions=[condition])
    payload = {
        "order": {
            "conversation_id": "shop-1",
            "status": "shipped",
            "total": 120.5,
            "items": ["book", "pen"],
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
    trigger = _trigger_from_preset(workspace, "order_shipped")
    _rule_from_preset(
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

    assert response.status_code == 400
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
    trigger = _trigger_from_preset(workspace, "incident_escalation")
    _rule_from_preset(api_client, trigger, "incident_escalation")
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
    trigger = _trigger_from_preset(workspace, "incident_escalation")

    response = api_client.post(
        f"/api/v1/inbound-triggers/{trigger.pk}/dry-run", {"payload": {}}, format="json"
    )

    assert response.json()["http_status"] == 422
    assert response.json()["error_type"] == "payload_invalid"
    assert not InboundReceipt.objects.exists()


def test_a_receipt_rerun_goes_through_the_current_rules_as_a_new_linked_receipt(
    api_client, client, workspace
):
    trigger = _trigger_from_preset(workspace, "incident_escalation")
    ticket = _tagged_ticket(workspace, "payments")
    first = post_json(client, trigger, INCIDENT)
    assert first.json()["rules"] == [], "no rule yet: the admin forgot it"
    _rule_from_preset(api_client, trigger, "incident_escalation")

    response = api_client.post(f"/api/v1/inbound-receipts/{first.json()['receipt_id']}/rerun")

    assert response.status_code == 201, response.json()
    assert response.json()["rerun_of"] == first.json()["receipt_id"]
    assert response.json()["rules"][0]["changes"][0]["ticket_ids"] == [ticket.pk]
    assert Ticket.objects.get(pk=ticket.pk).status == "escalated"


def test_another_workspaces_receipt_cannot_be_rerun(api_client, client, other_workspace):
    trigger = _trigger_from_preset(other_workspace, "incident_escalation")
    receipt_id = post_json(client, trigger, INCIDENT).json()["receipt_id"]

    response = api_client.post(f"/api/v1/inbound-receipts/{receipt_id}/rerun")

    assert response.status_code == 404


def test_the_presets_are_listed_for_the_form_and_the_api(api_client):
    response = api_client.get("/api/v1/inbound-rule-presets")

    keys = [preset["key"] for preset in response.json()["results"]]
    assert keys == ["order_shipped", "incident_escalation", "website_form"]


# --- Website forms -------------------------------------------------------------------------


@pytest.fixture
def form_trigger(api_client, workspace, member):
    trigger = _trigger_from_preset(
        workspace,
        "website_form",
        redirect_urls=["https://shop.example/thanks"],
        allowed_origins=["https://shop.example"],
    )
    rule = _preset("website_form")["rule"]
    rule["actions"][0]["assignee"] = member.pk
    _rule_from_preset(api_client, trigger, "website_form", actions=rule["actions"])
    return trigger


def test_a_urlencoded_form_creates_the_contact_and_redirects_the_browser(
    client, form_trigger, member
):
    response = client.post(
        form_trigger.receive_path,
        "email=ada%40example.com&name=Ada+Lovelace&website=",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 303
    assert response["Location"] == "https://shop.example/thanks"
    contact = Contact.objects.get(email="ada@example.com")
    assert (contact.name, contact.assignee_id) == ("Ada Lovelace", member.pk)
    receipt = InboundReceipt.objects.get(trigger=form_trigger)
    assert receipt.http_status == 303 and receipt.payload["email"] == "ada@example.com"


def test_a_multipart_form_maps_its_fields_by_name(client, form_trigger):
    response = client.post(form_trigger.receive_path, {"email": "bo@example.com", "name": "Bo"})

    assert response.status_code == 303
    assert Contact.objects.filter(email="bo@example.com", name="Bo").exists()


def test_a_form_is_validated_against_the_shape_after_mapping(client, form_trigger):
    response = client.post(form_trigger.receive_path, {"name": "No email"})

    assert response.status_code == 422
    assert "email" in response.json()["detail"]
    assert not Contact.objects.exists()


def test_a_filled_honeypot_looks_accepted_but_does_nothing(client, form_trigger):
    response = client.post(
        form_trigger.receive_path, {"email": "bot@spam.example", "website": "http://spam"}
    )

    assert response.status_code == 303
    assert not Contact.objects.exists()
    receipt = InboundReceipt.objects.get(trigger=form_trigger)
    assert receipt.is_spam and receipt.rules == []


def test_without_redirect_urls_the_browser_gets_our_thank_you_page(client, workspace):
    trigger = _trigger_from_preset(workspace, "website_form")

    response = client.post(trigger.receive_path, {"email": "cy@example.com"})

    assert response.status_code == 200
    assert b"Thank you" in response.content


def test_a_redirect_field_may_only_pick_an_allow_listed_url(client, form_trigger):
    response = client.post(
        form_trigger.receive_path,
        {"email": "di@example.com", "redirect": "https://evil.example/"},
    )

    assert response["Location"] == "https://shop.example/thanks"


def test_forms_post_to_contact_triggers_only(client, tag_trigger):
    response = client.post(tag_trigger.receive_path, {"order.conversation_id": "x"})

    assert response.status_code == 415


def test_cors_preflight_answers_only_allow_listed_origins(client, form_trigger):
    allowed = client.options(form_trigger.receive_path, HTTP_ORIGIN="https://shop.example")
    other = client.options(form_trigger.receive_path, HTTP_ORIGIN="https://evil.example")
    post = client.post(
        form_trigger.receive_path,
        {"email": "ed@example.com"},
        HTTP_ORIGIN="https://shop.example",
    )

    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in other
    assert post["Access-Control-Allow-Origin"] == "https://shop.example"


def test_redirect_urls_must_be_absolute_http_urls(workspace):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        _trigger_from_preset(workspace, "website_form", redirect_urls=["javascript:alert(1)"])

    assert "redirect_urls" in refused.value.message_dict


def test_a_form_with_a_nul_character_is_a_400_with_a_receipt(client, form_trigger):
    response = client.post(
        form_trigger.receive_path,
        "email=a%00b%40example.com",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"
    assert not Contact.objects.exists()
    assert InboundReceipt.objects.get(trigger=form_trigger).http_status == 400


def test_a_broken_multipart_body_is_a_400(client, form_trigger):
    response = client.post(
        form_trigger.receive_path,
        b"--x\r\nnot a part",
        content_type="multipart/form-data; boundary=",
    )

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_a_rule_cannot_listen_to_another_workspaces_trigger(api_client, workspace, other_workspace):
    from django.core.exceptions import ValidationError

    from inbox.services.routing import routing_rule_create

    theirs = _trigger_from_preset(other_workspace, "incident_escalation")
    body = {**_preset("incident_escalation")["rule"]}
    body.pop("max_tickets")

    response = api_client.post(RULES, {**body, "inbound_trigger": theirs.pk}, format="json")
    with pytest.raises(ValidationError) as refused:
        routing_rule_create(workspace=workspace, inbound_trigger=theirs, **body)

    assert response.status_code == 400 and "inbound_trigger" in response.json()["errors"]
    assert "inbound_trigger" in refused.value.message_dict
