"""The reads and the bulk replay behind the Settings pages, called directly."""

from datetime import datetime, timedelta

import pytest

from tests.support.webhook_events import emit_committed, replay_failed
from webhooks.models import WebhookDelivery
from webhooks.selectors import deliveries_for_log, deliveries_log_page, endpoint_delivery_counts
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db


def _emit(workspace, resource_id, event_type="ticket.created"):
    emit_committed(workspace=workspace, event_type=event_type, resource_id=resource_id)


def test_delivery_counts_are_per_endpoint_and_status_over_the_latest_deliveries(workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://hooks.example.com/", event_types=["ticket.created"]
    )
    for resource_id in range(4):
        _emit(workspace, resource_id)
    WebhookDelivery.objects.filter(resource_id__in=["0", "1"]).update(status="failed")

    assert endpoint_delivery_counts(workspace=workspace) == {
        endpoint.id: {"failed": 2, "pending": 2}
    }
    # Bounded: only the newest two rows (resources 2 and 3, still pending) are read.
    assert endpoint_delivery_counts(workspace=workspace, latest=2) == {endpoint.id: {"pending": 2}}


def test_delivery_counts_ignore_other_workspaces(workspace, other_workspace):
    endpoint_create(
        workspace=other_workspace, url="https://hooks.example.com/", event_types=["ticket.created"]
    )
    _emit(other_workspace, 1)

    assert endpoint_delivery_counts(workspace=workspace) == {}


def test_an_empty_log_has_no_pages(workspace):
    page = deliveries_log_page(deliveries=deliveries_for_log(workspace=workspace))

    assert (page.deliveries, page.newer_than, page.older_than) == ([], None, None)


def test_replay_failed_in_log_replays_exactly_what_the_log_shows_as_failed(workspace):
    endpoint_create(
        workspace=workspace, url="https://hooks.example.com/", event_types=["ticket.created"]
    )
    for resource_id in (1, 1, 2):
        _emit(workspace, resource_id)
    WebhookDelivery.objects.update(status="failed")
    shown = set(
        deliveries_for_log(
            workspace=workspace, status="failed", resource_type="ticket", resource_id="1"
        ).values_list("id", flat=True)
    )

    count = replay_failed(workspace=workspace, resource_type="ticket", resource_id="1")

    replays = WebhookDelivery.objects.filter(replay_of__isnull=False)
    assert count == 2 == len(shown)
    assert {replay.replay_of_id for replay in replays} == shown
    assert all(replay.status == "pending" for replay in replays)


def test_time_filters_find_exactly_the_deliveries_created_in_the_range(workspace, time_machine):
    endpoint_create(
        workspace=workspace, url="https://hooks.example.com/", event_types=["ticket.created"]
    )
    minutes = [0, 1, 10, 20, 40]
    for minute in minutes:
        time_machine.move_to(f"2026-12-01 10:{minute:02d}:00+00:00", tick=False)
        _emit(workspace, minute)
    # A delivery inserted a little (under the margin) after the time it was created at: ids
    # follow creation times only that closely.
    late = WebhookDelivery.objects.get(resource_id="20")
    WebhookDelivery.objects.filter(id=late.id).update(
        created_at=late.created_at - timedelta(minutes=12)  # 10:08, after 10:10's id
    )

    def shown(**times):
        rows = deliveries_for_log(workspace=workspace, **times)
        return sorted(int(d.resource_id) for d in rows)

    assert shown(created_after=at("10:01"), created_before=at("10:20")) == [1, 10, 20]
    assert shown(created_after=at("10:09")) == [10, 40]
    assert shown(created_before=at("10:09")) == [0, 1, 20]
    assert shown(created_after=at("10:41")) == []
    assert shown(created_before=at("09:00")) == []


def at(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-12-01T{clock}:00+00:00")
