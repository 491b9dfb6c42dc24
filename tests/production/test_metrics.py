"""`/metrics`: Prometheus text format behind a token, counting across processes."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from omniflow import metrics
from tests.factories import make_api_key
from tests.support.processes import wait_for
from tests.support.webhook_events import emit_committed
from webhooks.engine import dispatch as engine
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create, sweeper_heartbeat_record

TOKEN = "scrape-token-0123456789"


@pytest.fixture
def metrics_on(settings):
    settings.OMNIFLOW_METRICS_TOKEN = TOKEN
    # Counts this process made for earlier tests are written out, then the hash starts empty.
    metrics.flush()
    metrics._redis().delete(metrics.REDIS_HASH)
    return settings


def _scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.mark.django_db
def test_metrics_are_off_without_a_token_setting_and_refuse_a_wrong_token(client, settings):
    settings.OMNIFLOW_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404

    settings.OMNIFLOW_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
def test_api_requests_are_counted_by_status_and_429s_on_their_own(client, metrics_on, workspace):
    _, key = make_api_key(workspace, tier="custom", custom_rate="2/m")
    for _ in range(3):
        client.get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get("/api/v1/tickets", HTTP_AUTHORIZATION="Bearer omf_live_not_a_key")

    samples = _scrape(client)

    assert samples[("omniflow_api_requests_total", (("status", "200"),))] == 2
    assert samples[("omniflow_api_requests_total", (("status", "429"),))] == 1
    assert samples[("omniflow_api_requests_total", (("status", "401"),))] == 1
    assert samples[("omniflow_api_rate_limited_total", ())] == 1


@pytest.mark.django_db
def test_attempts_are_counted_by_outcome_with_a_latency_histogram_and_queue_gauges(
    client, metrics_on, workspace, receiver, allow_private_urls
):
    receiver.behaviour = lambda number, request: (503, {}) if "fail" in request.path else (200, {})
    endpoint_create(workspace=workspace, url=receiver.url("/ok"), event_types=["ticket.created"])
    endpoint_create(workspace=workspace, url=receiver.url("/fail"), event_types=["ticket.created"])
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    engine.deliveries_dispatch()
    # One more due for a while, so that the queue gauges have something to show.
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=2)
    WebhookDelivery.objects.filter(resource_id="2").update(
        next_attempt_at=timezone.now() - timedelta(seconds=120)
    )
    sweeper_heartbeat_record()

    samples = _scrape(client)

    sent = "omniflow_webhook_deliveries_sent_total"
    assert samples[(sent, (("outcome", "succeeded"),))] == 1
    assert samples[(sent, (("outcome", "retrying"),))] == 1
    histogram = "omniflow_webhook_attempt_duration_seconds"
    assert samples[(f"{histogram}_count", ())] == 2
    assert samples[(f"{histogram}_bucket", (("le", "+Inf"),))] == 2
    assert samples[(f"{histogram}_sum", ())] > 0
    assert samples[("omniflow_webhook_deliveries_due", ())] == 2
    assert 119 <= samples[("omniflow_webhook_oldest_due_age_seconds", ())] < 200
    assert samples[("omniflow_webhook_last_sweep_timestamp_seconds", ())] > 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_attempts_made_in_a_worker_process_show_in_the_web_process_scrape(
    client, metrics_on, workspace, receiver, start_worker, allow_private_urls
):
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    start_worker()

    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    wait_for(receiver.received)

    sent = ("omniflow_webhook_deliveries_sent_total", (("outcome", "succeeded"),))
    assert wait_for(lambda: _scrape(client).get(sent) == 1)


@pytest.mark.django_db
def test_inbound_receipts_are_counted_by_status(client, metrics_on, workspace):
    from inbound.services import trigger_create
    from tests.support.inbound_triggers import ORDER_SCHEMA, post_json

    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Shop",
        resource="conversation",
        payload_schema=ORDER_SCHEMA,
        conversation_path="order.conversation_id",
        tags=["shipped"],
    )
    post_json(client, trigger, {"order": {}})

    samples = _scrape(client)

    rejected = [
        value
        for (name, labels), value in samples.items()
        if name == "omniflow_inbound_receipts_total" and ("status", "rejected") in labels
    ]
    assert rejected == [1]
    assert re.fullmatch(
        r"\d{3}", dict(_labels(samples, "omniflow_inbound_receipts_total"))["http_status"]
    )


def _labels(samples, name: str):
    return next(labels for (sample, labels) in samples if sample == name)
