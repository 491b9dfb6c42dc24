"""Every page has an icon: no 404 for /favicon.ico or the icon a page names."""

import pytest

from tests.support.browser import browser_login


def test_favicon_ico_leads_to_the_shipped_icon(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.redirect_chain[0][1] == 301
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/settings/", "/api/docs"])
def test_a_page_in_chromium_asks_for_nothing_that_is_missing(page, admin_membership, path):
    missing = []
    page.on(
        "response",
        lambda answer: answer.status >= 400 and missing.append(f"{answer.status} {answer.url}"),
    )
    icons = []
    page.on("request", lambda request: "favicon" in request.url and icons.append(request.url))
    browser_login(page, admin_membership.user)

    page.goto(path)
    page.wait_for_load_state("networkidle")

    assert missing == []
    assert icons, "the browser asked for no icon"
