"""Retention: old history is pruned in batches; what support may still need is kept."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbound.models import InboundReceipt
from inbound.services import trigger_create
from inbound.tasks import prune as inbound_prune
from omniflow.retention import delete_in_batches
from tests.support.inbound_triggers import ORDER_SCHEMA
from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint, WebhookEvent
from webhooks.services import endpoint_create, endpoint_delete, history_prune
from webhooks.tasks import prune as webhooks_prune

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(workspace, allow_private_urls):
    return endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/", event_types=["ticket.created"]
    )


def _delivery(endpoint, *, age_days: float, status: str) -> WebhookDelivery:
    """A delivery (with one attempt) of an event created `age_days` ago, now in `status`."""
    created = timezone.now() - timedelta(days=age_days)
    event = emit_committed(
        workspace=endpoint.workspace, event_type="ticket.created", resource_id=int(age_days * 10)
    )
    WebhookEvent.objects.filter(id=event.id).update(created_at=created)
    delivery = WebhookDelivery.objects.get(event=event, endpoint=endpoint)
    WebhookDelivery.objects.filter(id=delivery.id).update(created_at=created, status=status)
    WebhookDeliveryAttempt.objects.create(delivery=delivery, response_status_code=200)
    return delivery


def test_prune_deletes_old_succeeded_history_and_keeps_recent_and_replayable_failures(
    endpoint, settings
):
    settings.OMNIFLOW_RETENTION_DAYS = 30
    settings.OMNIFLOW_FAILED_RETENTION_DAYS = 90
    old_succeeded = _delivery(endpoint, age_days=31, status="succeeded")
    recent_succeeded = _delivery(endpoint, age_days=29, status="succeeded")
    old_failed = _delivery(endpoint, age_days=60, status="failed")
    expired_failed = _delivery(endpoint, age_days=91, status="failed")
    old_unsubscribed_event = emit_committed(
        workspace=endpoint.workspace, event_type="ticket.status_changed", resource_id=1
    )
    WebhookEvent.objects.filter(id=old_unsubscribed_event.id).update(
        created_at=timezone.now() - timedelta(days=40)
    )

    report = webhooks_prune.apply().get()

    remaining = set(WebhookDelivery.objects.values_list("id", flat=True))
    assert remaining == {recent_succeeded.id, old_failed.id}
    assert set(WebhookDeliveryAttempt.objects.values_list("delivery_id", flat=True)) == remaining
    assert set(WebhookEvent.objects.values_list("id", flat=True)) == {
        recent_succeeded.event_id,
        old_failed.event_id,
    }
    assert report == 5  # two deliveries, their two events and the unsubscribed event
    assert not WebhookEvent.objects.filter(
        id__in=[old_succeeded.event_id, expired_failed.event_id]
    ).exists()


def test_prune_deletes_in_batches_of_the_given_size(endpoint):
    for age in (40, 41, 42, 43, 44):
        _delivery(endpoint, age_days=age, status="succeeded")
    old = WebhookDelivery.objects.filter(created_at__lt=timezone.now() - timedelta(days=30))

    with CaptureQueriesContext(connection) as queries:
        deleted = delete_in_batches(old, batch_size=2)

    deletes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(f'DELETE FROM "{WebhookDelivery._meta.db_table}"')
    ]
    assert deleted == 5
    assert len(deletes) == 3  # 2 + 2 + 1, each in its own transaction
    assert not WebhookDelivery.objects.exists()


def test_the_prune_finds_old_deliveries_through_the_creation_time_index(endpoint):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        old = WebhookDelivery.objects.filter(
            created_at__lt=timezone.now() - timedelta(days=30), status="succeeded"
        ).order_by()
        plan = old.values("id").explain()

    assert "webhook_delivery_created_idx" in plan


def test_prune_deletes_inbound_receipts_older_than_retention(workspace, settings):
    settings.OMNIFLOW_RETENTION_DAYS = 30
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Shop: order shipped",
        resource="conversation",
        payload_schema=ORDER_SCHEMA,
        conversation_path="order.conversation_id",
        tags=["shipped"],
    )
    now = timezone.now()
    old = InboundReceipt.objects.create(
        workspace=workspace,
        trigger=trigger,
        status="accepted",
        http_status=200,
        received_at=now - timedelta(days=31),
    )
    recent = InboundReceipt.objects.create(
        workspace=workspace,
        trigger=trigger,
        status="rejected",
        http_status=422,
        received_at=now - timedelta(days=29),
    )

    deleted = inbound_prune.apply().get()

    assert deleted == 1
    assert list(InboundReceipt.objects.values_list("id", flat=True)) == [recent.id]
    assert not InboundReceipt.objects.filter(id=old.id).exists()


def test_deleting_an_endpoint_keeps_its_delivery_history_until_retention_prunes_it(
    endpoint, api_client, settings
):
    settings.OMNIFLOW_RETENTION_DAYS = 30
    delivered = _delivery(endpoint, age_days=1, status="succeeded")
    emit_committed(workspace=endpoint.workspace, event_type="ticket.created", resource_id=99)
    waiting = WebhookDelivery.objects.get(resource_id="99")

    assert api_client.delete(f"/api/v1/webhook-endpoints/{endpoint.id}").status_code == 204

    assert api_client.get(f"/api/v1/webhook-endpoints/{endpoint.id}").status_code == 404
    assert api_client.get(f"/api/v1/webhook-deliveries/{delivered.id}").status_code == 200
    waiting.refresh_from_db()
    assert (waiting.status, waiting.last_error) == ("failed", "The endpoint was deleted.")
    # Nothing new is queued for it, and a bulk replay leaves its failures alone.
    emit_committed(workspace=endpoint.workspace, event_type="ticket.created", resource_id=100)
    assert not WebhookDelivery.objects.filter(resource_id="100").exists()
    replayed = api_client.post("/api/v1/webhook-deliveries/replay", {}, format="json")
    assert replayed.status_code == 202
    assert not WebhookDelivery.objects.filter(replay_of__isnull=False).exists()

    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(days=400))
    history_prune()

    assert not WebhookDelivery.objects.exists()
    assert not WebhookEndpoint.objects.filter(id=endpoint.id).exists()


def test_endpoint_delete_page_says_the_history_stays(admin_client, endpoint):
    page = admin_client.get(f"/settings/webhooks/{endpoint.id}/delete/").content.decode()

    assert "delivery history stays" in page
    assert "30 days" in page


def test_endpoint_delete_service_keeps_the_row_but_hides_it(endpoint):
    endpoint_delete(endpoint=endpoint)

    endpoint.refresh_from_db()
    assert endpoint.deleted_at is not None
    assert endpoint.enabled is False
