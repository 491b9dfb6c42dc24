"""Issue 14 in Settings: rules from presets, the dry run, website-form settings, re-run."""

import json

import pytest

from inbound.models import InboundReceipt, InboundTrigger
from inbound.presets import RULE_PRESETS
from inbound.services import trigger_create
from inbox.models import RoutingRule, Ticket
from inbox.services.common import tags_resolve
from tests.factories import ConversationFactory, TicketFactory
from tests.support.inbound_triggers import post_json
from webhooks.models import WebhookEvent

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


def _rendered_form_data(page) -> dict:
    """Return what the page's rule form would post as it is drawn (as a browser would)."""
    builder = page.context["builder"]
    data = {}
    for form in builder.forms():
        for bound in form:
            value = bound.value()
            if value in (None, False, []):
                continue
            data[bound.html_name] = value if not isinstance(value, bool) else "on"
    for formset in (builder.conditions, builder.actions):
        for bound in formset.management_form:
            data[bound.html_name] = bound.value()
    return data


def test_a_preset_fills_the_rule_builder_and_the_admin_saves_it_edited(
    admin_client, incident_trigger
):
    url = f"/settings/inbound/{incident_trigger.pk}/rules/"
    page = admin_client.get(url, {"preset": "incident_escalation"})
    assert page.status_code == 200
    data = _rendered_form_data(page)
    # The preset's rows, as fields: no JSON to edit.
    assert data["conditions-0-field"] == "payload.incident.status"
    assert data["actions-0-type"] == "set_ticket_status"
    data["actions-0-status"] = "pending"  # the admin's edit
    data["max_tickets"] = "50"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    rule = RoutingRule.objects.get(inbound_trigger=incident_trigger)
    assert (rule.trigger, rule.max_tickets, rule.is_active) == ("inbound", 50, True)
    assert rule.conditions == RULE_PRESETS["incident_escalation"]["rule"]["conditions"]
    assert rule.actions[0]["status"] == "pending"
    assert (
        rule.actions[0]["selector"]
        == RULE_PRESETS["incident_escalation"]["rule"]["actions"][0]["selector"]
    )
    listing = admin_client.get(url).content.decode()
    assert "payload incident.status is one of “triggered” or “paged”" in listing
    assert "{&#x27;" not in listing and "[{" not in listing


def _builder_data(**fields) -> dict:
    data = {
        "name": "Tag big orders",
        "is_active": "on",
        "conditions-TOTAL_FORMS": "2",
        "conditions-INITIAL_FORMS": "0",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "conditions-0-field": "payload.order.total",
        "conditions-0-operator": "gte",
        "conditions-0-value": "100",
        "actions-0-type": "tag",
        "actions-0-tag": "big",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_a_rule_built_from_rows_is_saved_with_typed_values(admin_client, incident_trigger):
    url = f"/settings/inbound/{incident_trigger.pk}/rules/"

    response = admin_client.post(
        url,
        _builder_data(
            **{
                "conditions-1-field": "payload.order.id",
                "conditions-1-operator": "in",
                "conditions-1-value": 'A-1, "42", 7',
            }
        ),
    )

    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.conditions == [
        {"field": "payload.order.total", "operator": "gte", "value": 100},
        {"field": "payload.order.id", "operator": "in", "value": ["A-1", "42", 7]},
    ]
    assert rule.actions == [{"type": "tag", "tag": "big"}]


def test_a_broken_rule_re_renders_with_every_error_at_once(admin_client, incident_trigger):
    response = admin_client.post(
        f"/settings/inbound/{incident_trigger.pk}/rules/",
        _builder_data(
            name="",
            **{
                "conditions-0-field": "nowhere",
                "actions-0-type": "set_ticket_status",
                "actions-0-tag": None,
            },
        ),
    )

    assert response.status_code == 200
    builder = response.context["builder"]
    assert builder.form.errors.keys() == {"name"}
    page = response.content.decode()
    assert 'id="error-summary"' in page
    # The name is missing, and the rows' errors are shown too, not only after it is fixed.
    assert "Name: This field is required." in page
    assert not RoutingRule.objects.exists()


def test_rows_are_checked_by_the_api_rules_once_the_rule_fields_hold(
    admin_client, incident_trigger
):
    response = admin_client.post(
        f"/settings/inbound/{incident_trigger.pk}/rules/",
        _builder_data(
            **{
                "conditions-0-field": "nowhere",
                "actions-0-type": "set_ticket_status",
                "actions-0-tag": None,
            }
        ),
    )

    assert response.status_code == 200
    builder = response.context["builder"]
    assert "Unknown condition field 'nowhere'." in builder.conditions.forms[0].errors["field"]
    assert "Required for a set_ticket_status action." in builder.actions.forms[0].errors["status"]
    page = response.content.decode()
    assert page.count('aria-invalid="true"') >= 2
    assert not RoutingRule.objects.exists()


def test_add_a_condition_redraws_the_builder_one_row_longer(admin_client, incident_trigger):
    response = admin_client.post(
        f"/settings/inbound/{incident_trigger.pk}/rules/", _builder_data(add="conditions")
    )

    assert response.status_code == 200
    assert len(response.context["builder"].conditions.forms) == 3
    assert 'value="100"' in response.content.decode()  # what was typed stays
    assert not RoutingRule.objects.exists()


def _rule(workspace, trigger, name: str, position: int, **fields) -> RoutingRule:
    return RoutingRule.objects.create(
        workspace=workspace,
        name=name,
        trigger="inbound",
        inbound_trigger=trigger,
        position=position,
        conditions=[],
        actions=[{"type": "tag", "tag": name.lower()}],
        **fields,
    )


def test_rules_are_edited_reordered_disabled_and_deleted_on_their_page(
    admin_client, workspace, incident_trigger, other_workspace
):
    first = _rule(workspace, incident_trigger, "First", 0)
    second = _rule(workspace, incident_trigger, "Second", 1)
    third = _rule(workspace, incident_trigger, "Third", 2)
    base = f"/settings/inbound/{incident_trigger.pk}/rules"

    edit = admin_client.get(f"{base}/{second.pk}/edit/")
    assert edit.status_code == 200
    data = _rendered_form_data(edit)
    assert data["actions-0-tag"] == "second"
    data.update({"name": "Second, renamed", "actions-0-tag": "renamed"})
    assert admin_client.post(f"{base}/{second.pk}/edit/", data).status_code == 302
    second.refresh_from_db()
    assert (second.name, second.actions) == ("Second, renamed", [{"type": "tag", "tag": "renamed"}])

    admin_client.post(f"{base}/{third.pk}/move/", {"direction": "up"})
    order = list(RoutingRule.objects.filter(inbound_trigger=incident_trigger).order_by("position"))
    assert [rule.name for rule in order] == ["First", "Third", "Second, renamed"]
    admin_client.post(f"{base}/{first.pk}/move/", {"direction": "up"})  # already first
    assert RoutingRule.objects.get(pk=first.pk).position == 0

    admin_client.post(f"{base}/{first.pk}/toggle/")
    assert not RoutingRule.objects.get(pk=first.pk).is_active
    page = admin_client.get(f"{base}/").content.decode()
    assert "Disabled" in page and "Enable</button>" in page

    confirm = admin_client.get(f"{base}/{third.pk}/delete/")
    assert "Tag the conversation “third”" in confirm.content.decode()
    admin_client.post(f"{base}/{third.pk}/delete/")
    assert not RoutingRule.objects.filter(pk=third.pk).exists()

    # Another workspace's rule is not found here.
    foreign = _rule(other_workspace, None, "Theirs", 0)
    assert admin_client.post(f"{base}/{foreign.pk}/toggle/").status_code == 404
    assert RoutingRule.objects.get(pk=foreign.pk).is_active


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
