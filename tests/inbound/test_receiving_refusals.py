"""What the receiver refuses, and how: status, problem body, and nothing written."""

import base64
import datetime as dt
import hashlib
import hmac
import json

import pytest

from inbound.models import InboundReceipt
from inbound.services import trigger_update, trigger_url_regenerate
from inbox.models import Contact, TraceEntry
from tests.factories import ConversationFactory
from tests.support.inbound_triggers import (
    ORDER_SCHEMA,
    SHIPPED,
    make_contact_trigger,
    post_json,
    trace_of,
)
from webhooks.models import WebhookEvent
from workspaces.models import Membership

pytestmark = pytest.mark.django_db


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
    trigger = make_contact_trigger(workspace, member)
    trigger = trigger_update(trigger=trigger, payload_schema={"type": "object"})

    response = post_json(client, trigger, {"profile": {"name": "Ada"}})

    assert response.status_code == 422
    assert response.json()["type"] == "contact_unidentified"
    assert not Contact.objects.exists()


def test_a_service_refusal_is_422_and_rolls_the_action_back(client, workspace, member):
    # The assignee left the workspace after the trigger was set up: the upsert refuses.
    trigger = make_contact_trigger(workspace, member)
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


def test_a_sender_that_waits_retry_after_is_admitted(
    client, tag_trigger, conversation, settings, time_machine
):
    # Retry-After was one second early: a sender that obeyed it was refused again.
    settings.OMNIFLOW_INBOUND_RATE = "2/m"
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 17, 400000, tzinfo=dt.UTC), tick=False)
    assert [post_json(client, tag_trigger, SHIPPED).status_code for _ in range(2)] == [200, 200]
    retry_after = int(post_json(client, tag_trigger, SHIPPED)["Retry-After"])

    time_machine.shift(retry_after - 1)
    early = post_json(client, tag_trigger, SHIPPED)
    time_machine.shift(1)
    on_time = post_json(client, tag_trigger, SHIPPED)

    assert early.status_code == 429
    assert on_time.status_code == 200


def test_an_idempotency_key_replays_the_first_answer_without_acting_twice(
    client, workspace, member
):
    trigger = make_contact_trigger(workspace, member)
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
    assert len(trace_of(conversation, TraceEntry.Kind.TAGS_CHANGED)) == 1


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
