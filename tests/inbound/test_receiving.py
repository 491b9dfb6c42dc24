"""POSTs to a trigger's real URL: each action end to end, and every way to be refused."""

import base64
import hashlib
import hmac
import json

import pytest
import requests

from inbound.models import InboundReceipt
from inbound.services import trigger_create, trigger_update, trigger_url_regenerate
from inbox.models import Contact, Ticket, TraceEntry
from tests.factories import ConversationFactory, TicketFactory
from webhooks.models import WebhookEvent
from workspaces.models import Membership

from .conftest import ORDER_SCHEMA, post_json

pytestmark = pytest.mark.django_db

SHIPPED = {"order": {"conversation_id": "shop-order-42", "status": "shipped"}}


def _trace(conversation, kind):
    return list(TraceEntry.objects.filter(conversation=conversation, kind=kind))


# --- Actions --------------------------------------------------------------------------------


def test_tag_conversation_adds_the_tags_and_traces_it(client, tag_trigger, conversation):
    conversation.tags.create(workspace=conversation.workspace, name="vip")

    response = post_json(client, tag_trigger, SHIPPED)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted"
    assert body["result"] == {"conversation_id": conversation.pk, "tags_added": ["shipped"]}
    assert set(conversation.tags.values_list("name", flat=True)) == {"vip", "shipped"}
    [entry] = _trace(conversation, TraceEntry.Kind.TAGS_CHANGED)
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
    assert len(_trace(conversation, TraceEntry.Kind.TICKET_STATUS_CHANGED)) == 2


def _contact_trigger(workspace, assignee):
    return trigger_create(
        workspace=workspace,
        created_by=None,
        name="Website form",
        resource="contact",
        payload_schema={
            "type": "object",
            "required": ["email"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                # Declared: a path must be in the shape (issue 13).
                "profile": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        },
        contact_email_path="email",
        contact_name_path="profile.name",
        assignee=assignee,
    )


def test_create_contact_creates_then_upserts_and_assigns(client, workspace, member):
    trigger = _contact_trigger(workspace, member)

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
    [entry] = _trace(conversation, TraceEntry.Kind.CUSTOM_EVENT)
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


# --- Refusals -------------------------------------------------------------------------------


def _nothing_written(conversation):
    assert not conversation.tags.exists()
    assert not TraceEntry.objects.filter(conversation=conversation).exists()
    assert not WebhookEvent.objects.exists()


def test_a_wrong_url_signature_is_404_and_leaves_no_receipt(client, tag_trigger, conversation):
    path = f"/hooks/inbound/{tag_trigger.public_id}/{'0' * 32}"

    response = client.post(path, json.dumps(SHIPPED), content_type="application/json")

    assert response.status_code == 404
    assert response.json()["type"] == "not_found"
    assert not InboundReceipt.objects.exists()
    _nothing_written(conversation)


def test_unknown_disabled_and_regenerated_urls_all_answer_the_same_404(
    client, tag_trigger, conversation
):
    old_path = tag_trigger.receive_path
    unknown = client.post(
        "/hooks/inbound/trg_doesnotexist/abc", "{}", content_type="application/json"
    )
    trigger_update(trigger=tag_trigger, enabled=False)
    disabled = client.post(old_path, json.dumps(SHIPPED), content_type="application/json")
    trigger_update(trigger=tag_trigger, enabled=True)
    trigger = trigger_url_regenerate(trigger=tag_trigger)
    regenerated = client.post(old_path, json.dumps(SHIPPED), content_type="application/json")

    assert unknown.status_code == disabled.status_code == regenerated.status_code == 404
    assert unknown.json() == disabled.json() == regenerated.json()
    _nothing_written(conversation)
    assert trigger.receive_path != old_path
    assert post_json(client, trigger, SHIPPED).status_code == 200


def test_a_get_is_not_allowed(client, tag_trigger):
    assert client.get(tag_trigger.receive_path).status_code == 405


def _signed(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_a_required_body_signature_must_match(client, tag_trigger, conversation):
    trigger = trigger_update(trigger=tag_trigger, secret="s3cret")
    body = json.dumps(SHIPPED).encode()

    missing = post_json(client, trigger, body)
    wrong = post_json(client, trigger, body, HTTP_X_OMNIFLOW_SIGNATURE=_signed("other", body))

    assert missing.status_code == wrong.status_code == 401
    assert wrong.json()["type"] == "signature_invalid"
    _nothing_written(conversation)
    assert InboundReceipt.objects.filter(trigger=trigger, http_status=401).count() == 2

    right = post_json(client, trigger, body, HTTP_X_OMNIFLOW_SIGNATURE=_signed("s3cret", body))
    assert right.status_code == 200


def test_a_body_that_is_not_json_is_415(client, tag_trigger, conversation):
    response = post_json(client, tag_trigger, "order=42", content_type="text/plain")

    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "unsupported_media_type"
    _nothing_written(conversation)


@pytest.mark.parametrize("body", ['{"order": ', "NaN", '{"a": 1e400}', b"\xff\xfe"])
def test_malformed_json_is_400(client, tag_trigger, conversation, body):
    response = post_json(client, tag_trigger, body)

    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"
    _nothing_written(conversation)
    assert InboundReceipt.objects.get(trigger=tag_trigger).status == "rejected"


def test_a_body_over_the_limit_is_413(client, tag_trigger, settings):
    settings.OMNIFLOW_API_MAX_BODY_BYTES = 100

    response = post_json(client, tag_trigger, {"padding": "x" * 200})

    assert response.status_code == 413
    assert response.json()["type"] == "payload_too_large"


def test_a_payload_not_of_the_declared_shape_is_422_with_field_errors_and_changes_nothing(
    client, tag_trigger, conversation
):
    response = post_json(client, tag_trigger, {"order": {"conversation_id": 42, "status": "lost"}})

    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "payload_invalid"
    assert set(body["errors"]) == {"order.conversation_id", "order.status"}
    assert "is not of type 'string'" in body["errors"]["order.conversation_id"][0]
    _nothing_written(conversation)
    receipt = InboundReceipt.objects.get(trigger=tag_trigger)
    assert (receipt.status, receipt.http_status, receipt.error_type) == (
        "rejected",
        422,
        "payload_invalid",
    )
    assert "order.status" in receipt.error


def test_an_unknown_conversation_is_422_and_changes_nothing(client, tag_trigger, conversation):
    other = {"order": {"conversation_id": "no-such-order", "status": "shipped"}}

    response = post_json(client, tag_trigger, other)

    assert response.status_code == 422
    assert response.json()["type"] == "conversation_not_found"
    assert response.json()["errors"] == {
        "order.conversation_id": [
            "No conversation with external_id 'no-such-order' in this workspace."
        ]
    }
    _nothing_written(conversation)
    assert InboundReceipt.objects.get(trigger=tag_trigger).error_type == "conversation_not_found"


def test_another_workspaces_conversation_is_not_found(client, tag_trigger, other_workspace):
    ConversationFactory(workspace=other_workspace, external_id="shop-order-42")

    response = post_json(client, tag_trigger, SHIPPED)

    assert response.status_code == 422
    assert not WebhookEvent.objects.exists()


def test_a_payload_without_the_contact_identifier_is_422(client, workspace, member):
    trigger = _contact_trigger(workspace, member)
    trigger = trigger_update(trigger=trigger, payload_schema={"type": "object"})

    response = post_json(client, trigger, {"profile": {"name": "Ada"}})

    assert response.status_code == 422
    assert response.json()["type"] == "contact_unidentified"
    assert not Contact.objects.exists()


def test_a_service_refusal_is_422_and_rolls_the_action_back(client, workspace, member):
    # The assignee left the workspace after the trigger was set up: the upsert refuses.
    trigger = _contact_trigger(workspace, member)
    Membership.objects.filter(user=member).delete()

    response = post_json(client, trigger, {"email": "ada@example.com"})

    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "action_invalid"
    assert body["errors"] == {"assignee": ["The assignee must be a member of this workspace."]}
    assert not Contact.objects.exists()
    assert InboundReceipt.objects.get(trigger=trigger).error_type == "action_invalid"


def test_over_the_rate_is_429_with_retry_after(client, tag_trigger, conversation, settings):
    settings.OMNIFLOW_INBOUND_RATE = "2/m"

    answers = [post_json(client, tag_trigger, SHIPPED).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    refused = post_json(client, tag_trigger, SHIPPED)
    assert refused.json()["type"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Refusals for rate leave no receipt, so a flood cannot fill the table.
    assert InboundReceipt.objects.filter(trigger=tag_trigger).count() == 2


def test_an_idempotency_key_replays_the_first_answer_without_acting_twice(
    client, workspace, member
):
    trigger = _contact_trigger(workspace, member)
    payload = {"email": "ada@example.com"}

    first = post_json(client, trigger, payload, HTTP_IDEMPOTENCY_KEY="evt-1")
    Contact.objects.all().delete()
    again = post_json(client, trigger, payload, HTTP_IDEMPOTENCY_KEY="evt-1")

    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not Contact.objects.exists(), "the repeat did not run the action"
    # Issue 14: the replay leaves its own receipt, marked as a replay.
    receipts = list(InboundReceipt.objects.filter(trigger=trigger).order_by("id"))
    assert [(r.http_status, r.is_replay) for r in receipts] == [(200, False), (200, True)]
    assert post_json(client, trigger, payload, HTTP_IDEMPOTENCY_KEY="evt-2").status_code == 200
    assert Contact.objects.count() == 1
    reused = post_json(client, trigger, {"email": "bob@example.com"}, HTTP_IDEMPOTENCY_KEY="evt-1")
    assert reused.status_code == 409
    assert reused.json()["type"] == "idempotency_key_reused"
    assert Contact.objects.count() == 1


def test_a_configured_event_id_path_dedupes_repeats(client, tag_trigger, conversation):
    # The event id is declared in the shape: a path must be in it (issue 13).
    shape = {**ORDER_SCHEMA, "properties": {**ORDER_SCHEMA["properties"], "event_id": {}}}
    trigger = trigger_update(trigger=tag_trigger, idempotency_path="event_id", payload_schema=shape)
    payload = {**SHIPPED, "event_id": "ship-777"}

    first = post_json(client, trigger, payload)
    conversation.tags.clear()
    again = post_json(client, trigger, payload)

    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not conversation.tags.exists(), "no second tag"
    assert len(_trace(conversation, TraceEntry.Kind.TAGS_CHANGED)) == 1


def test_a_shape_with_a_ref_outside_it_refuses_payloads_without_fetching(
    client, tag_trigger, conversation
):
    trigger = trigger_update(
        trigger=tag_trigger, payload_schema={"$ref": "https://schemas.example.com/order.json"}
    )

    response = post_json(client, trigger, SHIPPED)

    assert response.status_code == 422
    assert "unresolvable $ref" in response.json()["errors"]["non_field_errors"][0]
    _nothing_written(conversation)
