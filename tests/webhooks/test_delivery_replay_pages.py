"""Settings → Deliveries: replaying one delivery and bulk-replaying the failed ones."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.webhooks.pages import LOG_URL, make_delivery, make_endpoint
from webhooks.engine import dispatch as engine
from webhooks.models import WebhookDelivery, WebhookReplayJob
from webhooks.replays import replay_job_run

pytestmark = pytest.mark.django_db


BULK_URL = "/settings/deliveries/replay-failed/"


def _run_replay_jobs() -> None:
    """Run the queued bulk replay jobs here, as a worker would."""
    for job_id in WebhookReplayJob.objects.values_list("id", flat=True):
        replay_job_run(job_id=job_id)


def test_replay_queues_a_new_delivery_of_the_same_event_which_is_then_sent(
    support_client, workspace, receiver, allow_private_urls
):
    endpoint = make_endpoint(workspace, url=receiver.url())
    delivery = make_delivery(endpoint, status="failed")

    response = support_client.post(
        f"/settings/deliveries/{delivery.id}/replay/", {"next": f"{LOG_URL}?status=failed"}
    )

    replay = WebhookDelivery.objects.get(replay_of=delivery)
    assert response.status_code == 302
    assert response["Location"] == f"{LOG_URL}?status=failed"
    assert (replay.event_id, replay.status, replay.attempt_count) == (
        delivery.event_id,
        "pending",
        0,
    )
    page = support_client.get(LOG_URL).content.decode()
    assert f"Replay queued as delivery #{replay.id}" in page
    engine.deliveries_dispatch()
    replay.refresh_from_db()
    assert (replay.status, replay.attempt_count) == ("succeeded", 1)
    (received,) = receiver.received()
    assert received.json["id"] == delivery.event.public_id


def test_replay_ignores_an_offsite_next(admin_client, workspace):
    delivery = make_delivery(make_endpoint(workspace))

    response = admin_client.post(
        f"/settings/deliveries/{delivery.id}/replay/", {"next": "https://evil.example.com/"}
    )

    assert response["Location"] == LOG_URL


def test_replay_is_a_post(admin_client, workspace):
    delivery = make_delivery(make_endpoint(workspace))

    assert admin_client.get(f"/settings/deliveries/{delivery.id}/replay/").status_code == 405
    assert WebhookDelivery.objects.count() == 1


def test_bulk_replay_confirms_the_count_then_replays_only_failed_matching_deliveries(
    support_client, workspace
):
    a = make_endpoint(workspace, url="https://a.example.com/")
    b = make_endpoint(workspace, url="https://b.example.com/")
    failed_a1 = make_delivery(a, status="failed", resource_id=1)
    failed_a2 = make_delivery(a, status="failed", resource_id=2)
    make_delivery(a, status="succeeded", resource_id=3)
    make_delivery(b, status="failed", resource_id=4)
    make_delivery(a, status="failed", resource_id=5, event_type="ticket.created")
    WebhookDelivery.objects.filter(resource_id="5").update(
        created_at=timezone.now() - timedelta(days=3)
    )
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    filters = {"endpoint": str(a.id), "created_after": since}

    listing = support_client.get(LOG_URL, filters).content.decode()
    confirm = support_client.get(BULK_URL, filters)
    assert WebhookDelivery.objects.filter(replay_of__isnull=False).count() == 0
    response = support_client.post(BULK_URL, filters, follow=True)
    _run_replay_jobs()

    assert "Replay all failed matching these filters" in listing
    assert confirm.context["count"] == 2
    assert "Replay 2 deliveries" in confirm.content.decode()
    replays = WebhookDelivery.objects.filter(replay_of__isnull=False)
    assert {r.replay_of_id for r in replays} == {failed_a1.id, failed_a2.id}
    assert all(r.status == "pending" and r.attempt_count == 0 for r in replays)
    # The replay runs in the background: the answer is its progress page, linked to the log.
    job = WebhookReplayJob.objects.get()
    assert "Replaying 2 failed deliveries in the background." in response.content.decode()
    assert response.redirect_chain[-1][0].startswith(f"{LOG_URL}replay-jobs/{job.id}/?")
    assert f"endpoint={a.id}" in response.redirect_chain[-1][0]
    assert f'href="{LOG_URL}?endpoint={a.id}' in response.content.decode()


def test_bulk_replay_honours_the_resource_filter(admin_client, workspace):
    endpoint = make_endpoint(workspace)
    wanted = make_delivery(endpoint, status="failed", resource_id=1)
    make_delivery(endpoint, status="failed", resource_id=2)
    filters = {"resource_type": "ticket", "resource_id": "1"}

    assert admin_client.get(BULK_URL, filters).context["count"] == 1
    admin_client.post(BULK_URL, filters)
    _run_replay_jobs()

    (replay,) = WebhookDelivery.objects.filter(replay_of__isnull=False)
    assert replay.replay_of_id == wanted.id


def test_bulk_replay_with_nothing_failed_offers_nothing_to_post(admin_client, workspace):
    make_delivery(make_endpoint(workspace), status="succeeded")

    page = admin_client.get(BULK_URL).content.decode()

    assert '<strong id="replay-count">0</strong>' in page
    assert '<form method="post">' not in page


def test_bulk_replay_cannot_reach_another_workspace(admin_client, workspace, other_workspace):
    foreign = make_delivery(make_endpoint(other_workspace), status="failed")

    response = admin_client.post(BULK_URL, {"endpoint": foreign.endpoint_id})
    admin_client.post(BULK_URL, {})
    _run_replay_jobs()

    assert response.status_code == 302
    assert not WebhookDelivery.objects.filter(replay_of=foreign).exists()


def test_log_hides_bulk_replay_when_filtering_another_status(admin_client, workspace):
    make_delivery(make_endpoint(workspace), status="succeeded")

    page = admin_client.get(LOG_URL, {"status": "succeeded"}).content.decode()

    assert "Replay all failed" not in page


def test_a_bulk_replay_says_how_many_of_its_replays_then_succeeded(support_client, workspace):
    endpoint = make_endpoint(workspace)
    other = make_endpoint(workspace, url="https://other.example.com/in")
    for resource_id in range(4):
        make_delivery(endpoint, status="failed", resource_id=resource_id)
    make_delivery(other, status="failed", resource_id=9)
    replayed_by_hand = make_delivery(endpoint, status="failed", resource_id=8)
    WebhookDelivery.objects.create(
        event_id=replayed_by_hand.event_id,
        endpoint=endpoint,
        workspace=workspace,
        event_type=replayed_by_hand.event_type,
        resource_type="ticket",
        resource_id="8",
        replay_of=replayed_by_hand,
        status="succeeded",
        created_at=timezone.now() - timedelta(hours=1),
    )
    support_client.post(BULK_URL, {"endpoint": endpoint.id})
    _run_replay_jobs()
    job = WebhookReplayJob.objects.get()
    replays = list(WebhookDelivery.objects.filter(replay_of__endpoint=endpoint).order_by("id"))
    # The worker then delivers three of them and one fails for good.
    outcomes = ["succeeded", "succeeded", "succeeded", "failed"]
    for replay, status in zip(replays[1:], outcomes, strict=True):
        WebhookDelivery.objects.filter(id=replay.id).update(status=status)

    page = support_client.get(f"/settings/deliveries/replay-jobs/{job.id}/").content.decode()

    assert job.done == 4
    assert '<span class="badge succeeded">3 succeeded</span>' in page
    assert '<span class="badge failed">1 failed</span>' in page
    assert f"Failed deliveries with endpoint {endpoint.url}." in page
    assert "endpoint_id" not in page
