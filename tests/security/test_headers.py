"""Response headers: CSP of our own origin everywhere (the API docs included, in a real
browser), HSTS on https, a proxy's X-Forwarded-Proto trusted only when configured, and secrets
never cacheable."""

import importlib
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings

from tests.factories import MembershipFactory
from tests.support.browser import browser_login
from tests.support.inbound_triggers import event_trigger
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db


def _directives(policy: str) -> dict[str, set[str]]:
    return {
        name: set(values)
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.parametrize("path", ["/login/", "/api/v1/schema", "/healthz"])
def test_every_response_allows_only_our_own_origin(client, path):
    policy = _directives(client.get(path)["Content-Security-Policy"])

    assert policy["default-src"] == {"'self'"}
    assert policy["script-src"] == {"'self'"}
    assert policy["style-src"] == {"'self'"}
    assert policy["frame-ancestors"] == {"'none'"}
    for sources in policy.values():
        assert not any(source.startswith(("http", "*")) for source in sources), policy


def test_the_api_docs_page_loads_nothing_from_elsewhere(client):
    page = client.get("/api/docs")
    html = page.content.decode()
    policy = _directives(page["Content-Security-Policy"])

    assert page.status_code == 200
    assert "googleapis" not in html and "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
    assert "<script>" not in html and "<style>" not in html
    assert policy["script-src"] == {"'self'"}


@pytest.mark.browser
def test_the_api_docs_render_in_a_browser_without_any_request_elsewhere(page, live_server):
    ours = urlsplit(live_server.url).netloc
    outside, blocked = [], {}
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if urlsplit(request.url).netloc not in ("", ours) else None
        ),
    )
    page.on("requestfailed", lambda request: blocked.update({request.url: request.failure}))

    page.goto("/api/docs")

    page.locator("h1", has_text="Omniflow API").wait_for()
    # Redoc's bundle hard-codes one image, its vendor's logo on a CDN: the browser asks for
    # it and the policy stops it before anything leaves the machine. Nothing else is tried.
    assert outside == ["https://cdn.redoc.ly/redoc/logo-mini.svg"]
    assert blocked[outside[0]] == "csp"


@pytest.mark.browser
def test_settings_pages_copy_buttons_work_under_the_csp(page, live_server):
    membership = MembershipFactory(role="admin")
    trigger = event_trigger(membership.workspace)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    browser_login(page, membership.user)
    page.goto(trigger.get_absolute_url())
    # The page's scripts (copy.js, at the end of the body) run before its "load".
    page.wait_for_load_state("load")
    page.click("#copy-trigger-url")

    page.get_by_text("Copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()").endswith(trigger.receive_path)
    assert violations == []


def test_hsts_is_sent_on_https_when_debug_is_off(client):
    # The test run has DEBUG=false, as production does.
    assert settings.SECURE_HSTS_SECONDS >= 31536000

    secure = client.get("/login/", secure=True)
    plain = client.get("/login/")

    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in plain


def _settings_with(monkeypatch, **environment) -> SimpleNamespace:
    """Return the settings omniflow/settings.py computes from this environment."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    import omniflow.settings as module

    try:
        return SimpleNamespace(**vars(importlib.reload(module)))
    finally:
        for name in environment:
            monkeypatch.delenv(name)
        importlib.reload(module)


def test_hsts_is_configurable(monkeypatch):
    assert _settings_with(monkeypatch, SECURE_HSTS_SECONDS="0").SECURE_HSTS_SECONDS == 0
    assert _settings_with(monkeypatch, DEBUG="true").SECURE_HSTS_SECONDS == 0


def test_x_forwarded_proto_is_trusted_only_behind_a_configured_proxy(monkeypatch):
    assert not hasattr(_settings_with(monkeypatch), "SECURE_PROXY_SSL_HEADER")
    trusted = _settings_with(monkeypatch, OMNIFLOW_TRUSTED_PROXY="true")
    assert trusted.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_client_claiming_https_gets_no_secure_treatment(client):
    # Without OMNIFLOW_TRUSTED_PROXY (the test run's setting): the header is the client's word.
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")

    assert "Strict-Transport-Security" not in response


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_a_trusted_proxy_its_https_counts(client):
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")

    assert "Strict-Transport-Security" in response


@pytest.mark.parametrize("action", ["secret", "rotate-secret"])
def test_secret_responses_are_never_cached_even_when_replayed(api_client, workspace, action):
    endpoint = endpoint_create(
        workspace=workspace, url="https://93.184.215.14/hooks", event_types=["ticket.created"]
    )
    url = f"/api/v1/webhook-endpoints/{endpoint.pk}/{action}"

    first = api_client.post(url, HTTP_IDEMPOTENCY_KEY="k1")
    replay = api_client.post(url, HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == replay.status_code == 200
    assert first["Cache-Control"] == "no-store"
    assert replay["Cache-Control"] == "no-store"
    assert replay["Idempotent-Replayed"] == "true"
