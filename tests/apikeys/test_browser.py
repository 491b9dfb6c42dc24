"""Settings → API Keys in a real headless Chromium against a live server."""

import pytest
import requests
from playwright.sync_api import expect

from apikeys import tokens
from tests.apikeys.urls import PROBE_PATH
from tests.factories import MembershipFactory
from tests.support.browser import browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.apikeys.urls"),
]


@pytest.fixture
def admin_user(transactional_db):
    return MembershipFactory(role="admin").user


def _api_get(live_server, plaintext: str) -> requests.Response:
    return requests.get(
        f"{live_server.url}{PROBE_PATH}",
        headers={"Authorization": f"Bearer {plaintext}"},
        timeout=10,
    )


def test_create_copy_list_and_revoke_a_key_in_the_browser(live_server, admin_user, page):
    browser_login(page, admin_user)
    page.get_by_role("link", name="API Keys").click()
    expect(page.get_by_role("heading", name="API keys", exact=True)).to_be_visible()

    # Create a key: it is shown once, with a warning and a working copy button.
    page.get_by_role("link", name="New API key").click()
    page.fill("#id_name", "Browser key")
    page.check("#scope-tickets-read")
    page.check("#scope-contacts-write")
    page.get_by_label("Custom", exact=True).check()
    page.fill("#id_custom_rate", "100/m")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("It is shown only this once")).to_be_visible()
    plaintext = page.text_content("#api-key-plaintext").strip()
    assert tokens.is_well_formed(plaintext)
    # The page's scripts (copy.js, at the end of the body) run before its "load".
    page.wait_for_load_state("load")
    page.click("#copy-api-key")
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == plaintext

    # The key works over real HTTP.
    response = _api_get(live_server, plaintext)
    assert response.status_code == 200
    assert response.headers["RateLimit-Policy"] == '"custom";q=100;w=60'

    # Listed by prefix only: the plaintext never appears again.
    page.get_by_role("link", name="Back to API keys").click()
    prefix = tokens.display_prefix(plaintext)
    row = page.locator(f'tr[data-key-prefix="{prefix}"]')
    expect(row).to_contain_text(f"{prefix}…")
    expect(row).to_contain_text("contacts:write, tickets:read")
    expect(row.locator(".badge")).to_have_text("Active")
    assert plaintext not in page.content()

    # Revoke, after a confirmation page.
    row.get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke “Browser key”?")).to_be_visible()
    page.get_by_role("button", name="Revoke key").click()
    expect(page.locator(f'tr[data-key-prefix="{prefix}"] .badge')).to_have_text("Revoked")
    expect(page.get_by_text("Requests with it now get 401.")).to_be_visible()
    activity = page.locator("section", has_text="Recent activity")
    expect(activity).to_contain_text("Revoked")
    expect(activity).to_contain_text("Created")
    assert plaintext not in page.content()

    # The revoked key gets 401 from the API on the very next request.
    response = _api_get(live_server, plaintext)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["type"] == "authentication_failed"
