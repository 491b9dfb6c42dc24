"""The delivery engine's claims: one resource at a time, in order; leases, deferral, batches."""

from datetime import timedelta

import pytest

from tests.support.webhook_events import emit_committed
from webhooks.engine import dispatch as engine
from webhooks.models import (
    WebhookDelivery,
    WebhookDeliveryAttempt,
)
from webhooks.services import (
    endpoint_create,
)

pytestmark = pytest.mark.django_db


def test_a_failing_resource_does_not_hold_up_the_others(workspace, receiver, allow_private_urls):
    receiver.behaviour = lambda number, request: (
        (503, {}) if request.json["data"]["id"] == 1 else (200, {})
    )
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.status_changed"])
    for sequence in range(3):
        for resource in (1, 2):
            emit_committed(
                workspace=workspace,
                event_type="ticket.status_changed",
                resource_id=resource,
                sequence=sequence,
            )

    for _ in range(3):
        engine.deliveries_dispatch()

    statuses = dict(
        WebhookDelivery.objects.filter(resource_id="2").values_list("id", "status")
    ).values()
    assert list(statuses) == ["succeeded"] * 3
    # Resource 1's first event keeps failing; its later events wait behind it, unsent.
    assert {
        r.json["data"]["sequence"] for r in receiver.received() if r.json["data"]["id"] == 1
    } == {0}


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(
    workspace, receiver, allow_private_urls
):
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    event = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    (claim,) = engine.deliveries_claim()
    # Given the lease ran out and another worker claimed the delivery anew,
    WebhookDelivery.objects.filter(id=claim.id).update(
        locked_until=claim.claimed_until + timedelta(minutes=1)
    )

    # when the first worker finally writes its outcome,
    engine.deliveries_send(deliveries=[claim])

    # then the new owner's state stands, and the attempt that happened is still on record.
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempt_count) == ("pending", 0)
    assert delivery.locked_until == claim.claimed_until + timedelta(minutes=1)
    assert delivery.attempts.count() == 1


def test_claims_take_only_the_oldest_unfinished_delivery_of_each_resource(
    workspace, allow_private_urls
):
    endpoint_create(workspace=workspace, url="http://127.0.0.1:9/", event_types=["ticket.created"])
    for sequence in range(3):
        for resource in (1, 2):
            emit_committed(
                workspace=workspace, event_type="ticket.created", resource_id=resource, n=sequence
            )

    first = engine.deliveries_claim()
    again = engine.deliveries_claim()

    assert sorted(c.body.count('"n":0') for c in first) == [1, 1]
    assert {c.id for c in first} == set(
        WebhookDelivery.objects.order_by("id").values_list("id", flat=True)[:2]
    )
    # Leased heads block their resources: nothing else is due until they finish.
    assert again == []


def test_deliveries_behind_a_retrying_one_are_deferred_then_released(
    workspace, receiver, allow_private_urls
):
    failing = {1}
    receiver.behaviour = lambda number, request: (
        (503, {}) if request.json["data"]["id"] in failing else (200, {})
    )
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    head = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=2)

    engine.deliveries_dispatch()

    retrying = WebhookDelivery.objects.get(event=head)
    behind = WebhookDelivery.objects.get(resource_id="1", status="pending")
    assert retrying.status == "retrying"
    # Not due while it waits, so claims do not walk past it on every round.
    assert behind.next_attempt_at == retrying.first_attempted_at + timedelta(days=1)
    assert WebhookDelivery.objects.get(resource_id="2").status == "succeeded"

    # When the one ahead finally succeeds, the one behind is due at once.
    failing.clear()
    WebhookDelivery.objects.filter(id=retrying.id).update(next_attempt_at=retrying.created_at)
    engine.deliveries_dispatch()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_small_batches_keep_each_resource_in_order_and_leave_nothing_behind(
    workspace, receiver, allow_private_urls
):
    # Given several events on each of a few resources, and batches smaller than what is due
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.status_changed"])
    for sequence in range(4):
        for resource in range(5):
            emit_committed(
                workspace=workspace,
                event_type="ticket.status_changed",
                resource_id=resource,
                sequence=sequence,
            )

    # When one dispatch runs
    report = engine.deliveries_dispatch(batch_size=3)

    # Then every delivery went out once, in this one run, each resource's in event order
    assert report.deliveries == 20
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 20
    received = receiver.received()
    assert len(received) == 20
    for resource in range(5):
        sequences = [
            r.json["data"]["sequence"] for r in received if r.json["data"]["id"] == resource
        ]
        assert sequences == [0, 1, 2, 3]


def test_a_batch_starts_no_request_that_could_outlast_its_lease(
    workspace, receiver, allow_private_urls, settings
):
    # Two requests in flight at a time, each answered in 0.4 s, and a lease that leaves about
    # 0.3 s to start requests that must still finish (time out) before it ends.
    settings.OMNIFLOW_WEBHOOK_CONCURRENCY = 2
    settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS = 0.6
    receiver.delay_seconds = 0.4
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    for resource in range(6):
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=resource)

    engine.deliveries_send(deliveries=engine.deliveries_claim())

    # The first two went; the rest are back in the queue as they were, due at once.
    assert len(receiver.received()) == 2
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 2
    unsent = WebhookDelivery.objects.filter(status="pending")
    assert unsent.count() == 4
    assert {(d.attempt_count, d.locked_until) for d in unsent} == {(0, None)}
    assert not WebhookDeliveryAttempt.objects.filter(delivery__in=unsent).exists()
    settings.OMNIFLOW_WEBHOOK_CONCURRENCY = 64  # a claim takes no more than may be in flight
    assert {c.id for c in engine.deliveries_claim()} == {d.id for d in unsent}
