"""Issue 14: a custom inbound event fires a rule; its automation.triggered reaches a subscriber."""

import json

from jsonschema import Draft202012Validator

from inbound.services import trigger_create
from inbox.services.routing import routing_rule_create
from tests.factories import ConversationFactory
from tests.support.processes import wait_for
from webhooks.event_schemas import event_schema
from webhooks.services import endpoint_create


def test_a_custom_event_fires_a_rule_whose_automation_triggered_is_delivered(
    start_worker, receiver, client, workspace, allow_private_urls
):
    conversation = ConversationFactory(workspace=workspace, external_id="acct-7")
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Billing: invoice overdue",
        resource="custom_event",
        event_name="invoice.overdue",
        payload_schema={"type": "object"},
        conversation_path="account",
    )
    rule = routing_rule_create(
        workspace=workspace,
        name="Overdue invoices are urgent",
        trigger="inbound",
        inbound_trigger=trigger,
        event_name="invoice.overdue",
        conditions=[{"field": "payload.days_overdue", "operator": "gte", "value": 30}],
        actions=[{"type": "set_priority", "priority": "urgent"}],
    )
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["automation.triggered"])
    start_worker()

    response = client.post(
        trigger.receive_path,
        json.dumps({"account": "acct-7", "days_overdue": 45}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    (request,) = wait_for(receiver.received)
    assert request.headers["X-Omniflow-Event"] == "automation.triggered"
    data = request.json["data"]
    assert data["rule"] == {"id": rule.pk, "name": "Overdue invoices are urgent"}
    assert data["inbound_trigger"]["id"] == trigger.public_id
    assert data["conversation"]["id"] == conversation.pk
    assert data["changes"] == [
        {
            "action": "set_priority",
            "conversation_id": conversation.pk,
            "from": "normal",
            "to": "urgent",
        }
    ]
    # The delivered body honours the catalogue's contract too (the same schema as routing rules).
    Draft202012Validator(event_schema(event_type="automation.triggered")).validate(request.json)
