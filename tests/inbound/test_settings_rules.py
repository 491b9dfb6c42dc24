"""Issue 14 in Settings: rules from presets, the dry run, website-form settings, re-run."""

import json

import pytest

from inbound.models import InboundReceipt, InboundTrigger
from inbound.presets import RULE_PRESETS
from inbound.services import trigger_create
from inbox.models import RoutingRule, Ticket
from inbox.services.common import tags_resolve
from tests.factories import ConversationFactory, TicketFactory
from webhooks.models import WebhookEvent

from .conftest import post_json

pytestmark = pytest.mark.django_db

INCIDENT = {"incident": {"id": "inc-9", "component": "payments", "status": "triggered"}}


@pytest.fixture
def incident_trigger(workspace):
    preset = RULE_PRESETS["incident_escalation"]
    return trigger_create(
        workspace=workspace, created_by=None, name="Status page", **preset["trigger"]
    )


def _payments_ticket(workspace):
    ticket = TicketFactory(
        workspace=workspace, conversation=ConversationFactory(workspace=workspace)
    )
    ticket.tags.set(tags_resolve(workspace=workspace, names=["payments"]))
    return ticket


def test_a_preset_fills_the_rule_form_and_the_admin_saves_it_edited(admin_client, incident_trigger):
    url = f"/settings/inbound/{incident_trigger.pk}/rules/"
    page = admin_client.get(url, {"preset": "incident_escalation"})
    assert page.status_code == 200
    form = page.context["form"]
    actions = json.loads(form.initial["actions"])
    actions[0]["status"] = "pending"  # the admin's edit

    response = admin_client.post(
        url,
        {
            "name": form.initial["name"],
            "conditions": form.initial["conditions"],
            "actions": json.dumps(actions),
            "event_name": "",
            "max_tickets": "50",
        },
    )

    assert response.status_code == 302
    rule = RoutingRule.objects.get(inbound_trigger=incident_trigger)
    assert (rule.trigger, rule.max_tickets) == ("inbound", 50)
    assert rule.actions[0]["status"] == "pending"
    assert "Status page" in admin_client.get(url).content.decode()


def test_a_broken_rule_re_renders_with_messages(admin_client, incident_trigger):
    response = admin_client.post(
        f"/settings/inbound/{incident_trigger.pk}/rules/",
        {"name": "x", "conditions": "[", "actions": '[{"type": "set_ticket_status"}]'},
    )

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"conditions", "actions"}
    assert not RoutingRule.objects.exists()


def test_the_settings_dry_run_shows_what_would_change_and_changes_nothing(
    admin_client, workspace, incident_trigger
):
    RoutingRule.objects.create(
        workspace=workspace,
        name="Escalate",
        trigger="inbound",
        inbound_trigger=incident_trigger,
        conditions=[],
        actions=RULE_PRESETS["incident_escalation"]["rule"]["actions"],
    )
    ticket = _payments_ticket(workspace)

    response = admin_client.post(
        f"/settings/inbound/{incident_trigger.pk}/dry-run/", {"payload": json.dumps(INCIDENT)}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "The sender would get 200" in html and str(ticket.pk) in html
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    assert not InboundReceipt.objects.exists() and not WebhookEvent.objects.exists()


def test_the_rerun_button_records_a_new_receipt_linked_to_the_original(
    admin_client, client, workspace, incident_trigger
):
    ticket = _payments_ticket(workspace)
    original = InboundReceipt.objects.get(
        pk=post_json(client, incident_trigger, INCIDENT).json()["receipt_id"]
    )
    RoutingRule.objects.create(
        workspace=workspace,
        name="Escalate",
        trigger="inbound",
        inbound_trigger=incident_trigger,
        conditions=[],
        actions=RULE_PRESETS["incident_escalation"]["rule"]["actions"],
    )
    detail = admin_client.get(f"/settings/inbound/{incident_trigger.pk}/").content.decode()
    assert f"/receipts/{original.pk}/rerun/" in detail

    response = admin_client.post(
        f"/settings/inbound/{incident_trigger.pk}/receipts/{original.pk}/rerun/"
    )

    assert response.status_code == 302
    rerun = InboundReceipt.objects.get(rerun_of=original)
    assert rerun.rules[0]["rule_name"] == "Escalate"
    assert Ticket.objects.get(pk=ticket.pk).status == "escalated"
    assert (
        "Re-run of #"
        in admin_client.get(f"/settings/inbound/{incident_trigger.pk}/").content.decode()
    )


def test_support_staff_cannot_rerun_or_dry_run(support_client, incident_trigger):
    assert (
        support_client.get(f"/settings/inbound/{incident_trigger.pk}/dry-run/").status_code == 403
    )
    assert support_client.get(f"/settings/inbound/{incident_trigger.pk}/rules/").status_code == 403


def test_the_trigger_form_saves_website_form_settings(admin_client):
    response = admin_client.post(
        "/settings/inbound/new/",
        {
            "name": "Website form",
            "resource": "contact",
            "payload_schema": json.dumps({"type": "object", "properties": {"email": {}}}),
            "conversation_match": "external_id",
            "contact_email_path": "email",
            "redirect_urls": "https://shop.example/thanks\n",
            "allowed_origins": "https://shop.example",
            "honeypot_field": "website",
            "rules_only": "on",
            "enabled": "on",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    trigger = InboundTrigger.objects.get(name="Website form")
    assert trigger.redirect_urls == ["https://shop.example/thanks"]
    assert trigger.allowed_origins == ["https://shop.example"]
    assert (trigger.honeypot_field, trigger.action) == ("website", "run_rules")
