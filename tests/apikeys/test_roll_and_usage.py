"""Rolling a key (a new secret, the old one valid for a grace period) and each key's page."""

import datetime as dt
import re

import pytest
from rest_framework.test import APIClient

from apikeys.models import ApiKey, ApiKeyAuditEntry
from tests.apikeys.urls import PROBE_PATH
from tests.factories import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.urls")]

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def _status(plaintext: str, ip: str = "127.0.0.1") -> int:
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client.get(PROBE_PATH).status_code


def test_roll_gives_a_new_secret_and_the_old_one_works_until_the_grace_period_ends(
    admin_client, workspace, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(NOW, tick=False)
    old_key, old_plaintext = make_api_key(
        workspace, name="CRM", scopes=["tickets:read"], tier="burstable"
    )
    assert _status(old_plaintext) == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/settings/api-keys/{old_key.pk}/roll/", {"grace": "24h"}, follow=True
        )

    new_key = ApiKey.objects.get(rolled_from=old_key)
    assert response.redirect_chain[-1][0] == f"/settings/api-keys/{new_key.pk}/created/"
    page = response.content.decode()
    new_plaintext = re.search(r'id="api-key-plaintext">([^<]+)<', page).group(1)
    assert "keeps working until 2026-12-03 09:00:00 UTC" in page
    assert (new_key.name, new_key.scopes, new_key.tier) == ("CRM", ["tickets:read"], "burstable")
    assert _status(new_plaintext) == 200
    assert _status(old_plaintext) == 200  # still inside the grace period

    time_machine.move_to(NOW + dt.timedelta(hours=24, seconds=1), tick=False)
    assert _status(old_plaintext) == 401
    assert _status(new_plaintext) == 200
    rolled = ApiKeyAuditEntry.objects.get(api_key=old_key, action="rolled")
    assert rolled.details["new_prefix"] == new_key.prefix
    assert rolled.actor is not None


def test_roll_with_no_grace_stops_the_old_key_at_once(
    admin_client, workspace, django_capture_on_commit_callbacks
):
    old_key, old_plaintext = make_api_key(workspace, scopes=["tickets:read"])
    assert _status(old_plaintext) == 200

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/settings/api-keys/{old_key.pk}/roll/", {"grace": "now"})

    assert _status(old_plaintext) == 401


def test_a_revoked_key_cannot_be_rolled(admin_client, workspace):
    api_key, _ = make_api_key(workspace, scopes=["tickets:read"])
    admin_client.post(f"/settings/api-keys/{api_key.pk}/revoke/")

    response = admin_client.post(f"/settings/api-keys/{api_key.pk}/roll/", {"grace": "1h"})

    assert response.status_code == 200
    assert "only an active key can be rolled" in response.content.decode()
    assert ApiKey.objects.count() == 1


def test_key_page_shows_requests_and_429s_per_day_last_use_ip_and_audit(
    admin_client, workspace, time_machine
):
    time_machine.move_to(NOW, tick=False)
    api_key, plaintext = make_api_key(
        workspace, name="ETL", scopes=["tickets:read"], tier="custom", custom_rate="2/m"
    )
    yesterday = [_status(plaintext, ip="203.0.113.7") for _ in range(3)]
    time_machine.move_to(NOW + dt.timedelta(days=1), tick=False)
    today = [_status(plaintext, ip="198.51.100.4") for _ in range(2)]
    assert (yesterday, today) == ([200, 200, 429], [200, 200])

    page = admin_client.get(f"/settings/api-keys/{api_key.pk}/").content.decode()

    rows = dict(
        (day, (int(requests), int(refused)))
        for day, requests, refused in re.findall(
            r'data-day="([\d-]+)">.*?class="requests">(\d+)<.*?class="refused">(\d+)<', page, re.S
        )
    )
    assert rows["2026-12-03"] == (2, 0)
    assert rows["2026-12-02"] == (3, 1)
    assert len(rows) == 7
    # Last use is recorded at most once a minute per key (of real time), so the first request's.
    assert "<code>203.0.113.7</code>" in page
    assert 'title="2026-12-02 09:00:00 UTC"' in page
    assert "Created" in page and "Audit log" in page
