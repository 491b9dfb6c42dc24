"""A sweeper you can see: its heartbeat, `/readyz?worker=1`, and a worker whose beat died."""

import os
import re
import signal
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.support.processes import wait_for
from tests.support.webhook_events import emit_committed
from webhooks import tasks
from webhooks.engine.dispatch import deliveries_dispatch
from webhooks.models import SweeperHeartbeat, WebhookDelivery
from webhooks.services import endpoint_create, sweeper_heartbeat_record
from webhooks.tasks import sweep

WORKER_PROBE = "/readyz?worker=1"


def _status(client, url: str) -> int:
    return client.get(url).status_code


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_killing_beat_stops_the_worker_and_turns_the_worker_probe_503(
    start_worker, client, settings
):
    settings.OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS = 2
    worker = start_worker(OMNIFLOW_WEBHOOK_SWEEP_SECONDS="0.2")
    wait_for(lambda: _status(client, WORKER_PROBE) == 200)
    beat_pid = int(
        wait_for(lambda: re.search(r"Beat is running in process (\d+)\.", worker.log())).group(1)
    )

    os.kill(beat_pid, signal.SIGKILL)

    # The worker does not go on without its beat: it exits, non-zero, for its supervisor.
    assert wait_for(lambda: worker.process.poll() is not None, timeout=60)
    assert worker.process.returncode == 70, worker.log()[-3000:]
    assert "stopping this worker" in worker.log()
    wait_for(lambda: _status(client, WORKER_PROBE) == 503)
    body = client.get(WORKER_PROBE).json()
    assert body["status"] == "unavailable"
    assert body["checks"]["sweeper"].startswith("last sweep")
    # The web's own probe does not depend on the workers.
    assert _status(client, "/readyz") == 200


@pytest.mark.django_db
def test_worker_probe_is_503_before_any_sweep_and_200_after_one(client):
    before = client.get(WORKER_PROBE)

    sweep.apply()
    after = client.get(WORKER_PROBE)

    assert before.status_code == 503
    assert before.json()["checks"]["sweeper"] == "the sweeper never ran"
    assert after.status_code == 200
    assert after.json()["checks"] == {
        "database": "ok",
        "redis": "ok",
        "sweeper": "ok",
        "backlog": "ok",
    }


@pytest.mark.django_db
def test_worker_probe_is_503_when_the_last_sweep_is_older_than_the_limit(
    client, settings, time_machine
):
    settings.OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS = 20
    time_machine.move_to(timezone.now(), tick=False)
    sweeper_heartbeat_record()

    time_machine.shift(timedelta(seconds=19))
    fresh = client.get(WORKER_PROBE)
    time_machine.shift(timedelta(seconds=2))
    stale = client.get(WORKER_PROBE)

    assert fresh.status_code == 200
    assert stale.status_code == 503
    assert stale.json()["checks"]["sweeper"] == "last sweep 21 s ago"


@pytest.mark.django_db
def test_worker_probe_is_503_when_a_due_delivery_waited_too_long(
    client, settings, workspace, allow_private_urls
):
    settings.OMNIFLOW_WEBHOOK_DUE_AGE_LIMIT_SECONDS = 300
    endpoint = endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/", event_types=["ticket.created"]
    )
    sweeper_heartbeat_record()
    delivery = _due_delivery(endpoint, waited=timedelta(seconds=200))
    ready = client.get(WORKER_PROBE)

    WebhookDelivery.objects.filter(id=delivery.id).update(
        next_attempt_at=timezone.now() - timedelta(seconds=400)
    )
    behind = client.get(WORKER_PROBE)

    assert ready.status_code == 200
    assert behind.status_code == 503
    assert behind.json()["checks"]["backlog"].startswith("oldest due delivery waiting 40")
    assert behind.json()["checks"]["sweeper"] == "ok"


def _due_delivery(endpoint, *, waited: timedelta) -> WebhookDelivery:
    emit_committed(workspace=endpoint.workspace, event_type="ticket.created", resource_id=1)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookDelivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now() - waited)
    return delivery


@pytest.mark.django_db
def test_webhooks_status_prints_statuses_oldest_due_last_sweep_and_failing_endpoints(
    capsys, workspace, allow_private_urls
):
    failing = endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/failing", event_types=["ticket.created"]
    )
    healthy = endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/healthy", event_types=["ticket.created"]
    )
    delivery = _due_delivery(failing, waited=timedelta(seconds=90))
    WebhookDelivery.objects.filter(endpoint=healthy).update(status="succeeded")
    WebhookDelivery.objects.create(
        event=delivery.event,
        endpoint=failing,
        workspace=workspace,
        event_type="ticket.created",
        resource_type="ticket",
        resource_id="2",
        status="failed",
    )
    SweeperHeartbeat.objects.create(pk=1, swept_at=timezone.now() - timedelta(seconds=3600))

    call_command("webhooks_status")
    out = capsys.readouterr().out

    assert re.search(r"pending\s+1\b", out)
    assert re.search(r"succeeded\s+1\b", out)
    assert re.search(r"failed\s+1\b", out)
    assert "Due now: 1" in out
    assert re.search(r"Oldest due delivery: waiting (89|9\d) s", out)
    assert re.search(r"Last sweep: .* \(3600 s ago\): stale", out)
    assert f"#{failing.id} http://127.0.0.1:9/failing (workspace {workspace.slug}): 1 failed" in out
    assert "/healthy" not in out


@pytest.mark.django_db
def test_a_dispatch_run_working_through_a_backlog_keeps_the_heartbeat_fresh(
    client, workspace, allow_private_urls, receiver, monkeypatch
):
    monkeypatch.setattr(tasks, "_last_heartbeat", 0.0)
    # Sweeps wait behind busy dispatch runs; a full batch counts as the engine looking.
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    for resource in range(3):
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=resource)
    assert client.get(WORKER_PROBE).status_code == 503

    report = deliveries_dispatch(batch_size=2, on_full_batch=tasks._more_due)

    assert report.batches == 2
    assert SweeperHeartbeat.objects.exists()
    assert client.get(WORKER_PROBE).status_code == 200
