"""The engine's fairness and limits across three real Celery worker processes.

Real receivers on 127.0.0.1 (one holding each request, one hanging past the timeout, one port
refusing connections, healthy ones), real PostgreSQL and Redis: what one process decides, the
others see. One test, as booting three workers costs more than everything it checks.
"""

import json
from collections import defaultdict

import pytest
from django.db import transaction

from tests.support.processes import free_port, wait_for
from tests.webhooks.lanes_support import CountingReceiver, lanes_forget
from webhooks.events import emit
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKERS = 3
ENGINE = {"OMNIFLOW_WEBHOOK_CONCURRENCY": "8", "OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS": "1"}


@pytest.fixture
def receivers():
    made: list[CountingReceiver] = []

    def make(**options) -> CountingReceiver:
        made.append(CountingReceiver(**options))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def _endpoint(workspace, url: str, event_type: str, **limits):
    return endpoint_create(workspace=workspace, url=url, event_types=[event_type], **limits)


def _emit(workspace, endpoint, count: int, *, resources: int | None = None) -> None:
    with transaction.atomic():
        for number in range(count):
            resource = number % resources if resources else number
            emit(
                workspace=workspace,
                event_type=endpoint.event_types[0],
                resource_id=resource,
                data={"id": resource, "sequence": number},
            )


def _succeeded(endpoint) -> int:
    return WebhookDelivery.objects.filter(endpoint=endpoint, status="succeeded").count()


def _in_order_per_resource(receiver: CountingReceiver) -> dict[int, list[int]]:
    by_resource = defaultdict(list)
    for _, body in sorted(receiver.answered):
        data = json.loads(body)["data"]
        by_resource[data["id"]].append(data["sequence"])
    for resource, sequences in by_resource.items():
        # A repeat at most (a request in flight when its worker died), never one too early.
        assert sequences == sorted(sequences), (resource, sequences)
    return by_resource


def test_three_workers_share_fairly_keep_ceilings_and_lose_nothing_when_one_is_killed(
    start_worker, receivers, workspace, allow_private_urls
):
    lanes_forget()
    # Given a fragile endpoint (at most 2 at once, each held 0.3 s), one that hangs past the
    # timeout and one whose port refuses connections, each with a backlog, and three workers
    capped, hanging, healthy, busy = (
        receivers(delay_seconds=0.3),
        receivers(delay_seconds=5),
        receivers(),
        receivers(delay_seconds=0.02),
    )
    fragile = _endpoint(workspace, capped.url(), "scorecard.created", max_in_flight=2)
    stuck = _endpoint(workspace, hanging.url(), "ticket.created")
    refused = _endpoint(workspace, f"http://127.0.0.1:{free_port()}/", "conversation.created")
    fine = _endpoint(workspace, healthy.url(), "agent.published")
    burst = _endpoint(workspace, busy.url(), "ticket.status_changed")
    workers = [start_worker(wait=False, **ENGINE) for _ in range(WORKERS)]
    for worker in workers:
        worker.wait_ready()
    _emit(workspace, fragile, 12)
    _emit(workspace, stuck, 150)
    _emit(workspace, refused, 150)

    # When a healthy endpoint's deliveries come behind all of that
    _emit(workspace, fine, 30, resources=10)

    # Then they all arrive, in order per resource, while most of the hanging endpoint's
    # backlog has not even been tried: not oldest-first, and the stuck ones keep few slots
    wait_for(lambda: _succeeded(fine) == 30, timeout=40)
    assert WebhookDelivery.objects.filter(endpoint=stuck, attempt_count=0).count() > 75
    _in_order_per_resource(healthy)
    # And the fragile endpoint got everything, never more than 2 at once across the workers
    wait_for(lambda: _succeeded(fragile) == 12, timeout=30)
    assert capped.most_held == 2

    # When one of the three is killed with requests of a burst in flight
    total = 200
    _emit(workspace, burst, total, resources=20)
    wait_for(lambda: len(busy.answered) >= 30, timeout=30, interval=0.005)
    workers[0].kill()
    assert len(busy.answered) < total, "the burst ended before the kill; nothing was tested"

    # Then the other two deliver every event of it (the dead one's leases run out, its slots
    # come back), each resource's in order
    wait_for(lambda: _succeeded(burst) == total, timeout=60)
    sequences = _in_order_per_resource(busy)
    assert {s for per_resource in sequences.values() for s in per_resource} == set(range(total))
    assert refused.deliveries.filter(attempt_count__gt=0).exists()
