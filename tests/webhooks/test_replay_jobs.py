"""Bulk replay as a background job: the count first, then progress, over pages and the API."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_api_key
from tests.support.processes import wait_for
from tests.support.webhook_events import emit_committed
from webhooks import replays
from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookReplayJob
from webhooks.replays import replay_job_run
from webhooks.services import endpoint_create
from webhooks.tasks import REPLAY_JOB_CHECK_FLAG

DELIVERIES = "/api/v1/webhook-deliveries"
JOBS = "/api/v1/webhook-replay-jobs"
BULK_URL = "/settings/deliveries/replay-failed/"


def _failed(endpoint, count: int, *, first_resource_id: int = 1) -> list[WebhookDelivery]:
    for resource_id in range(first_resource_id, first_resource_id + count):
        emit_committed(
            workspace=endpoint.workspace, event_type="ticket.created", resource_id=resource_id
        )
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint, status="pending")
    ids = list(deliveries.values_list("id", flat=True))
    WebhookDelivery.objects.filter(id__in=ids).update(status="failed", attempt_count=1)
    return list(WebhookDelivery.objects.filter(id__in=ids).order_by("id"))


def _client(workspace) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace)[1]}")
    return client


@pytest.mark.django_db
def test_dry_run_counts_what_would_be_replayed_and_replays_nothing(api_client, workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://a.example.com/", event_types=["ticket.created"]
    )
    _failed(endpoint, 3)

    response = api_client.post(f"{DELIVERIES}/replay", {"dry_run": True}, format="json")
    filtered = api_client.post(
        f"{DELIVERIES}/replay", {"dry_run": True, "resource_id": "2"}, format="json"
    )

    assert (response.status_code, response.json()) == (200, {"count": 3})
    assert filtered.json() == {"count": 1}
    assert not WebhookReplayJob.objects.exists()
    assert not WebhookDelivery.objects.filter(replay_of__isnull=False).exists()


@pytest.mark.django_db
def test_a_job_replays_in_batches_and_counts_its_progress(api_client, workspace, monkeypatch):
    monkeypatch.setattr(replays, "REPLAY_JOB_BATCH_SIZE", 2)
    endpoint = endpoint_create(
        workspace=workspace, url="https://a.example.com/", event_types=["ticket.created"]
    )
    originals = _failed(endpoint, 5)

    created = api_client.post(f"{DELIVERIES}/replay", {}, format="json")
    job_id = created.json()["id"]
    queued = api_client.get(f"{JOBS}/{job_id}").json()
    replay_job_run(job_id=job_id)
    finished = api_client.get(f"{JOBS}/{job_id}").json()

    assert created.status_code == 202
    assert (queued["status"], queued["total"], queued["done"]) == ("queued", 5, 0)
    assert (finished["status"], finished["total"], finished["done"]) == ("succeeded", 5, 5)
    assert finished["started_at"] and finished["finished_at"]
    replayed = set(
        WebhookDelivery.objects.filter(replay_of__isnull=False).values_list(
            "replay_of_id", flat=True
        )
    )
    assert replayed == {d.id for d in originals}
    # Run again (a redelivered task): nothing is replayed twice.
    replay_job_run(job_id=job_id)
    assert WebhookDelivery.objects.filter(replay_of__isnull=False).count() == 5


@pytest.mark.django_db
def test_a_delivery_failing_after_the_count_was_confirmed_is_not_in_the_job(api_client, workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://a.example.com/", event_types=["ticket.created"]
    )
    confirmed = _failed(endpoint, 2)
    job_id = api_client.post(f"{DELIVERIES}/replay", {}, format="json").json()["id"]
    (late,) = _failed(endpoint, 1, first_resource_id=10)

    job = replay_job_run(job_id=job_id)

    assert (job.total, job.done) == (2, 2)
    replayed = set(
        WebhookDelivery.objects.filter(replay_of__isnull=False).values_list(
            "replay_of_id", flat=True
        )
    )
    assert replayed == {d.id for d in confirmed}
    assert late.id not in replayed


@pytest.mark.django_db
def test_another_workspaces_job_is_not_found(api_client, admin_client, other_workspace):
    foreign = replays.replay_job_create(workspace=other_workspace)

    assert api_client.get(f"{JOBS}/{foreign.id}").status_code == 404
    assert admin_client.get(f"/settings/deliveries/replay-jobs/{foreign.id}/").status_code == 404
    progress = admin_client.get(f"/settings/deliveries/replay-jobs/{foreign.id}/progress/")
    assert progress.status_code == 404


@pytest.mark.django_db
def test_the_job_page_shows_progress_and_the_log_marks_the_originals_replayed(
    support_client, workspace
):
    endpoint = endpoint_create(
        workspace=workspace, url="https://a.example.com/", event_types=["ticket.created"]
    )
    originals = _failed(endpoint, 2)

    response = support_client.post(BULK_URL, {}, follow=True)
    job = WebhookReplayJob.objects.get()
    log_while_running = support_client.get("/settings/deliveries/").content.decode()
    queued_progress = support_client.get(f"/settings/deliveries/replay-jobs/{job.id}/progress/")
    replay_job_run(job_id=job.id)
    done_progress = support_client.get(f"/settings/deliveries/replay-jobs/{job.id}/progress/")
    log_after = support_client.get("/settings/deliveries/").content.decode()

    page = response.content.decode()
    assert f'data-progress-url="/settings/deliveries/replay-jobs/{job.id}/progress/"' in page
    assert '<progress class="replay-job-bar" max="2" value="0"' in page
    assert "/static/js/replay-progress.js" in page
    assert "Bulk replays in progress" in log_while_running
    assert queued_progress.json() | {"status_display": None} == {
        "id": job.id,
        "status": "queued",
        "status_display": None,
        "total": 2,
        "done": 0,
        "percent": 0,
        "finished": False,
        "error": "",
    }
    assert queued_progress["Cache-Control"] == "no-store"
    assert (done_progress.json()["done"], done_progress.json()["finished"]) == (2, True)
    assert "Bulk replays in progress" not in log_after
    assert log_after.count('<span class="badge replayed">Replayed</span>') == len(originals)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job_and_the_replays_are_delivered(
    start_worker, receiver, workspace, allow_private_urls
):
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    originals = _failed(endpoint, 4)
    client = _client(workspace)
    start_worker()

    count = client.post(f"{DELIVERIES}/replay", {"dry_run": True}, format="json").json()
    job = client.post(f"{DELIVERIES}/replay", {}, format="json").json()
    finished = wait_for(
        lambda: (body := client.get(f"{JOBS}/{job['id']}").json())["status"] == "succeeded" and body
    )

    assert count == {"count": 4}
    assert (finished["total"], finished["done"]) == (4, 4)
    wait_for(lambda: len(receiver.received()) == 4)
    replays = WebhookDelivery.objects.filter(replay_of__in=originals)
    wait_for(lambda: replays.filter(status="succeeded").count() == 4)


@pytest.mark.django_db
def test_endpoint_statistics_count_by_status_with_success_rate_and_latency(
    api_client, admin_client, workspace, other_workspace
):
    endpoint = endpoint_create(
        workspace=workspace, url="https://a.example.com/", event_types=["ticket.created"]
    )
    for resource_id in range(1, 6):
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=resource_id)
    deliveries = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))
    statuses = ["succeeded", "succeeded", "succeeded", "failed", "pending"]
    for delivery, status in zip(deliveries, statuses, strict=True):
        WebhookDelivery.objects.filter(id=delivery.id).update(status=status)
    for duration, delivery in zip([10, 20, 30, 40], deliveries, strict=False):
        WebhookDeliveryAttempt.objects.create(delivery=delivery, duration_ms=duration)
    # Outside the 24 h window: neither the delivery nor its attempt counts.
    old = deliveries[0]
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=99)
    stale = WebhookDelivery.objects.get(resource_id="99")
    long_ago = timezone.now() - timedelta(days=2)
    WebhookDelivery.objects.filter(id=stale.id).update(status="failed", created_at=long_ago)
    WebhookDeliveryAttempt.objects.create(delivery=old, duration_ms=5000, created_at=long_ago)
    foreign = endpoint_create(
        workspace=other_workspace, url="https://b.example.com/", event_types=["ticket.created"]
    )

    stats = api_client.get(f"/api/v1/webhook-endpoints/{endpoint.id}/stats").json()
    week = api_client.get(f"/api/v1/webhook-endpoints/{endpoint.id}/stats?window=7d").json()
    bad = api_client.get(f"/api/v1/webhook-endpoints/{endpoint.id}/stats?window=2y")
    page = admin_client.get(f"/settings/webhooks/{endpoint.id}/").content.decode()

    assert stats["window"] == "24h"
    assert stats["deliveries"] == {
        "pending": 1,
        "retrying": 0,
        "succeeded": 3,
        "failed": 1,
        "held": 0,
    }
    assert (stats["total"], stats["success_rate"], stats["attempts"]) == (5, 0.75, 4)
    assert stats["latency_ms"] == {"p50": 20, "p95": 40, "p99": 40}
    assert (week["total"], week["deliveries"]["failed"], week["attempts"]) == (6, 2, 5)
    assert bad.status_code == 400 and bad.json()["type"] == "validation_error"
    assert api_client.get(f"/api/v1/webhook-endpoints/{foreign.id}/stats").status_code == 404
    assert '<td id="stats-success-rate">75%</td>' in page
    assert '<td id="stats-latency">p50 20 ms · p95 40 ms</td>' in page
    assert '<td id="stats-7d-latency">p50 30 ms · p95 5000 ms</td>' in page
    assert '<td id="stats-7d-attempts">5</td>' in page


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_message_was_lost_is_queued_again_by_the_sweeper(start_worker, workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://a.example.com/", event_types=["ticket.created"]
    )
    originals = _failed(endpoint, 2)
    # Written without its Celery message, as when Redis was down at commit, a while ago.
    job = WebhookReplayJob.objects.create(
        workspace=workspace,
        up_to_delivery_id=originals[-1].id,
        total=2,
        created_at=timezone.now() - timedelta(seconds=replays.REPLAY_JOB_STALLED_SECONDS + 1),
    )
    cache.delete(REPLAY_JOB_CHECK_FLAG)

    start_worker()

    wait_for(lambda: WebhookReplayJob.objects.get(id=job.id).status == "succeeded")
    assert WebhookDelivery.objects.filter(replay_of__in=originals).count() == 2
