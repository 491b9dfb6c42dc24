"""POSTs to a trigger's real URL: each action end to end, and every way to be refused."""

import pytest
import requests

from inbound.models import InboundReceipt
from inbound.services import trigger_create
from inbox.models import Contact, Ticket, TraceEntry
from tests.factories import ConversationFactory, TicketFactory
from tests.support.inbound_triggers import (
    ORDER_SCHEMA,
    SHIPPED,
    make_contact_trigger,
    post_json,
    trace_of,
)
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

# --- Actions --------------------------------------------------------------------------------


def test_tag_conversation_adds_the_tags_and_traces_it(client, tag_trigger, conversation):
    conversation.tags.create(workspace=conversation.workspace, name="vip")

    response = post_json(client, tag_trigger, SHIPPED)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted"
    assert body["result"] == {"conversation_id": conversation.pk, "tags_added": ["shipped"]}
    assert set(conversation.tags.values_list("name", flat=True)) == {"vip", "shipped"}
    [entry] = trace_of(conversation, TraceEntry.Kind.TAGS_CHANGED)
    assert entry.details == {"added": ["shipped"], "removed": []}
    assert entry.actor == f"inbound_trigger:{tag_trigger.public_id}"
    receipt = InboundReceipt.objects.get(trigger=tag_trigger)
    assert (receipt.status, receipt.http_status, receipt.pk) == (
        "accepted",
        200,
        body["receipt_id"],
    )
    assert receipt.result["conversation_id"] == conversation.pk
    assert "shop-order-42" in receipt.payload_excerpt


def test_tagging_fires_routing_rules_and_their_outbound_event(client, tag_trigger, conversation):
    from tests.factories import RoutingRuleFactory

    RoutingRuleFactory(
        workspace=conversation.workspace,
        trigger="updated",
        conditions=[{"field": "tag", "operator": "equals", "value": "shipped"}],
        actions=[{"type": "set_priority", "priority": "high"}],
    )

    assert post_json(client, tag_trigger, SHIPPED).status_code == 200

    conversation.refresh_from_db()
    assert conversation.priority == "high"
    assert WebhookEvent.objects.filter(
        workspace=conversation.workspace, event_type="automation.triggered"
    ).exists()


def test_conversation_found_by_omniflow_id(client, workspace, conversation):
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="By id",
        resource="conversation",
        payload_schema={"type": "object"},
        conversation_match="id",
        conversation_path="conversation",
        tags=["paid"],
    )

    response = post_json(client, trigger, {"conversation": conversation.pk})

    assert response.status_code == 200
    assert list(conversation.tags.values_list("name", flat=True)) == ["paid"]


def test_escalate_tickets_escalates_open_and_pending_ones_with_events(
    client, workspace, conversation
):
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Vendor incident",
        resource="ticket",
        payload_schema={"type": "object", "required": ["conversation"]},
        conversation_path="conversation",
    )
    open_ticket = TicketFactory(workspace=workspace, conversation=conversation, status="open")
    pending = TicketFactory(workspace=workspace, conversation=conversation, status="pending")
    resolved = TicketFactory(workspace=workspace, conversation=conversation, status="resolved")
    elsewhere = TicketFactory(
        workspace=workspace, conversation=ConversationFactory(workspace=workspace)
    )

    response = post_json(client, trigger, {"conversation": "shop-order-42", "incident": "INC-9"})

    assert response.status_code == 200
    assert response.json()["result"]["tickets_escalated"] == [open_ticket.pk, pending.pk]
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses[open_ticket.pk] == statuses[pending.pk] == "escalated"
    assert statuses[resolved.pk] == "resolved"
    assert statuses[elsewhere.pk] == "open"
    events = WebhookEvent.objects.filter(event_type="ticket.status_changed").order_by("id")
    assert [event.resource_id for event in events] == [str(open_ticket.pk), str(pending.pk)]
    assert events[0].previous_attributes == {"status": "open"}
    assert len(trace_of(conversation, TraceEntry.Kind.TICKET_STATUS_CHANGED)) == 2


def test_create_contact_creates_then_upserts_and_assigns(client, workspace, member):
    trigger = make_contact_trigger(workspace, member)

    first = post_json(client, trigger, {"email": "Ada@Example.com", "profile": {"name": "Ada"}})
    second = post_json(
        client, trigger, {"email": "ada@example.com", "profile": {"name": "Ada Lovelace"}}
    )

    assert first.status_code == second.status_code == 200
    assert first.json()["result"]["created"] is True
    assert second.json()["result"]["created"] is False
    contact = Contact.objects.get(workspace=workspace)
    assert (contact.email, contact.name, contact.assignee) == (
        "ada@example.com",
        "Ada Lovelace",
        member,
    )
    assert InboundReceipt.objects.filter(trigger=trigger, status="accepted").count() == 2


def test_record_event_puts_a_custom_event_on_the_trace(client, workspace, conversation):
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Delivery updates",
        resource="custom_event",
        payload_schema=ORDER_SCHEMA,
        conversation_path="order.conversation_id",
        event_name="order.shipped",
    )

    response = post_json(client, trigger, SHIPPED)

    assert response.status_code == 200
    [entry] = trace_of(conversation, TraceEntry.Kind.CUSTOM_EVENT)
    assert entry.details == {"name": "order.shipped", "data": SHIPPED}
    assert response.json()["result"]["trace_entry_id"] == entry.pk


@pytest.mark.django_db(transaction=True)
def test_a_real_http_post_to_the_live_server_tags_the_conversation(live_server, workspace):
    conversation = ConversationFactory(workspace=workspace, external_id="shop-order-42")
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Live",
        resource="conversation",
        payload_schema=ORDER_SCHEMA,
        conversation_path="order.conversation_id",
        tags=["shipped"],
    )

    response = requests.post(live_server.url + trigger.receive_path, json=SHIPPED, timeout=10)

    assert response.status_code == 200, response.text
    assert list(conversation.tags.values_list("name", flat=True)) == ["shipped"]
