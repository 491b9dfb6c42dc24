import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory
from tests.support.browser import browser_login

pytestmark = pytest.mark.browser


def test_admin_logs_in_and_sees_the_settings_navigation(page):
    membership = MembershipFactory(role="admin")

    browser_login(page, membership.user)

    nav = page.locator("nav.settings-nav")
    # Named as the product page names them (Settings → Integrations → Webhooks → Deliveries log).
    for label in (
        "Integrations",
        "API Keys",
        "Webhooks",
        "Deliveries log",
        "Inbound webhooks",
        "Members",
    ):
        assert nav.get_by_text(label, exact=True).is_visible()
    assert page.locator("h1").inner_text() == membership.workspace.name
    page.screenshot(path="var/screenshots/settings-home.png", full_page=True)


def test_wrong_password_re_renders_the_form_with_an_error(page):
    membership = MembershipFactory(role="support")

    page.goto("/login/")
    page.fill("#id_username", membership.user.username)
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")

    # Waits for the answer (is_visible() would look at the page still being submitted).
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.input_value("#id_username") == membership.user.username
