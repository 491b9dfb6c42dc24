"""The real browser's steps that many pages' tests take."""

from tests.factories import TEST_PASSWORD


def browser_login(page, user) -> None:
    """Log in through the real login page."""
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/settings/**")
