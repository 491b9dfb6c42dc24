"""Settings → Inbound webhooks in a real headless Chromium against a live server."""

from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from inbox.models import Conversation
from tests.factories import ConversationFactory, MembershipFactory
from tests.support.browser import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_create_a_trigger_copy_its_url_post_to_it_and_see_the_receipt(live_server, page):
    membership = MembershipFactory(role="admin")
    conversation = ConversationFactory(workspace=membership.workspace, external_id="shop-order-42")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser_login(page, membership.user)

    page.get_by_role("link", name="Inbound webhooks").click()
    expect(page.get_by_role("heading", name="Inbound webhooks", exact=True)).to_be_visible()
    page.get_by_role("link", name="New trigger").click()
    page.fill("#id_name", "Shop: order shipped")
    page.select_option("#id_resource", "conversation")
    page.fill("#id_conversation_path", "order.conversation_id")
    page.fill("#id_tags", "shipped")
    page.screenshot(path=str(SCREENSHOTS / "inbound-trigger-form.png"), full_page=True)
    page.get_by_role("button", name="Create trigger").click()

    expect(page.get_by_role("heading", name="Shop: order shipped")).to_be_visible()
    # The page's scripts (copy.js, at the end of the body) run before its "load".
    page.wait_for_load_state("load")
    page.click("#copy-trigger-url")
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    url = page.evaluate("navigator.clipboard.readText()")
    assert url.startswith(f"{live_server.url}/hooks/inbound/trg_")

    response = requests.post(url, json={"order": {"conversation_id": "shop-order-42"}}, timeout=10)
    assert response.status_code == 200, response.text
    assert list(
        Conversation.objects.get(pk=conversation.pk).tags.values_list("name", flat=True)
    ) == ["shipped"]
    refused = requests.post(url, json={"order": {"conversation_id": "nope"}}, timeout=10)
    assert refused.status_code == 422

    page.reload()
    receipts = page.locator("#receipts tbody tr")
    expect(receipts).to_have_count(2)
    expect(receipts.nth(0)).to_contain_text("conversation_not_found")
    expect(receipts.nth(1)).to_contain_text("Accepted")
    expect(receipts.nth(1)).to_contain_text("tags added: shipped")
    page.screenshot(path=str(SCREENSHOTS / "inbound-trigger-detail.png"), full_page=True)

    page.get_by_role("link", name="Back to inbound webhooks").click()
    row = page.locator("tr", has_text="Shop: order shipped")
    expect(row).to_contain_text("rejected")
    page.screenshot(path=str(SCREENSHOTS / "inbound-trigger-list.png"), full_page=True)
