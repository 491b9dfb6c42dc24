"""Deliveries made by a real Celery worker process to a real HTTP receiver on 127.0.0.1."""

import os
import random
import subprocess
import time
from collections import defaultdict

import pytest
from django.db import transaction

from tests.support.checkout import ROOT
from tests.support.processes import wait_for
from tests.support.webhook_events import emit_committed
from webhooks.events import emit
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.services import endpoint_create, endpoint_secret

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OPENSSL_RECIPE = (
    'echo -n "$BODY" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" '
    "| awk '{print $2}' | xxd -r -p | base64"
)


def _statuses() -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for status in WebhookDelivery.objects.values_list("status", flat=True):
        counts[status] += 1
    return dict(counts)


def _succeeded(expected: int):
    return lambda: WebhookDelivery.objects.filter(status="succeeded").count() == expected


def _all_finished(expected: int):
    return lambda: (
        WebhookDelivery.objects.filter(status__in=["succeeded", "failed"]).count() == expected
        and WebhookDelivery.objects.count() == expected
    )


def test_delivery_is_signed_so_the_openssl_recipe_verifies_it(
    start_worker, receiver, workspace, allow_private_urls
):
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    start_worker()

    event = emit_committed(
        workspace=workspace, event_type="ticket.created", resource_id=7, title="Refund"
    )

    (request,) = wait_for(receiver.received)
    delivery = WebhookDelivery.objects.get(event=event)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("Omniflow-Webhooks/")
    assert request.headers["X-Omniflow-Event"] == "ticket.created"
    assert request.headers["X-Omniflow-Delivery"] == str(delivery.id)
    assert abs(int(request.headers["X-Omniflow-Timestamp"]) - time.time()) < 300
    assert request.json == {
        "id": event.public_id,
        "type": "ticket.created",
        "created_at": request.json["created_at"],
        "workspace": workspace.slug,
        "data": {"id": 7, "title": "Refund"},
    }
    recipe = subprocess.run(
        ["bash", "-c", OPENSSL_RECIPE],
        env={
            **os.environ,
            "BODY": request.body.decode(),
            "WEBHOOK_SECRET": endpoint_secret(endpoint=endpoint),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert recipe.stdout.strip() == request.headers["X-Omniflow-Signature"]
    wait_for(lambda: WebhookDelivery.objects.get(id=delivery.id).status == "succeeded")


def test_only_subscribed_types_reach_active_endpoints_a_paused_one_holds_them(
    start_worker, receiver, workspace, other_workspace, allow_private_urls
):
    endpoint_create(
        workspace=workspace, url=receiver.url("/tickets"), event_types=["ticket.created"]
    )
    endpoint_create(
        workspace=workspace,
        url=receiver.url("/disabled"),
        event_types=["ticket.created", "conversation.created"],
        enabled=False,
    )
    endpoint_create(
        workspace=other_workspace, url=receiver.url("/other"), event_types=["ticket.created"]
    )
    start_worker()

    emit_committed(workspace=workspace, event_type="conversation.created", resource_id=1)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=2)

    wait_for(lambda: WebhookDelivery.objects.filter(status="succeeded").count() == 1)
    assert _statuses() == {"succeeded": 1, "held": 2}
    assert [r.json["type"] for r in receiver.received()] == ["ticket.created"]
    assert receiver.received()[0].path == "/tickets"
    assert WebhookEvent.objects.count() == 2


def test_5xx_is_retried_with_growing_gaps_then_delivered(
    start_worker, receiver, workspace, allow_private_urls
):
    receiver.behaviour = lambda number, request: (503, {}) if number <= 3 else (200, {})
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    start_worker(OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS="1")

    event = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)

    wait_for(lambda: WebhookDelivery.objects.get(event=event).status == "succeeded", timeout=30)
    requests = receiver.received()
    assert [r.status for r in requests] == [503, 503, 503, 200]
    assert len({r.delivery_id for r in requests}) == 1
    gaps = [later.at - earlier.at for earlier, later in zip(requests, requests[1:], strict=False)]
    # Backoff 1, 2, 4 s, each ±20%: every gap is longer than the one before.
    assert gaps[0] < gaps[1] < gaps[2], gaps
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.attempt_count == 4
    assert [a.response_status_code for a in delivery.attempts.all()] == [503, 503, 503, 200]


def test_4xx_fails_at_once_without_retry(start_worker, receiver, workspace, allow_private_urls):
    # 404: a 410 Gone disables the endpoint instead (tests/webhooks/test_endpoint_health*.py).
    receiver.behaviour = lambda number, request: (404, {})
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    start_worker()

    event = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)

    wait_for(lambda: WebhookDelivery.objects.get(event=event).status == "failed")
    # Several sweeps (every 0.2 s, retry base 0.05 s) go by: a retry would have happened.
    time.sleep(1.5)
    assert len(receiver.received()) == 1
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.attempt_count == 1
    assert delivery.last_status_code == 404
    assert "not retried" in delivery.last_error


def test_429_is_retried_after_the_retry_after_delay(
    start_worker, receiver, workspace, allow_private_urls
):
    receiver.behaviour = lambda number, request: (
        (429, {"Retry-After": "2"}) if number == 1 else (200, {})
    )
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    start_worker()

    event = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)

    wait_for(lambda: WebhookDelivery.objects.get(event=event).status == "succeeded", timeout=20)
    first, second = receiver.received()
    assert (first.status, second.status) == (429, 200)
    # The backoff alone would have retried after ~0.05 s.
    assert second.at - first.at >= 2.0


def test_per_resource_order_holds_while_a_third_of_requests_fail(
    start_worker, receiver, workspace, allow_private_urls
):
    chance = random.Random(5)
    receiver.behaviour = lambda number, request: (500, {}) if chance.random() < 0.3 else (200, {})
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.status_changed"])
    start_worker()
    resources, events_each = 40, 5

    for sequence in range(events_each):
        with transaction.atomic():
            for resource in range(resources):
                emit(
                    workspace=workspace,
                    event_type="ticket.status_changed",
                    resource_id=resource,
                    data={"id": resource, "sequence": sequence},
                    previous_attributes={"sequence": sequence - 1},
                )

    total = resources * events_each
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="succeeded").count() == total, timeout=90
    )
    by_resource: dict[int, list[int]] = defaultdict(list)
    for request in receiver.received():
        by_resource[request.json["data"]["id"]].append(request.json["data"]["sequence"])
    assert any(r.status == 500 for r in receiver.received())
    for resource, sequences in by_resource.items():
        # Failures repeat a number; none is ever sent before all the earlier ones succeeded.
        assert sequences == sorted(sequences), (resource, sequences)
        assert sorted(set(sequences)) == list(range(events_each))
    succeeded = [r.json["data"] for r in receiver.received() if r.status == 200]
    assert len(succeeded) == total


def test_a_worker_killed_mid_burst_loses_no_event(
    start_worker, receiver, workspace, allow_private_urls
):
    receiver.delay_seconds = 0.01
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["conversation.created"])
    worker = start_worker()
    total = 600
    with transaction.atomic():
        for number in range(total):
            emit(
                workspace=workspace,
                event_type="conversation.created",
                resource_id=number % 60,
                data={"id": number},
            )

    wait_for(lambda: len(receiver.received()) >= 50, timeout=30, interval=0.005)
    worker.kill()
    received_at_kill = len(receiver.received())
    assert received_at_kill < total, "the burst ended before the kill; nothing was tested"
    start_worker()

    wait_for(
        lambda: WebhookDelivery.objects.filter(status="succeeded").count() == total, timeout=90
    )
    delivered_ids = {r.delivery_id for r in receiver.received() if r.status == 200}
    assert delivered_ids == {str(pk) for pk in WebhookDelivery.objects.values_list("id", flat=True)}
    assert {r.json["data"]["id"] for r in receiver.received()} == set(range(total))


def test_the_worker_reconnects_when_redis_goes_away_while_it_holds_a_late_acked_task(
    start_worker, receiver, workspace, allow_private_urls, own_redis
):
    # Given a worker running a late-acked task (its message unacknowledged until it returns)
    from celery import Celery

    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    worker = start_worker(REDIS_URL=own_redis.url, include="tests.webhooks.worker_tasks")
    # A sender of its own on the worker's broker: the test process's app is configured (and
    # its producer pool used) by every other test.
    with Celery("sender", broker=own_redis.url) as sender:
        task_id = sender.send_task("tests.sleep", args=[6.0]).id
    # Running, not only received: a prefetched task the lost connection put back would only
    # come again after the visibility timeout.
    wait_for(lambda: f"[{task_id}]: sleeping" in worker.log(), timeout=30, explain=worker.log_tail)

    # When Redis goes away meanwhile (the consumer closes the lost channel, restoring its
    # unacknowledged message) and comes back before the task acks on that old channel
    own_redis.stop()
    time.sleep(1)
    own_redis.start()
    wait_for(lambda: worker.log().count("Connected to redis") >= 2, explain=worker.log_tail)
    assert f"[{task_id}] succeeded" not in worker.log()
    wait_for(
        lambda: f"[{task_id}] succeeded" in worker.log(),
        timeout=30,
        explain=worker.log_tail,
    )

    # Then the worker lived through both (each used to kill it: "Unrecoverable error")
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="succeeded").count() == 1,
        timeout=60,
        explain=worker.log_tail,
    )
    assert worker.process.poll() is None, worker.log_tail()
    assert "Unrecoverable error" not in worker.log()


def test_events_emitted_while_redis_is_down_are_delivered_when_it_returns(
    start_worker, receiver, workspace, allow_private_urls, own_redis, settings
):
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    worker = start_worker(REDIS_URL=own_redis.url)
    own_redis.stop()

    # A separate process whose cache and broker are the stopped Redis emits and commits.
    emitter = subprocess.run(
        [
            str(ROOT / ".venv/bin/python"),
            "manage.py",
            "shell",
            "-c",
            "from django.db import transaction\n"
            "from webhooks.events import emit\n"
            "from workspaces.models import Workspace\n"
            f"workspace = Workspace.objects.get(pk={workspace.pk})\n"
            "for number in range(5):\n"
            "    with transaction.atomic():\n"
            "        emit(workspace=workspace, event_type='ticket.created', resource_id=number,"
            " data={'id': number})\n"
            "print('committed')\n",
        ],
        env=worker.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert emitter.returncode == 0, emitter.stderr[-3000:]
    assert "committed" in emitter.stdout
    assert "could not queue a dispatch" in emitter.stderr
    assert WebhookEvent.objects.count() == 5
    # Several sweep intervals pass with the broker down: nothing can be dispatched.
    time.sleep(1)
    assert receiver.received() == []

    own_redis.start()

    wait_for(
        lambda: WebhookDelivery.objects.filter(status="succeeded").count() == 5,
        timeout=90,
        explain=worker.log_tail,
    )
    assert sorted(r.json["data"]["id"] for r in receiver.received()) == [0, 1, 2, 3, 4]
    assert worker.process.poll() is None, "the worker died with the broker"
