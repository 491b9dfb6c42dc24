"""Held deliveries and bulk replay progress in a real headless Chromium, at desktop and phone
widths. Screenshots go to var/screenshots/ (not committed)."""

import threading
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import expect

from tests.factories import MembershipFactory
from tests.support.browser import browser_login
from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery, WebhookReplayJob
from webhooks.replays import replay_job_run
from webhooks.services import endpoint_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
VIEWPORTS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"deliveries-{name}.png"), full_page=True)


def _in_a_thread(work) -> None:
    """Run `work` as a worker would, in a thread: Playwright's event loop holds this one."""

    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_a_held_delivery_links_what_it_waits_for_and_a_bulk_replay_shows_its_progress(page, width):
    page.set_viewport_size(VIEWPORTS[width])
    membership = MembershipFactory(role="admin")
    workspace = membership.workspace
    endpoint = endpoint_create(
        workspace=workspace, url="https://hooks.example.com/in", event_types=["ticket.created"]
    )
    # Ticket 7's first delivery is retrying; its second waits behind it.
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=7)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=7)
    head, held = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id")
    WebhookDelivery.objects.filter(id=head.id).update(
        status="retrying",
        attempt_count=1,
        last_error="ClientConnectorError: Cannot connect to host hooks.example.com:443 "
        "ssl:default [Connect call failed ('93.184.215.14', 443)]",
    )
    # Three other tickets' deliveries failed for good.
    for resource_id in (1, 2, 3):
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=resource_id)
    failed = list(WebhookDelivery.objects.filter(resource_id__in=["1", "2", "3"]).order_by("id"))
    WebhookDelivery.objects.filter(id__in=[d.id for d in failed]).update(
        status="failed", attempt_count=3, last_status_code=503, last_error="503 from the endpoint."
    )

    browser_login(page, membership.user)
    page.goto("/settings/deliveries/")
    held_row = page.locator(f'tr[data-delivery-id="{held.id}"]')
    expect(held_row.locator(".waiting-for")).to_have_text(f"waiting for #{head.id}")
    expect(page.locator(f'tr[data-delivery-id="{head.id}"] .failure-reason')).to_have_text(
        "Connection refused"
    )
    _shot(page, f"{width}-log-held")
    held_row.get_by_role("link", name=f"#{head.id}").last.click()
    expect(page.get_by_role("heading", name=f"Delivery #{head.id}")).to_be_visible()
    page.get_by_text("Raw error").first.click()
    expect(page.get_by_text("Connect call failed").first).to_be_visible()
    _shot(page, f"{width}-head-detail")

    # Bulk replay: the count first, then a progress bar that moves without a reload.
    page.goto("/settings/deliveries/?status=failed")
    page.get_by_role("link", name="Replay all failed matching these filters…").click()
    expect(page.locator("#replay-count")).to_have_text("3")
    page.get_by_role("button", name="Replay 3 deliveries").click()
    job = WebhookReplayJob.objects.get(workspace=workspace)
    box = page.locator(f"#replay-job-{job.id}")
    expect(box.locator(".replay-job-status")).to_have_text("Queued")
    expect(box.locator(".replay-job-done")).to_have_text("0")
    _shot(page, f"{width}-replay-queued")
    _in_a_thread(lambda: replay_job_run(job_id=job.id))
    expect(box.locator(".replay-job-status")).to_have_text("Finished")
    expect(box.locator(".replay-job-done")).to_have_text("3")
    expect(box.locator("progress")).to_have_attribute("value", "3")
    _shot(page, f"{width}-replay-finished")

    # The originals are marked replayed, each with a link to its replay.
    page.get_by_role("link", name="Back to deliveries").click()
    for original in failed:
        replay = WebhookDelivery.objects.get(replay_of=original)
        row = page.locator(f'tr[data-delivery-id="{original.id}"]')
        expect(row.locator(".badge.replayed")).to_have_text("Replayed")
        expect(row.locator(".replayed-as")).to_have_attribute(
            "href", f"/settings/deliveries/{replay.id}/"
        )
    _shot(page, f"{width}-log-replayed")
