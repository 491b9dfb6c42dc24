import os
from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apikeys.selectors import api_key_forget_remembered
from tests.factories import MembershipFactory, WorkspaceFactory, make_api_key


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """Return a function making an API client for a workspace, with the given scopes."""

    def make(workspace, scopes: list[str] | None = None) -> APIClient:
        _, plaintext = make_api_key(workspace, scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        return client

    return make


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with empty rate-limit counters and key-lookup caches (Redis db of tests,
    and the keys this process remembers)."""
    cache.clear()
    api_key_forget_remembered()
    yield
    cache.clear()
    api_key_forget_remembered()


@pytest.fixture
def workspace(db):
    return WorkspaceFactory()


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory()


@pytest.fixture
def admin_membership(workspace):
    return MembershipFactory(workspace=workspace, role="admin")


@pytest.fixture
def support_membership(workspace):
    return MembershipFactory(workspace=workspace, role="support")


@pytest.fixture
def admin_client(client, admin_membership):
    client.force_login(admin_membership.user)
    return client


@pytest.fixture
def support_client(client, support_membership):
    client.force_login(support_membership.user)
    return client


@pytest.fixture
def api_key(workspace):
    """An all-scopes key of `workspace`: (ApiKey, plaintext)."""
    return make_api_key(workspace)


@pytest.fixture
def api_client(api_key):
    """An API client that sends the all-scopes key of `workspace`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client


@pytest.fixture(scope="session")
def _chromium():
    """One headless Debian Chromium for the session (no browser download works here)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread for the session; the
    # tests' ORM calls (fixtures, assertions) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_chromium, live_server, transactional_db):
    """A fresh browser page on the live server (relative URLs work); clipboard allowed."""
    context = _chromium.new_context(base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
