"""The endpoint page in a real headless Chromium: the answer of each action is in view after
the reload (test event, revealed secret), the test-event type stays chosen, one verifier listing
shows at a time, every code block has a working Copy button, a failed delivery has Resend.
Screenshots go to var/screenshots/ (not committed)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory
from tests.support.browser import browser_login
from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create, endpoint_secret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
VIEWPORTS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"endpoint-{name}.png"), full_page=True)


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_each_answer_is_in_view_and_the_page_reads_in_sections(page, receiver, settings, width):
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True
    receiver.behaviour = lambda number, request: (503, {"X-Consumer": "busy"})
    membership = MembershipFactory(role="admin")
    workspace = membership.workspace
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=3)
    failed = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookDelivery.objects.filter(id=failed.id).update(status="failed", last_status_code=503)
    page.set_viewport_size(VIEWPORTS[width])
    browser_login(page, membership.user)
    page.goto(f"/settings/webhooks/{endpoint.id}/")
    _shot(page, f"{width}-page")

    # A test event of a type the endpoint does not even subscribe to: its answer is at the top.
    page.select_option("#test-event-type", "ticket.status_changed")
    page.get_by_role("button", name="Send test event").click()
    expect(page.locator("#test-result")).to_be_in_viewport()
    expect(page.locator("#test-result-status")).to_have_text("503")
    expect(page.locator("#test-result .failure-reason")).to_have_text(
        "Server error (503): The endpoint answered with a 5xx."
    )
    expect(page.locator("#test-event-type")).to_have_value("ticket.status_changed")
    _shot(page, f"{width}-test-sent")

    # The secret, revealed, is in view at once, with its Copy button.
    page.get_by_role("button", name="Reveal").click()
    expect(page.locator("#endpoint-secret")).to_be_in_viewport()
    expect(page.locator("#endpoint-secret")).to_have_text(endpoint_secret(endpoint=endpoint))

    # One verifier listing at a time; the tabs switch it.
    panels = page.locator("#verifiers .tab-panel")
    expect(panels.and_(page.locator(":visible"))).to_have_count(1)
    expect(page.locator("#verifier-python")).to_be_visible()
    page.get_by_role("tab", name="Node (both headers)").click()
    expect(page.locator("#verifier-node")).to_be_visible()
    expect(page.locator("#verifier-python")).to_be_hidden()
    expect(panels.and_(page.locator(":visible"))).to_have_count(1)

    # Every code block has a Copy button that copies it.
    page.wait_for_load_state("load")
    node = page.locator("#verifier-node")
    node.get_by_role("button", name="Copy").click()
    expect(node.get_by_role("button")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == node.locator("pre").text_content()
    blocks = page.locator("main pre").count()
    assert blocks == 3  # the three verifiers
    expect(page.locator("main .code-block > pre + button.copy-code")).to_have_count(blocks)

    # The failed delivery has Resend beside it, and it queues a replay.
    recent = page.locator(f'#recent-deliveries li[data-delivery-id="{failed.id}"]')
    expect(recent.locator(".badge.failed")).to_be_visible()
    recent.get_by_role("button", name="Resend").click()
    expect(page.get_by_text("Replay queued as delivery")).to_be_visible()
    assert WebhookDelivery.objects.filter(replay_of=failed).count() == 1
    _shot(page, f"{width}-resent")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1]
