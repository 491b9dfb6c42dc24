"""Fair claims across endpoints, per-endpoint ceilings and rates, in one process (no worker).

The same rules across three worker processes are in test_lanes_workers.py.
"""

import time

import pytest

from tests.support.webhook_events import emit_committed
from tests.webhooks.lanes_support import CountingReceiver, lanes_forget
from webhooks.engine import dispatch as engine
from webhooks.engine import lanes
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


def test_the_api_sets_and_lifts_an_endpoints_limits_and_refuses_bad_ones(
    api_client, workspace, allow_private_urls
):
    endpoint = _endpoint(workspace, "http://127.0.0.1:9/api")
    url = f"/api/v1/webhook-endpoints/{endpoint.id}"

    set_ = api_client.patch(url, {"max_in_flight": 5, "rate_limit_per_second": 50}, format="json")
    lifted = api_client.patch(url, {"max_in_flight": None}, format="json")
    refused = api_client.patch(url, {"rate_limit_per_second": 0}, format="json")

    assert (set_.json()["max_in_flight"], set_.json()["rate_limit_per_second"]) == (5, 50)
    assert (lifted.json()["max_in_flight"], lifted.json()["rate_limit_per_second"]) == (None, 50)
    assert refused.status_code == 400
    assert "rate_limit_per_second" in str(refused.json())
    endpoint.refresh_from_db()
    assert (endpoint.max_in_flight, endpoint.rate_limit_per_second) == (None, 50)


def test_the_settings_form_sets_an_endpoints_limits_and_shows_bad_ones(
    admin_client, workspace, allow_private_urls
):
    endpoint = _endpoint(workspace, "http://127.0.0.1:9/form")
    page = f"/settings/webhooks/{endpoint.id}/edit/"
    fields = {"url": endpoint.url, "event_types": endpoint.event_types, "enabled": "on"}

    saved = admin_client.post(page, {**fields, "max_in_flight": "3"}, follow=True)
    refused = admin_client.post(page, {**fields, "rate_limit_per_second": "-1"})

    assert "at most 3 in flight" in saved.content.decode()
    assert refused.status_code == 200
    assert "greater than or equal to 1" in refused.content.decode()
    endpoint.refresh_from_db()
    assert (endpoint.max_in_flight, endpoint.rate_limit_per_second) == (3, None)


@pytest.mark.parametrize("state", ["redis", "in-process"])
def test_an_endpoint_whose_window_shrank_leaves_its_share_to_the_others(state, monkeypatch):
    # Given two endpoints with thousands due: one dead (three unanswered rounds halved its
    # window to 2), one healthy (its window grew with 200 answers)
    if state == "in-process":
        monkeypatch.setattr(lanes, "_local", lanes._LocalLanes())
        monkeypatch.setattr(lanes, "_shared", lambda: False)
    dead, healthy = lanes.Lane(endpoint_id=501, due=10_000), lanes.Lane(endpoint_id=502, due=10_000)
    for _ in range(3):
        lanes.slots_release(slots={}, feedback={dead.endpoint_id: lanes.Feedback(congested=1)})
    lanes.slots_release(slots={}, feedback={healthy.endpoint_id: lanes.Feedback(answered=200)})

    # When a worker with 100 free slots claims
    grant = lanes.slots_grant(lanes=[dead, healthy], free=100, capacity=100, lease_seconds=60)

    # Then the dead one gets the two it can use and the healthy one the rest (an equal split
    # would leave it 50 while 48 stayed idle)
    assert len(grant.slots[dead.endpoint_id]) == 2
    assert len(grant.slots[healthy.endpoint_id]) == 98
