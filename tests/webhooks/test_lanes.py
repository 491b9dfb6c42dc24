"""Fair claims across endpoints, per-endpoint ceilings and rates, in one process (no worker).

The same rules across three worker processes are in test_lanes_workers.py.
"""

import time

import pytest

from tests.webhooks.helpers import emit_committed
from tests.webhooks.lanes_support import CountingReceiver, lanes_forget
from webhooks.engine import dispatch as engine
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_lanes():
    lanes_forget()
    yield
    lanes_forget()


# Each endpoint of a test subscribes to an event type of its own, so each gets its own queue.
EVENT_TYPES = iter(["ticket.created", "conversation.created", "scorecard.created"] * 100)


def _queue(workspace, endpoint, count: int) -> None:
    for number in range(count):
        emit_committed(workspace=workspace, event_type=endpoint.event_types[0], resource_id=number)


def _endpoint(workspace, url, **limits):
    return endpoint_create(workspace=workspace, url=url, event_types=[next(EVENT_TYPES)], **limits)


def test_an_endpoint_alone_may_use_every_slot(workspace, allow_private_urls, settings):
    settings.OMNIFLOW_WEBHOOK_CONCURRENCY = 8
    alone = _endpoint(workspace, "http://127.0.0.1:9/alone")
    _queue(workspace, alone, 20)

    assert len(engine.deliveries_claim(limit=8)) == 8


def test_endpoints_with_due_work_are_dealt_slots_round_robin_not_oldest_first(
    workspace, allow_private_urls, settings
):
    # Given a big, older backlog for one endpoint and a few newer deliveries for another
    settings.OMNIFLOW_WEBHOOK_CONCURRENCY = 8
    big = _endpoint(workspace, "http://127.0.0.1:9/big")
    small = _endpoint(workspace, "http://127.0.0.1:9/small")
    _queue(workspace, big, 50)
    _queue(workspace, small, 3)

    # When one claim takes all the slots there are
    claims = engine.deliveries_claim(limit=8)

    # Then the newer endpoint's deliveries are in it (oldest-first would give all 8 to `big`)
    by_endpoint = [claim.endpoint_id for claim in claims]
    assert by_endpoint.count(small.id) == 3
    assert by_endpoint.count(big.id) == 5


def test_an_endpoint_over_its_fair_share_gets_no_slot_until_it_is_back_under(
    workspace, allow_private_urls, settings
):
    settings.OMNIFLOW_WEBHOOK_CONCURRENCY = 8
    first = _endpoint(workspace, "http://127.0.0.1:9/first")
    _queue(workspace, first, 20)
    assert len(engine.deliveries_claim(limit=8)) == 8  # alone: all of them

    # Another endpoint now has due work: the two share 8 slots, 4 each, and `first` holds 8.
    second = _endpoint(workspace, "http://127.0.0.1:9/second")
    _queue(workspace, second, 20)
    claims = engine.deliveries_claim(limit=8)

    assert {claim.endpoint_id for claim in claims} == {second.id}
    assert len(claims) == 4


def test_max_in_flight_is_a_ceiling_on_claims(workspace, allow_private_urls, settings):
    settings.OMNIFLOW_WEBHOOK_CONCURRENCY = 8
    fragile = _endpoint(workspace, "http://127.0.0.1:9/fragile", max_in_flight=2)
    _queue(workspace, fragile, 10)

    assert len(engine.deliveries_claim(limit=8)) == 2
    assert engine.deliveries_claim(limit=8) == []


def test_a_rate_limit_spaces_deliveries_out(workspace, allow_private_urls, settings):
    receiver = CountingReceiver()
    try:
        limited = _endpoint(workspace, receiver.url(), rate_limit_per_second=20)
        _queue(workspace, limited, 50)

        started = time.monotonic()
        engine.deliveries_dispatch()
        elapsed = time.monotonic() - started
    finally:
        receiver.close()

    assert WebhookDelivery.objects.filter(status="succeeded").count() == 50
    # A second's burst (20), then 20 a second: the other 30 take at least 1.5 s.
    assert elapsed >= 1.4
    times = sorted(at for at, _ in receiver.answered)
    for index, at in enumerate(times):
        in_a_second = sum(1 for other in times[index:] if other - at < 1.0)
        assert in_a_second <= 40, "more than a burst and a second's rate within one second"


def test_a_hanging_endpoint_keeps_only_a_few_slots(workspace, allow_private_urls, settings):
    # Given an endpoint that never answers within the timeout and one that answers at once
    settings.OMNIFLOW_WEBHOOK_CONCURRENCY = 16
    settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS = 0.5
    hanging, healthy = CountingReceiver(delay_seconds=2.0), CountingReceiver()
    try:
        stuck = _endpoint(workspace, hanging.url())
        fine = _endpoint(workspace, healthy.url())
        _queue(workspace, stuck, 60)
        engine.deliveries_dispatch(time_budget_seconds=1.2)  # it times out, and again

        # When a healthy endpoint's deliveries come
        _queue(workspace, fine, 40)
        engine.deliveries_dispatch(time_budget_seconds=2.0)
    finally:
        hanging.close()
        healthy.close()

    # Then they all went (the hanging one's shrinking window left slots free), while most
    # of the hanging endpoint's are still waiting
    assert WebhookDelivery.objects.filter(endpoint=fine, status="succeeded").count() == 40
    assert WebhookDelivery.objects.filter(endpoint=stuck, attempt_count=0).count() > 20
