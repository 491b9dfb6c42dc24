"""The engine driven in this process: outbox writes, SSRF refusals, the retry window, replay."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from omniflow.crypto import body_signature_valid, encrypt_secret
from tests.support.webhook_events import emit_committed, replay_failed
from webhooks.engine import dispatch as engine
from webhooks.engine import retry
from webhooks.events import UnknownEventType, emit
from webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from webhooks.replays import delivery_replay
from webhooks.services import endpoint_create, endpoint_rotate_secret, endpoint_secret

pytestmark = pytest.mark.django_db


def test_a_rolled_back_transaction_emits_nothing(workspace, allow_private_urls):
    endpoint_create(workspace=workspace, url="http://127.0.0.1:9/", event_types=["ticket.created"])

    with pytest.raises(RuntimeError), transaction.atomic():
        emit(workspace=workspace, event_type="ticket.created", resource_id=1, data={"id": 1})
        raise RuntimeError("the action failed")

    assert WebhookEvent.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused(workspace):
    with pytest.raises(RuntimeError):
        emit(workspace=workspace, event_type="ticket.created", resource_id=1, data={})
    assert WebhookEvent.objects.count() == 0


def test_emit_refuses_unknown_event_types(workspace):
    with pytest.raises(UnknownEventType), transaction.atomic():
        emit(workspace=workspace, event_type="ticket.deleted", resource_id=1, data={})


def test_emit_writes_one_delivery_per_subscribed_endpoint_held_for_a_paused_one(
    workspace, other_workspace, allow_private_urls
):
    subscribed = endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/a", event_types=["ticket.status_changed"]
    )
    endpoint_create(workspace=workspace, url="http://127.0.0.1:9/b", event_types=["ticket.created"])
    paused = endpoint_create(
        workspace=workspace,
        url="http://127.0.0.1:9/c",
        event_types=["ticket.status_changed"],
        enabled=False,
    )
    endpoint_create(
        workspace=other_workspace, url="http://127.0.0.1:9/d", event_types=["ticket.status_changed"]
    )

    with transaction.atomic():
        event = emit(
            workspace=workspace,
            event_type="ticket.status_changed",
            resource_id=42,
            data={"id": 42, "status": "pending"},
            previous_attributes={"status": "open"},
        )

    delivery, held = WebhookDelivery.objects.order_by("id")
    assert (held.endpoint, held.status) == (paused, "held")
    assert delivery.endpoint == subscribed
    assert (delivery.event, delivery.status) == (event, "pending")
    assert (delivery.resource_type, delivery.resource_id) == ("ticket", "42")
    assert event.body.startswith('{"id":"' + event.public_id + '","type":"ticket.status_changed"')
    assert '"previous_attributes":{"status":"open"}' in event.body


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://10.1.2.3/x",
        "https://192.168.0.10/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://[fd00:ec2::254]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://224.0.0.1/x",
        "https://0.0.0.0/x",
        "https://user:pass@93.184.215.14/x",
    ],
)
def test_unsafe_urls_are_refused_on_save(workspace, url):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        endpoint_create(workspace=workspace, url=url, event_types=["ticket.created"])
    assert "url" in refused.value.message_dict
    assert WebhookEndpoint.objects.count() == 0


def test_public_https_urls_are_accepted(workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://93.184.215.14/hooks", event_types=["ticket.created"]
    )
    assert endpoint.url == "https://93.184.215.14/hooks"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_destinations_are_refused_at_send_time(workspace, receiver, settings, host):
    # Saved while the host looked public (or rebound since): the send-time check still holds.
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace,
        url=f"http://{host}:{receiver.port}/hook",
        event_types=["ticket.created"],
        secret_encrypted=encrypt_secret(secret="whsec_test"),
    )
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = False
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)

    engine.deliveries_dispatch()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("Refused")
    assert receiver.received() == []


def test_retries_stop_when_the_24_hour_window_ends(workspace, receiver, allow_private_urls):
    receiver.behaviour = lambda number, request: (503, {})
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    with time_machine.travel(start, tick=True):
        event = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
        engine.deliveries_dispatch()
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempt_count) == ("retrying", 1)

    with time_machine.travel(start + timedelta(hours=23, minutes=59, seconds=50), tick=True):
        engine.deliveries_dispatch()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("retrying", 2)
    # The next try is clamped to the end of the window, not past it.
    assert delivery.next_attempt_at == delivery.first_attempted_at + timedelta(hours=24)

    with time_machine.travel(start + timedelta(hours=24, seconds=1), tick=True):
        engine.deliveries_dispatch()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("failed", 3)
    assert "window" in delivery.last_error
    assert len(receiver.received()) == 3


def test_redirects_are_not_followed(workspace, receiver, allow_private_urls):
    receiver.behaviour = lambda number, request: (302, {"Location": "https://elsewhere.test/"})
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    event = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)

    engine.deliveries_dispatch()

    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == "failed"
    assert "https://elsewhere.test/" in delivery.last_error
    assert len(receiver.received()) == 1


def test_every_attempt_is_recorded(workspace, receiver, allow_private_urls):
    receiver.behaviour = lambda number, request: (500, {"X-Reason": "busy"})
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    event = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)

    engine.deliveries_dispatch()

    (attempt,) = WebhookDelivery.objects.get(event=event).attempts.all()
    assert attempt.request_body == event.body
    assert attempt.request_headers["X-Omniflow-Event"] == "ticket.created"
    assert attempt.response_status_code == 500
    assert attempt.response_headers["X-Reason"] == "busy"
    assert attempt.response_body == '{"error": "nope"}'
    assert attempt.error == "500 from the endpoint."


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert retry.retry_after_seconds(value="120", now=now) == 120
    assert retry.retry_after_seconds(value="Fri, 27 Nov 2026 09:01:30 GMT", now=now) == 90
    assert retry.retry_after_seconds(value="soon", now=now) is None


def test_replay_sends_again_with_the_current_secret_and_the_same_event_id(
    workspace, receiver, allow_private_urls
):
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    event = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    engine.deliveries_dispatch()
    original = WebhookDelivery.objects.get(event=event)
    assert original.status == "succeeded"
    new_secret = endpoint_rotate_secret(endpoint=endpoint)

    replay = delivery_replay(delivery=original)
    engine.deliveries_dispatch()

    first, second = receiver.received()
    assert first.body == second.body
    assert second.json["id"] == event.public_id
    assert second.delivery_id == str(replay.id) != first.delivery_id
    assert body_signature_valid(
        secret=new_secret, body=second.body, signature=second.headers["X-Omniflow-Signature"]
    )
    replay.refresh_from_db()
    assert (replay.status, replay.replay_of_id) == ("succeeded", original.id)
    assert endpoint_secret(endpoint=endpoint) == new_secret


def test_bulk_replay_resends_only_failed_deliveries_matching_the_filter(
    workspace, other_workspace, receiver, allow_private_urls
):
    receiver.behaviour = lambda number, request: (400, {}) if number <= 3 else (200, {})
    endpoint_create(
        workspace=workspace,
        url=receiver.url(),
        event_types=["ticket.created", "conversation.created"],
    )
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=2)
    emit_committed(workspace=workspace, event_type="conversation.created", resource_id=3)
    engine.deliveries_dispatch()
    assert WebhookDelivery.objects.filter(status="failed").count() == 3

    assert replay_failed(workspace=other_workspace) == 0
    count = replay_failed(workspace=workspace, event_type="ticket.created")
    engine.deliveries_dispatch()

    assert count == 2
    replays = WebhookDelivery.objects.filter(replay_of__isnull=False)
    assert sorted(replays.values_list("status", "event_type")) == [
        ("succeeded", "ticket.created"),
        ("succeeded", "ticket.created"),
    ]
    assert [r.json["type"] for r in receiver.received()[3:]] == ["ticket.created"] * 2


def test_bulk_replay_skips_failed_deliveries_already_replayed(
    workspace, receiver, allow_private_urls
):
    receiver.behaviour = lambda number, request: (400, {})
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    engine.deliveries_dispatch()
    assert replay_failed(workspace=workspace) == 1
    engine.deliveries_dispatch()  # the replay fails too

    second = replay_failed(workspace=workspace)
    engine.deliveries_dispatch()

    # Only the latest failure of the chain is replayed: the event goes out once per bulk replay.
    assert second == 1
    assert len(receiver.received()) == 3
    assert WebhookDelivery.objects.filter(replays__isnull=True, status="failed").count() == 1


def test_signature_is_base64_hmac_sha256_of_the_raw_body(workspace, receiver, allow_private_urls):
    import hashlib
    import hmac

    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"], secret="s3cret"
    )
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    engine.deliveries_dispatch()

    (request,) = receiver.received()
    expected = base64.b64encode(hmac.new(b"s3cret", request.body, hashlib.sha256).digest())
    assert request.headers["X-Omniflow-Signature"] == expected.decode()
    assert endpoint_secret(endpoint=endpoint) == "s3cret"
    assert b"s3cret" not in endpoint.secret_encrypted.encode()


def test_an_endpoint_without_a_secret_sends_unsigned(workspace, receiver, allow_private_urls):
    endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"], secret=""
    )
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    engine.deliveries_dispatch()

    (request,) = receiver.received()
    assert "X-Omniflow-Signature" not in request.headers
