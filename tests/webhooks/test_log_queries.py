"""The reads and the bulk replay behind the Settings pages, called directly."""

import pytest

from tests.webhooks.helpers import emit_committed
from webhooks.models import WebhookDelivery
from webhooks.replays import deliveries_replay_failed
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

    count = deliveries_replay_failed(workspace=workspace, resource_type="ticket", resource_id="1")

    replays = WebhookDelivery.objects.filter(replay_of__isnull=False)
    assert count == 2 == len(shown)
    assert {replay.replay_of_id for replay in replays} == shown
    assert all(replay.status == "pending" for replay in replays)
