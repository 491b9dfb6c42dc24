"""An endpoint's health over 24 h and 7 days: success rate, p50/p95 latency and attempts, as
numbers and a server-drawn SVG chart on its Settings page, and the same figures (with the
chart's slices) from the API."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt
from webhooks.services import endpoint_create

NOW = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)


def _attempt(delivery, *, hours_ago: float, status: int | None, duration_ms: int, error=""):
    WebhookDeliveryAttempt.objects.create(
        delivery=delivery,
        response_status_code=status,
        duration_ms=duration_ms,
        error=error,
        created_at=NOW - timedelta(hours=hours_ago),
    )


@pytest.fixture
def endpoint_with_a_week_of_attempts(workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://a.example.com/", event_types=["ticket.created"]
    )
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    # In the last hour's slice: two 2xx (10 ms, 30 ms) and one refused connection (0 ms).
    _attempt(delivery, hours_ago=0.5, status=200, duration_ms=10)
    _attempt(delivery, hours_ago=0.25, status=204, duration_ms=30)
    _attempt(delivery, hours_ago=0.1, status=None, duration_ms=0, error="Connection refused")
    # Five hours ago: a 500.
    _attempt(delivery, hours_ago=5.5, status=500, duration_ms=200)
    # Three days ago: only the week sees it.
    _attempt(delivery, hours_ago=72, status=200, duration_ms=900)
    return endpoint


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_the_api_gives_the_window_figures_and_its_slices(
    api_client, endpoint_with_a_week_of_attempts
):
    endpoint = endpoint_with_a_week_of_attempts

    day = api_client.get(f"/api/v1/webhook-endpoints/{endpoint.id}/stats?window=24h").json()
    week = api_client.get(f"/api/v1/webhook-endpoints/{endpoint.id}/stats?window=7d").json()

    assert (day["attempts"], day["bucket_seconds"], len(day["series"])) == (4, 3600, 24)
    assert day["series"][0]["start"] == "2026-12-06T12:00:00Z"
    last = day["series"][-1]
    assert (last["start"], last["attempts"], last["succeeded"], last["failed"]) == (
        "2026-12-07T11:00:00Z",
        3,
        2,
        1,
    )
    assert last["latency_ms"] == {"p50": 10, "p95": 30}
    five_hours_ago = day["series"][-6]
    assert (five_hours_ago["attempts"], five_hours_ago["failed"]) == (1, 1)
    assert sum(bucket["attempts"] for bucket in day["series"]) == 4
    assert day["series"][0]["latency_ms"] == {"p50": None, "p95": None}
    assert (week["attempts"], week["bucket_seconds"], len(week["series"])) == (5, 6 * 3600, 28)
    assert sum(bucket["succeeded"] for bucket in week["series"]) == 3
    assert day["latency_ms"]["p95"] == 200 and week["latency_ms"]["p95"] == 900


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_the_endpoint_page_shows_both_windows_as_numbers_and_an_svg_chart(
    admin_client, endpoint_with_a_week_of_attempts
):
    endpoint = endpoint_with_a_week_of_attempts

    page = admin_client.get(f"/settings/webhooks/{endpoint.id}/").content.decode()

    assert '<td id="stats-attempts">4</td>' in page
    assert '<td id="stats-7d-attempts">5</td>' in page
    assert '<td id="stats-latency">p50 10 ms · p95 200 ms</td>' in page
    for window in ("24h", "7d"):
        assert f'<figure class="attempt-chart" id="chart-{window}">' in page
    # One bar group per slice, each with what it stands for on hover; drawn here, no CDN.
    assert page.count("<g><title>") == 24 + 28
    assert "11:00 UTC: 3 attempts, 1 failed, p95 30 ms" in page
    assert '<polyline class="p95"' in page
    assert '<script src="http' not in page and "cdn" not in page.lower()
