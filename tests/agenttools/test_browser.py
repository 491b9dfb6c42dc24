"""Settings → Agent tools in a real headless Chromium against a live server: create, Try it."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from agenttools.models import ToolCall
from tests.factories import MembershipFactory
from tests.support.browser import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_create_a_tool_and_try_it_seeing_the_request_sent_and_the_response(
    live_server, page, customer_api, settings
):
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True
    membership = MembershipFactory(role="admin")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser_login(page, membership.user)

    page.locator(".settings-nav").get_by_role("link", name="Agent tools").click()
    expect(page.get_by_role("heading", name="Agent tools", exact=True)).to_be_visible()
    page.get_by_role("link", name="New tool").click()
    page.fill("#id_name", "lookup_order")
    page.fill("#id_description", "Look up an order by its number.")
    page.fill("#id_url_template", f"{customer_api.base_url}/orders/{{order_id}}")
    page.select_option("#id_auth", "bearer")
    page.fill("#id_secret", "sk_test_browser_token")
    page.get_by_role("button", name="Create tool").click()
    expect(page.get_by_role("heading", name="lookup_order")).to_be_visible()

    # Try it: the sample arguments come from the schema; give a real order number.
    expect(page.locator("#id_arguments")).to_contain_text('"order_id"')
    page.fill("#id_arguments", '{"order_id": "A-42"}')
    page.get_by_role("button", name="Send request").click()

    expect(page.locator("#try-outcome")).to_have_text("ok")
    expect(page.locator("#try-status")).to_have_text("200")
    request_shown = page.locator("#try-request")
    expect(request_shown).to_contain_text(f"GET {customer_api.base_url}/orders/A-42")
    expect(request_shown).to_contain_text("Authorization: Bearer …oken")
    expect(page.locator("#try-response")).to_contain_text('"status": "shipped"')
    expect(page.locator("#try-model-result")).to_contain_text('"ok": true')
    page.screenshot(path=str(SCREENSHOTS / "agent-tool-try-it.png"), full_page=True)
    [seen] = customer_api.received()
    assert seen.headers["Authorization"] == "Bearer sk_test_browser_token"
    assert "sk_test_browser_token" not in page.content()

    # Arguments the schema refuses are explained, and nothing is sent.
    page.fill("#id_arguments", '{"order_id": 42}')
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#try-outcome")).to_have_text("invalid_arguments")
    expect(page.locator("#try-argument-errors")).to_contain_text("42 is not of type 'string'")
    assert len(customer_api.received()) == 1
    expect(page.locator("#calls tbody tr")).to_have_count(2)
    assert ToolCall.objects.filter(source="try_it").count() == 2
