"""Endpoint health driven in this process: 410 and the disable window, holding, release, probes.

A real receiver on 127.0.0.1 and PostgreSQL; time is moved with time-machine. The same rules
with a real Celery worker are in test_endpoint_health_worker.py.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery import current_app as celery_app

from tests.support.webhook_events import emit_committed
from webhooks import health
from webhooks.engine import dispatch as engine
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEndpointHistoryEntry
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _statuses(endpoint) -> list[str]:
    return list(endpoint.deliveries.order_by("id").values_list("status", flat=True))


def _history(endpoint) -> list[str]:
    return list(
        WebhookEndpointHistoryEntry.objects.filter(endpoint=endpoint)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def _dispatch_at(moment: datetime, *, capture=None) -> None:
    """Run the engine a second after `moment` (what was emitted at `moment` is due)."""
    with time_machine.travel(moment + timedelta(seconds=1), tick=True):
        if capture is None:
            engine.deliveries_dispatch()
            return
        with capture(execute=True):
            engine.deliveries_dispatch()


@pytest.fixture
def eager_tasks():
    """Run queued tasks (the admins' notice, dispatch nudges) here, as a worker would."""
    celery_app.loader.import_default_modules()  # registers the tasks, as a worker does
    conf = celery_app.conf
    before, conf.task_always_eager = conf.task_always_eager, True
    yield
    conf.task_always_eager = before


@pytest.fixture
def endpoint(workspace, receiver, allow_private_urls):
    return endpoint_create(
        workspace=workspace,
        url=receiver.url(),
        event_types=["ticket.created", "ticket.status_changed"],
    )


def _emit(workspace, resource_id, event_type="ticket.created", **data):
    return emit_committed(
        workspace=workspace, event_type=event_type, resource_id=resource_id, **data
    )


def test_a_410_disables_the_endpoint_at_once_and_holds_its_deliveries(
    workspace,
    endpoint,
    receiver,
    admin_membership,
    mailoutbox,
    django_capture_on_commit_callbacks,
    eager_tasks,
):
    receiver.behaviour = lambda number, request: (410, {})
    with time_machine.travel(START, tick=True):
        _emit(workspace, 1)
        _emit(workspace, 2)
    _dispatch_at(START, capture=django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert endpoint.state == "disabled"
    assert "410 Gone" in endpoint.state_reason
    assert endpoint.probe_at == endpoint.state_changed_at + timedelta(hours=1)
    # Both went out once (one batch), and neither failed: both are kept for the recovery.
    assert len(receiver.received()) == 2
    assert _statuses(endpoint) == ["held", "held"]
    assert WebhookDelivery.objects.filter(status="failed").count() == 0
    assert _history(endpoint) == ["disabled"]
    (mail,) = mailoutbox
    assert mail.to == [admin_membership.user.email]
    assert "disabled" in mail.subject and endpoint.url in mail.subject
    assert "410 Gone" in mail.body and f"/settings/webhooks/{endpoint.id}/" in mail.body

    # Held: a later event is not sent, and nothing is claimed while it stays disabled.
    _emit(workspace, 3)
    _dispatch_at(START + timedelta(minutes=5))
    assert len(receiver.received()) == 2
    assert _statuses(endpoint) == ["held", "held", "held"]


def test_an_endpoint_failing_for_the_whole_window_is_disabled(
    workspace, endpoint, receiver, settings
):
    settings.OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS = 3600
    answers = {"status": 503}
    receiver.behaviour = lambda number, request: (answers["status"], {})
    with time_machine.travel(START, tick=True):
        _emit(workspace, 1)
    _dispatch_at(START)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.state == "active"

    # 4.5 days of failures (the first delivery's 24-hour window ends; it fails, as before).
    with time_machine.travel(START + timedelta(days=4, hours=12), tick=True):
        _emit(workspace, 2)
    _dispatch_at(START + timedelta(days=4, hours=12))
    endpoint.refresh_from_db()
    assert endpoint.state == "active"
    assert _statuses(endpoint) == ["failed", "retrying"]

    # Just past five days since the first failure: the next failure disables it.
    later = START + timedelta(days=5, minutes=1)
    with time_machine.travel(later, tick=True):
        _emit(workspace, 3)
    _dispatch_at(later)
    endpoint.refresh_from_db()
    assert endpoint.state == "disabled"
    assert "Every attempt failed since 2026-11-27 09:00 UTC (5 days)" in endpoint.state_reason
    assert _statuses(endpoint) == ["failed", "held", "held"]


def test_one_success_ends_the_failing_run(workspace, endpoint, receiver, settings):
    settings.OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS = 3600
    answers = {"status": 503}
    receiver.behaviour = lambda number, request: (answers["status"], {})
    with time_machine.travel(START, tick=True):
        _emit(workspace, 1)
    _dispatch_at(START)
    answers["status"] = 200
    with time_machine.travel(START + timedelta(days=3), tick=True):
        _emit(workspace, 2)
    _dispatch_at(START + timedelta(days=3))
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None

    answers["status"] = 503
    with time_machine.travel(START + timedelta(days=6), tick=True):
        _emit(workspace, 3)
    _dispatch_at(START + timedelta(days=6))
    endpoint.refresh_from_db()
    # Failing since day 6 only: not five days yet.
    assert endpoint.state == "active"


def test_paused_endpoint_holds_events_past_the_retry_window_then_releases_them_in_order(
    workspace, endpoint, receiver, api_client, settings
):
    settings.OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS = 3600
    answers = {"status": 503}
    receiver.behaviour = lambda number, request: (answers["status"], {})
    with time_machine.travel(START, tick=True):
        first = _emit(workspace, 7, "ticket.created")
        _dispatch_at(START)
        # 23 hours into its window when the endpoint is paused...
        with time_machine.travel(START + timedelta(hours=23), tick=True):
            paused = api_client.post(f"/api/v1/webhook-endpoints/{endpoint.id}/pause")
    assert paused.status_code == 200, paused.content
    assert (paused.json()["state"], paused.json()["enabled"]) == ("paused", False)
    later = [
        _emit(workspace, 7, "ticket.status_changed", status=f"s{n}").public_id for n in range(3)
    ]
    other = _emit(workspace, 8)

    # ...and a day and a half later nothing was sent, failed or dropped.
    _dispatch_at(START + timedelta(hours=47))
    assert len(receiver.received()) == 1
    assert _statuses(endpoint) == ["held"] * 5
    assert WebhookDelivery.objects.get(event=first).first_attempted_at is not None

    answers["status"] = 200
    resume_at = START + timedelta(hours=60)
    with time_machine.travel(resume_at, tick=True):
        resumed = api_client.post(f"/api/v1/webhook-endpoints/{endpoint.id}/resume")
    assert resumed.json()["state"] == "active"
    # The window starts afresh: the first delivery is retried, not failed for its age.
    released = WebhookDelivery.objects.get(event=first)
    assert (released.status, released.first_attempted_at) == ("retrying", None)
    for _ in range(5):
        _dispatch_at(resume_at + timedelta(seconds=1))

    assert _statuses(endpoint) == ["succeeded"] * 5
    sent = [request.json["id"] for request in receiver.received()[1:]]
    for_resource_7 = [
        request.json["id"] for request in receiver.received()[1:] if request.json["data"]["id"] == 7
    ]
    assert for_resource_7 == [first.public_id, *later]
    assert other.public_id in sent
    assert _history(endpoint) == ["paused", "resumed"]
    entries = WebhookEndpointHistoryEntry.objects.filter(endpoint=endpoint).order_by("id")
    assert entries[0].actor.startswith("api_key:") and "5 held" in entries[1].detail


def test_a_disabled_endpoint_is_probed_on_a_doubling_backoff_and_recovers(
    workspace,
    endpoint,
    receiver,
    mailoutbox,
    admin_membership,
    django_capture_on_commit_callbacks,
    eager_tasks,
):
    answers = {"status": 503}
    receiver.behaviour = lambda number, request: (answers["status"], {})
    with time_machine.travel(START, tick=False):
        assert health.endpoint_disable(endpoint_id=endpoint.id, reason="Testing.", now=START)
        for resource_id in (1, 2, 1, 2):
            _emit(workspace, resource_id)
    _dispatch_at(START)
    assert receiver.received() == []

    def probe_at(moment):
        with time_machine.travel(moment, tick=False):
            started = health.probes_start(now=moment)
        _dispatch_at(moment)
        return started

    assert probe_at(START + timedelta(minutes=59)) == 0
    assert probe_at(START + timedelta(hours=1)) == 1
    # The probe is the oldest held delivery; it failed, so it is held again, not failed.
    (probe,) = receiver.received()
    oldest = endpoint.deliveries.order_by("id").first()
    assert probe.delivery_id == str(oldest.id)
    assert _statuses(endpoint) == ["held"] * 4
    endpoint.refresh_from_db()
    assert endpoint.probe_at == START + timedelta(hours=3)  # the wait doubled to 2 hours
    assert probe_at(START + timedelta(hours=2, minutes=59)) == 0
    assert probe_at(START + timedelta(hours=3)) == 1
    endpoint.refresh_from_db()
    assert endpoint.probe_at == START + timedelta(hours=7)

    answers["status"] = 200
    moment = START + timedelta(hours=7)
    with time_machine.travel(moment, tick=False):
        health.probes_start(now=moment)
    _dispatch_at(moment, capture=django_capture_on_commit_callbacks)
    for _ in range(3):
        _dispatch_at(moment + timedelta(seconds=1))

    endpoint.refresh_from_db()
    assert (endpoint.state, endpoint.probe_at, endpoint.state_reason) == ("active", None, "")
    assert _statuses(endpoint) == ["succeeded"] * 4
    succeeded = [r.delivery_id for r in receiver.received() if r.status == 200]
    ids = list(endpoint.deliveries.order_by("id").values_list("id", flat=True))
    # The probe first, then the backlog in order per resource (1: ids[0], ids[2]; 2: 1, 3).
    assert succeeded[0] == str(ids[0])
    assert succeeded.index(str(ids[0])) < succeeded.index(str(ids[2]))
    assert succeeded.index(str(ids[1])) < succeeded.index(str(ids[3]))
    assert _history(endpoint) == ["disabled", "recovered"]
    assert [m.subject.split(":")[0] for m in mailoutbox] == [
        "[Omniflow] Webhook endpoint recovered"
    ]


def test_the_probe_backoff_stops_doubling_at_24_hours(workspace, endpoint):
    _emit(workspace, 1)
    health.endpoint_disable(endpoint_id=endpoint.id, reason="Testing.", now=START)
    WebhookEndpoint.objects.filter(id=endpoint.id).update(probe_interval_seconds=16 * 3600)

    assert health.probes_start(now=START + timedelta(hours=1)) == 1
    endpoint.refresh_from_db()
    assert endpoint.probe_interval_seconds == 24 * 3600


def test_a_paused_endpoint_is_never_probed(workspace, endpoint):
    _emit(workspace, 1)
    health.endpoint_pause(endpoint=endpoint, actor="someone")

    assert health.probes_start(now=START + timedelta(days=30)) == 0
    assert _statuses(endpoint) == ["held"]


def test_a_replay_to_a_paused_endpoint_is_held(workspace, endpoint, api_client):
    delivery = _emit(workspace, 1).deliveries.get()
    WebhookDelivery.objects.filter(id=delivery.id).update(status="failed")
    health.endpoint_pause(endpoint=endpoint, actor="someone")

    replay = api_client.post(f"/api/v1/webhook-deliveries/{delivery.id}/replay")

    assert replay.status_code == 202 and replay.json()["status"] == "held"


def test_an_event_held_during_a_resume_is_released_by_the_sweeper(workspace, endpoint):
    health.endpoint_pause(endpoint=endpoint, actor="someone")
    _emit(workspace, 1)
    # As if the resume committed between the emit's read of the state and its commit.
    WebhookEndpoint.objects.filter(id=endpoint.id).update(
        state="active", state_changed_at=datetime.now(UTC)
    )

    assert health.held_stragglers_release(now=datetime.now(UTC)) == 1
    assert _statuses(endpoint) == ["pending"]


def test_deleting_a_paused_endpoint_fails_its_held_deliveries(workspace, endpoint, api_client):
    _emit(workspace, 1)
    health.endpoint_pause(endpoint=endpoint, actor="someone")

    api_client.delete(f"/api/v1/webhook-endpoints/{endpoint.id}")

    assert _statuses(endpoint) == ["failed"]
