"""How the deliveries log and a delivery's page explain a delivery: held, failed, replayed."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.template import Context, Template

from tests.support.processes import free_port
from tests.support.webhook_events import emit_committed
from webhooks.engine import dispatch as engine
from webhooks.failures import failure_reason
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

LOG_URL = "/settings/deliveries/"


def _endpoint(workspace, url="https://hooks.example.com/in"):
    return endpoint_create(workspace=workspace, url=url, event_types=["ticket.created"])


def _row(page: str, delivery_id: int) -> str:
    match = re.search(rf'<tr data-delivery-id="{delivery_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for delivery {delivery_id}"
    return match.group(1)


def test_a_delivery_held_behind_an_unfinished_one_says_which_it_waits_for(admin_client, workspace):
    endpoint = _endpoint(workspace)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=7)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=7)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=8)
    head, held, other = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id")
    # The head is retrying after a failure; the next one of ticket 7 is due in the past.
    WebhookDelivery.objects.filter(id=head.id).update(status="retrying", attempt_count=1)
    WebhookDelivery.objects.filter(id=held.id).update(
        next_attempt_at=datetime(2020, 1, 1, tzinfo=UTC)
    )

    log = admin_client.get(LOG_URL).content.decode()
    detail = admin_client.get(f"{LOG_URL}{held.id}/").content.decode()

    held_row = _row(log, held.id)
    assert f'waiting for <a href="/settings/deliveries/{head.id}/">#{head.id}</a>' in held_row
    assert "2020" not in held_row  # no stale due time
    assert "waiting for" not in _row(log, head.id)
    assert "waiting for" not in _row(log, other.id)  # another resource never waits
    assert f'this delivery waits for <a href="/settings/deliveries/{head.id}/">#{head.id}</a>' in (
        detail
    )


def test_a_refused_connection_is_named_with_the_raw_error_behind_a_disclosure(
    admin_client, workspace, allow_private_urls, settings
):
    settings.OMNIFLOW_WEBHOOK_RETRY_WINDOW_SECONDS = 0
    endpoint = _endpoint(workspace, url=f"http://127.0.0.1:{free_port()}/closed")
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    engine.deliveries_dispatch()
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "failed"

    log = admin_client.get(LOG_URL).content.decode()
    detail = admin_client.get(f"{LOG_URL}{delivery.id}/").content.decode()

    assert re.search(
        r'data-reason="connection_refused" title="[^"]+">Connection refused</div>',
        _row(log, delivery.id),
    )
    assert "Connection refused</strong>" in detail
    raw = re.search(
        r'<details class="raw-error"><summary>Raw error</summary><code>(.*?)</code>', detail, re.S
    )
    assert raw and "Connect call failed" in raw.group(1)


@pytest.mark.parametrize(
    ("error", "status_code", "reason"),
    [
        ("Timed out after 10 s.", None, "timeout"),
        (
            "ClientConnectorDNSError: Cannot connect to host nope.invalid:443 ssl:default "
            "[Name or service not known]",
            None,
            "dns",
        ),
        (
            "ClientConnectorCertificateError: Cannot connect to host a.example:443 "
            "ssl:True [SSLCertVerificationError: (1, '[SSL: CERTIFICATE_VERIFY_FAILED]')]",
            None,
            "tls",
        ),
        (
            "ClientConnectorError: Cannot connect to host 127.0.0.1:9 ssl:default "
            "[Connect call failed ('127.0.0.1', 9)]",
            None,
            "connection_refused",
        ),
        (
            "ClientResponseError: 400, message='Got more than 8190 bytes when reading'",
            None,
            "response_too_large",
        ),
        ("ServerDisconnectedError: Server disconnected", None, "connection_closed"),
        ("Refused: the URL's host resolves to a non-public address.", None, "blocked_address"),
        ("The endpoint is disabled.", None, "endpoint_disabled"),
        ("500 from the endpoint.", 500, "server_error"),
        ("404 from the endpoint; client errors are not retried.", 404, "client_error"),
        ("429 Too Many Requests.", 429, "rate_limited"),
        ("Redirect 301 to https://x/ not followed.", 301, "redirect"),
        ("Something new", None, "other"),
    ],
)
def test_failure_reasons_are_classified_from_the_attempt_error(error, status_code, reason):
    assert failure_reason(error=error, status_code=status_code).code == reason


def test_a_success_has_no_failure_reason():
    assert failure_reason(error="", status_code=200) is None


def test_times_read_relative_with_the_absolute_utc_time_in_the_title():
    template = Template("{% load timefmt %}{% reltime past %} {% reltime future %}")
    with time_machine.travel(datetime(2026, 12, 2, 4, 0, tzinfo=UTC), tick=False):
        html = template.render(
            Context(
                {
                    "past": datetime(2026, 12, 2, 3, 57, 10, tzinfo=UTC),
                    "future": datetime(2026, 12, 2, 6, 0, tzinfo=UTC),
                }
            )
        )

    assert html == (
        '<time class="reltime" datetime="2026-12-02T03:57:10Z" title="2026-12-02 03:57:10 UTC">'
        "2\xa0minutes ago</time> "
        '<time class="reltime" datetime="2026-12-02T06:00:00Z" title="2026-12-02 06:00:00 UTC">'
        "in 2\xa0hours</time>"
    )


def test_the_log_shows_created_times_relative(admin_client, workspace):
    _endpoint(workspace)
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), tick=False):
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    with time_machine.travel(datetime(2026, 12, 1, 13, 0, tzinfo=UTC), tick=False):
        log = admin_client.get(LOG_URL).content.decode()

    assert 'title="2026-12-01 10:00:00 UTC">3\xa0hours ago</time>' in log


def test_a_replayed_delivery_is_marked_with_a_link_to_its_replay(admin_client, workspace):
    _endpoint(workspace)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    original = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(id=original.id).update(status="failed", attempt_count=1)

    admin_client.post(f"{LOG_URL}{original.id}/replay/")
    replay = WebhookDelivery.objects.get(replay_of=original)
    log = admin_client.get(LOG_URL).content.decode()
    detail = admin_client.get(f"{LOG_URL}{original.id}/").content.decode()

    original_row = _row(log, original.id)
    assert '<span class="badge replayed">Replayed</span>' in original_row
    assert f'href="/settings/deliveries/{replay.id}/">as #{replay.id}</a>' in original_row
    assert "Replayed" not in _row(log, replay.id)
    assert f'Replayed as <a href="/settings/deliveries/{replay.id}/">#{replay.id}</a>' in detail


def test_a_delivery_due_now_says_so_rather_than_showing_a_past_time(admin_client, workspace):
    _endpoint(workspace)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    pending = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(id=pending.id).update(
        next_attempt_at=datetime(2020, 1, 1, tzinfo=UTC)
    )
    retrying = WebhookDelivery.objects.filter(id=pending.id)

    log = admin_client.get(LOG_URL).content.decode()
    retrying.update(status="retrying", next_attempt_at=datetime.now(UTC) + timedelta(minutes=5))
    later = admin_client.get(LOG_URL).content.decode()

    assert "due now" in _row(log, pending.id)
    assert re.search(r'title="[^"]+ UTC">in [45]\xa0minutes</time>', _row(later, pending.id))


def test_the_api_says_what_a_delivery_waits_for_why_it_failed_and_its_replay(api_client, workspace):
    endpoint = _endpoint(workspace)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=7)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=7)
    head, held = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id")
    WebhookDelivery.objects.filter(id=head.id).update(
        status="retrying", attempt_count=1, last_error="Timed out after 10 s."
    )

    listed = {d["id"]: d for d in api_client.get("/api/v1/webhook-deliveries").json()["results"]}
    detail = api_client.get(f"/api/v1/webhook-deliveries/{held.id}").json()
    WebhookDelivery.objects.filter(id=head.id).update(status="failed")
    replay = api_client.post(f"/api/v1/webhook-deliveries/{head.id}/replay").json()
    replayed = api_client.get(f"/api/v1/webhook-deliveries/{head.id}").json()

    assert (listed[held.id]["waiting_for"], listed[head.id]["waiting_for"]) == (head.id, None)
    assert listed[head.id]["failure_reason"] == "timeout"
    assert (listed[held.id]["failure_reason"], detail["waiting_for"]) == (None, head.id)
    assert (replayed["replayed_as"], replay["replayed_as"]) == (replay["id"], None)
