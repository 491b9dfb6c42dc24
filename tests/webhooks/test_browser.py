"""Settings → Webhooks and Deliveries in a real headless Chromium against a live server.

The engine runs in this process (`deliveries_dispatch`), so a delivery really goes out to a
real HTTP receiver on 127.0.0.1 without a worker.
"""

import threading
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import expect

from tests.factories import MembershipFactory
from tests.support.browser import browser_login
from tests.support.webhook_events import emit_committed
from webhooks.engine import dispatch as engine
from webhooks.engine import transport
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_secret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def admin_membership(transactional_db):
    return MembershipFactory(role="admin")


def _dispatch() -> None:
    """Run the engine once, in a thread: Playwright's event loop holds this one."""

    def run() -> None:
        try:
            engine.deliveries_dispatch()
        finally:
            transport.close()
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"webhooks-{name}.png"), full_page=True)


def test_create_an_endpoint_see_a_delivery_fail_and_replay_it_to_success(
    live_server, admin_membership, page, receiver, settings
):
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True
    # No retries: a 5xx ends the delivery as failed at once, so the test needs no waiting.
    settings.OMNIFLOW_WEBHOOK_RETRY_WINDOW_SECONDS = 0
    answer = {"status": 500}
    receiver.behaviour = lambda number, request: (answer["status"], {})
    workspace = admin_membership.workspace

    # Create an endpoint: a mistake first, which keeps what was typed.
    browser_login(page, admin_membership.user)
    page.locator(".settings-nav").get_by_role("link", name="Webhooks", exact=True).click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    page.get_by_role("link", name="New endpoint").click()
    page.fill("#id_url", receiver.url())
    page.fill("#id_description", "Browser receiver")
    page.get_by_role("button", name="Create endpoint").click()
    # At the field, and in the summary of every error on top of the form.
    expect(page.get_by_text("Subscribe to at least one event type.", exact=True)).to_be_visible()
    expect(page.locator("#error-summary")).to_contain_text(
        "Events: Subscribe to at least one event type."
    )
    expect(page.locator("#id_url")).to_have_value(receiver.url())
    _shot(page, "endpoint-form-errors")
    page.check("#event-ticket\\.created")
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.get_by_text("Created the endpoint")).to_be_visible()
    endpoint = WebhookEndpoint.objects.get(workspace=workspace)
    secret = endpoint_secret(endpoint=endpoint)
    assert secret not in page.content()
    expect(page.locator("#masked-secret")).to_have_text(f"whsec_…{secret[-4:]}")
    _shot(page, "endpoint-detail")

    # Reveal the secret: shown in that response only.
    page.get_by_role("button", name="Reveal").click()
    expect(page.locator("#endpoint-secret")).to_have_text(secret)
    _shot(page, "endpoint-secret-revealed")
    page.get_by_role("link", name="Back to webhooks").click()
    expect(page.locator(f'tr[data-endpoint-id="{endpoint.id}"]')).to_contain_text(
        "Browser receiver"
    )
    assert secret not in page.content()
    _shot(page, "endpoint-list")

    # An event goes out and fails: the receiver answers 500.
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=7)
    _dispatch()
    failed = WebhookDelivery.objects.get(endpoint=endpoint)
    assert failed.status == "failed"
    page.locator(".settings-nav").get_by_role("link", name="Deliveries").click()
    row = page.locator(f'tr[data-delivery-id="{failed.id}"]')
    expect(row.locator(".badge")).to_have_text("Failed")
    expect(row).to_contain_text("500")
    _shot(page, "delivery-list-failed")
    row.get_by_role("link", name=f"#{failed.id}").click()
    expect(page.get_by_text("500 from the endpoint.").first).to_be_visible()
    expect(page.locator("#event-body")).to_contain_text('"type": "ticket.created"')
    _shot(page, "delivery-detail-failed")
    page.get_by_role("link", name="Back to deliveries").click()

    # The bulk replay asks first and shows the count.
    page.select_option("#id_status", "failed")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Replay all failed matching these filters…").click()
    expect(page.locator("#replay-count")).to_have_text("1")
    _shot(page, "delivery-bulk-replay-confirm")
    page.get_by_role("link", name="Cancel").click()

    # The receiver is fixed; Replay in the log sends the event again, and it succeeds.
    answer["status"] = 200
    page.locator(f'tr[data-delivery-id="{failed.id}"]').get_by_role("button", name="Replay").click()
    expect(page.get_by_text("Replay queued as delivery")).to_be_visible()
    replay = WebhookDelivery.objects.get(replay_of=failed)
    _dispatch()
    page.get_by_role("link", name="Clear").click()
    replay_row = page.locator(f'tr[data-delivery-id="{replay.id}"]')
    expect(replay_row.locator(".badge")).to_have_text("Succeeded")
    expect(replay_row).to_contain_text(f"replay of #{failed.id}")
    _shot(page, "delivery-list-replayed")
    first, second = receiver.received()
    assert (first.status, second.status) == (500, 200)
    assert first.json["id"] == second.json["id"]  # the same event, a new delivery id
    assert first.delivery_id != second.delivery_id

    replay_row.get_by_role("link", name=f"#{replay.id}").click()
    expect(page.locator("h1 .badge")).to_have_text("Succeeded")
    _shot(page, "delivery-detail-succeeded")

    # Rotation and deletion both ask first.
    page.get_by_role("link", name=receiver.url()).click()
    page.get_by_role("link", name="Rotate secret").click()
    _shot(page, "endpoint-rotate-confirm")
    page.get_by_role("button", name="Rotate secret").click()
    endpoint.refresh_from_db()
    expect(page.locator("#endpoint-secret")).to_have_text(endpoint_secret(endpoint=endpoint))
    page.get_by_role("link", name="Delete").click()
    _shot(page, "endpoint-delete-confirm")
    page.get_by_role("button", name="Delete endpoint").click()
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
