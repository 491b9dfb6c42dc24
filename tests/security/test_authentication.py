"""Authentication and roles: log-in brute force is throttled and audited, a bad client behind
a NAT does not lock out valid keys, and trigger URLs (credentials) are for admins only."""

import datetime as dt

import pytest
from django.test import Client, override_settings
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.models import LoginEvent
from apikeys import tokens
from tests.factories import TEST_PASSWORD, MembershipFactory, make_api_key
from tests.support.inbound_triggers import event_trigger

pytestmark = pytest.mark.django_db


def _log_in(username: str, password: str, ip: str = "203.0.113.9", **extra):
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="pytest-browser").post(
        "/login/", {"username": username, "password": password}, **extra
    )


@pytest.fixture
def user(db):
    return MembershipFactory(role="admin").user


@override_settings(OMNIFLOW_LOGIN_ACCOUNT_RATE="5/15m", OMNIFLOW_LOGIN_IP_RATE="100/15m")
def test_an_account_is_throttled_after_too_many_wrong_passwords(user, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False)

    wrong = [_log_in(user.username, "guess").status_code for _ in range(5)]
    # The right password too: otherwise a guesser would learn it the moment it is right.
    right = _log_in(user.username, TEST_PASSWORD)
    other_address = _log_in(user.username, TEST_PASSWORD, ip="198.51.100.3")

    assert wrong == [200] * 5
    assert right.status_code == 429
    assert "Too many failed log-ins" in right.content.decode()
    assert int(right["Retry-After"]) > 0
    assert other_address.status_code == 429, "counted per account, whatever the address"
    assert "_auth_user_id" not in right.client.session

    time_machine.shift(dt.timedelta(minutes=16))
    assert _log_in(user.username, TEST_PASSWORD).status_code == 302


@override_settings(OMNIFLOW_LOGIN_ACCOUNT_RATE="100/15m", OMNIFLOW_LOGIN_IP_RATE="5/15m")
def test_an_address_is_throttled_after_too_many_failures_on_any_accounts(user, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False)

    for number in range(5):
        _log_in(f"someone-{number}@example.com", "guess")

    assert _log_in(user.username, TEST_PASSWORD).status_code == 429
    assert _log_in(user.username, TEST_PASSWORD, ip="198.51.100.3").status_code == 302


def test_the_defaults_stop_sixty_guesses_in_a_row(user):
    statuses = [_log_in(user.username, f"guess-{number}").status_code for number in range(60)]

    assert 429 in statuses
    assert _log_in(user.username, TEST_PASSWORD).status_code == 429


@override_settings(OMNIFLOW_LOGIN_ACCOUNT_RATE="3/15m", OMNIFLOW_LOGIN_IP_RATE="3/15m")
def test_successful_logins_do_not_count(user):
    for _ in range(5):
        assert _log_in(user.username, TEST_PASSWORD).status_code == 302


def test_every_login_attempt_is_audited(user):
    _log_in(user.username, "guess")
    _log_in(user.username, TEST_PASSWORD)
    _log_in("nobody@example.com", "guess\x00")

    events = list(LoginEvent.objects.order_by("id"))
    assert [(event.username, event.outcome) for event in events] == [
        (user.username, LoginEvent.Outcome.FAILED),
        (user.username, LoginEvent.Outcome.SUCCEEDED),
        ("nobody@example.com", LoginEvent.Outcome.FAILED),
    ]
    assert events[1].user == user
    assert events[0].ip == "203.0.113.9"
    assert events[0].user_agent == "pytest-browser"


@override_settings(OMNIFLOW_LOGIN_ACCOUNT_RATE="2/15m")
def test_throttled_attempts_are_audited_and_visible_to_superusers(user, admin_client):
    for _ in range(3):
        _log_in(user.username, "guess")
    from django.contrib.auth import get_user_model

    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-1")
    admin_client.force_login(superuser)

    page = admin_client.get("/admin/accounts/loginevent/")

    assert LoginEvent.objects.filter(outcome=LoginEvent.Outcome.THROTTLED).count() == 1
    assert page.status_code == 200
    assert user.username in page.content.decode()


@override_settings(OMNIFLOW_API_UNAUTHENTICATED_RATE="3/m")
def test_a_guessing_client_behind_a_nat_does_not_lock_out_valid_keys(workspace, time_machine):
    _, valid = make_api_key(workspace)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False)
    office = "203.0.113.7"

    def get(plaintext):
        client = APIClient(REMOTE_ADDR=office)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        return client.get("/api/v1/tickets").status_code

    guesses = [get(tokens.generate_key()) for _ in range(5)]

    assert guesses == [401, 401, 401, 429, 429]
    assert get(valid) == 200
    assert get(tokens.generate_key()) == 429, "the guesser stays throttled"


@pytest.fixture
def trigger(workspace):
    return event_trigger(workspace)


def test_support_users_do_not_see_a_trigger_url(support_client, trigger):
    page = support_client.get(trigger.get_absolute_url()).content.decode()

    assert trigger.receive_path not in page
    assert "Only workspace admins can see this URL" in page


def test_admins_see_the_trigger_url(admin_client, trigger):
    assert trigger.receive_path in admin_client.get(trigger.get_absolute_url()).content.decode()


@pytest.mark.parametrize(("scopes", "sees_url"), [(["inbound:read"], False), (None, True)])
def test_only_inbound_write_keys_read_trigger_urls(workspace, trigger, scopes, sees_url):
    _, plaintext = make_api_key(workspace, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")

    listed = client.get("/api/v1/inbound-triggers").json()["results"][0]
    shown = client.get(f"/api/v1/inbound-triggers/{trigger.pk}").json()

    assert (trigger.receive_path in str(listed)) is sees_url
    assert (trigger.receive_path in str(shown)) is sees_url
    if not sees_url:
        assert shown["url"] is None


def _table_text(table: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(string_agg(row_to_json(t)::text, ' '), '') FROM {table} t")
        return cursor.fetchone()[0]


def test_no_key_or_secret_is_stored_in_clear(workspace, api_key):
    from webhooks.models import WebhookEndpoint
    from webhooks.services import endpoint_create

    endpoint = endpoint_create(
        workspace=workspace,
        url="https://93.184.215.14/hooks",
        event_types=["ticket.created"],
        secret="whsec-clear-text-must-not-be-stored",
    )
    event_trigger(workspace, secret="inbound-clear-text-must-not-be-stored")
    key_secret = api_key[1].removeprefix(api_key[0].prefix)

    assert key_secret not in _table_text("apikeys_apikey")
    assert "whsec-clear-text" not in _table_text(WebhookEndpoint._meta.db_table)
    assert "inbound-clear-text" not in _table_text("inbound_inboundtrigger")
    assert endpoint.pk


@pytest.mark.browser
def test_the_login_page_says_why_it_refuses_in_a_browser(page, settings):
    settings.OMNIFLOW_LOGIN_ACCOUNT_RATE = "2/15m"
    membership = MembershipFactory(role="support")
    page.goto("/login/")
    for password in ("guess-1", "guess-2", TEST_PASSWORD):
        page.fill("#id_username", membership.user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.get_by_role("alert").first.wait_for()

    expect(page.get_by_role("alert").first).to_contain_text("Too many failed log-ins")
    assert page.url.endswith("/login/")
