"""The dispatcher's pipeline parts: the recorder thread, slots given back with the next grant,
the due lanes read once per short interval, and several Redis scripts in one round trip.

Real PostgreSQL, Redis and a local receiver; the same engine with real Celery workers is in
test_delivery_worker.py and test_lanes_workers.py.
"""

import threading

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.support.webhook_events import emit_committed
from tests.webhooks.lanes_support import lanes_forget
from webhooks.engine import dispatch as engine
from webhooks.engine import lanes, recorder, storage
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create


@pytest.fixture(autouse=True)
def _fresh_lanes():
    lanes_forget()
    yield
    lanes_forget()


# --- The recorder thread ---------------------------------------------------------------


def test_batches_handed_over_during_a_write_go_in_the_next_write_together():
    written, first_started, let_first_finish = [], threading.Event(), threading.Event()

    def write(batch):
        written.append(list(batch))
        if len(written) == 1:
            first_started.set()
            let_first_finish.wait(5)

    writer = recorder.Recorder(write)
    writer.hand_over([1])
    assert first_started.wait(5)
    writer.hand_over([2])
    writer.hand_over([3, 4])
    assert writer.busy()
    let_first_finish.set()
    writer.wait(timeout=5)

    assert written == [[1], [2, 3, 4]]
    assert not writer.busy()


def test_a_failed_write_reaches_the_dispatcher_and_later_writes_go_on():
    written = []

    def write(batch):
        if batch == ["bad"]:
            raise RuntimeError("database went away")
        written.append(batch)

    writer = recorder.Recorder(write)
    writer.hand_over(["bad"])
    with pytest.raises(RuntimeError, match="database went away"):
        writer.wait(timeout=5)
    writer.hand_over(["good"])
    writer.wait(timeout=5)
    assert written == [["good"]]


@pytest.mark.django_db
def test_inside_the_callers_transaction_the_dispatcher_writes_on_its_own_thread():
    # A second connection would wait on the rows the caller's transaction locked.
    assert connection.in_atomic_block
    assert recorder.beside(lambda batch: None) is None


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_outside_a_transaction_outcomes_are_written_beside_the_claims(
    receiver, allow_private_urls
):
    from tests.factories import WorkspaceFactory

    assert storage.backend().concurrent_writers
    workspace = WorkspaceFactory()
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    for number in range(30):
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=number % 3)

    report = engine.deliveries_dispatch()

    assert report.deliveries == 30
    statuses = set(endpoint.deliveries.values_list("status", flat=True))
    assert statuses == {WebhookDelivery.Status.SUCCEEDED}
    # Each resource's events reached the receiver in the order they were emitted.
    sequences: dict[str, list[int]] = {}
    for request in receiver.received():
        delivery = WebhookDelivery.objects.get(id=request.headers["X-Omniflow-Delivery"])
        sequences.setdefault(delivery.resource_id, []).append(delivery.id)
    assert all(ids == sorted(ids) for ids in sequences.values())
    assert recorder._recorders  # the recorder thread wrote them


# --- Slots given back with the next grant ------------------------------------------------


def _lane(endpoint_id: int, **limits) -> lanes.Lane:
    return lanes.Lane(endpoint_id=endpoint_id, due=100, **limits)


def _answered(endpoint_id: int, grant: lanes.Grant) -> lanes.GiveBack:
    """The give-back of every slot `grant` dealt the endpoint, each request answered."""
    give_back = lanes.GiveBack()
    for slot in grant.slots[endpoint_id]:
        give_back.add(endpoint_id, slot, answered=1)
    return give_back


def test_slots_given_back_with_a_grant_are_free_for_that_grant():
    lane = _lane(7, max_in_flight=4)
    first = lanes.slots_grant(lanes=[lane], free=10, capacity=10, lease_seconds=60)
    assert len(first.slots[7]) == 4
    # The ceiling holds: nothing more while those four are out.
    assert lanes.slots_grant(lanes=[lane], free=10, capacity=10, lease_seconds=60).slots == {}

    second = lanes.slots_grant(
        lanes=[lane], free=10, capacity=10, lease_seconds=60, give_back=_answered(7, first)
    )
    assert len(second.slots[7]) == 4


def test_unused_slots_given_back_refund_their_rate_tokens():
    lane = _lane(8, rate_limit_per_second=3)
    first = lanes.slots_grant(lanes=[lane], free=10, capacity=10, lease_seconds=60)
    assert len(first.slots[8]) == 3
    give_back = lanes.GiveBack()
    give_back.add_unused(8, first.slots[8])
    again = lanes.slots_grant(
        lanes=[lane], free=10, capacity=10, lease_seconds=60, give_back=give_back
    )
    assert len(again.slots[8]) == 3  # the three tokens came back with the slots


# --- Due lanes read once per interval ----------------------------------------------------


@pytest.mark.django_db
def test_due_lanes_are_read_once_per_interval_and_again_once_forgotten(
    workspace, allow_private_urls, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(engine, "DUE_LANES_SECONDS", 3600)
    endpoint = endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/a", event_types=["ticket.created"]
    )
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    from django.utils import timezone

    due = engine._DueLanes()
    store = storage.backend()
    with django_assert_num_queries(1):
        first = due.read(store=store, now=timezone.now())
        second = due.read(store=store, now=timezone.now())
    assert [lane.endpoint_id for lane in first] == [endpoint.id] and second is first
    due.forget()
    with django_assert_num_queries(1):
        due.read(store=store, now=timezone.now())


# --- Given back and granted in one script -------------------------------------------------


def test_slots_given_back_are_released_before_the_grant_even_when_redis_forgot_the_scripts():
    # Redis restarted or flushed its scripts: neither is cached there any more.
    redis.Redis.from_url(settings.REDIS_URL).script_flush()
    lane = _lane(9, max_in_flight=3)
    first = lanes.slots_grant(lanes=[lane], free=10, capacity=10, lease_seconds=60)
    again = lanes.slots_grant(
        lanes=[lane], free=10, capacity=10, lease_seconds=60, give_back=_answered(9, first)
    )

    assert len(again.slots[9]) == 3
