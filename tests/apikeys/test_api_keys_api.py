"""/api/v1/api-keys: what Settings → API Keys does, never granting more than the caller holds."""

import pytest
from rest_framework.test import APIClient

from apikeys.models import ApiKey, ApiKeyAuditEntry
from tests.apikeys.urls import PROBE_PATH
from tests.factories import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.urls")]

LIST = "/api/v1/api-keys"
MANAGER_SCOPES = ["api_keys:write", "tickets:write", "contacts:read"]


def _client(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def manager(workspace):
    """A client whose key may manage keys and holds tickets:write and contacts:read."""
    api_key, plaintext = make_api_key(workspace, name="Manager", scopes=MANAGER_SCOPES)
    return _client(plaintext)


def test_create_list_update_and_revoke_a_key(
    manager, workspace, django_capture_on_commit_callbacks
):
    created = manager.post(
        LIST,
        {"name": "Zapier", "scopes": ["tickets:read"], "tier": "custom", "custom_rate": "5/m"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["key"].startswith(body["prefix"]) and body["scopes"] == ["tickets:read"]
    assert body["limits"] == "5/minute" and body["status"] == "active"
    assert _client(body["key"]).get(PROBE_PATH).status_code == 200

    listed = manager.get(LIST).json()["results"]
    assert {row["name"] for row in listed} == {"Manager", "Zapier"}
    assert all("key" not in row for row in listed)

    with django_capture_on_commit_callbacks(execute=True):
        updated = manager.patch(
            f"{LIST}/{body['id']}",
            {
                "name": "Zapier 2",
                "expires_at": "2099-01-01T00:00:00Z",
                "tier": "default",
                "custom_rate": "",
            },
            format="json",
        )
    assert updated.status_code == 200, updated.json()
    assert (updated.json()["name"], updated.json()["tier"]) == ("Zapier 2", "default")
    assert updated.json()["expires_at"].startswith("2099-01-01")

    with django_capture_on_commit_callbacks(execute=True):
        revoked = manager.post(f"{LIST}/{body['id']}/revoke")
    assert revoked.json()["status"] == "revoked"
    assert _client(body["key"]).get(PROBE_PATH).status_code == 401
    audit = manager.get(f"{LIST}/{body['id']}/audit").json()["results"]
    assert [entry["action"] for entry in audit] == ["revoked", "updated", "created"]


def test_roll_returns_a_new_key_and_keeps_the_old_one_for_the_grace_period(manager, workspace):
    target, old_plaintext = make_api_key(workspace, scopes=["tickets:read"])

    rolled = manager.post(f"{LIST}/{target.pk}/roll", {"grace_seconds": 3600}, format="json")

    assert rolled.status_code == 201, rolled.json()
    assert rolled.json()["rolled_from"] == target.pk
    assert _client(rolled.json()["key"]).get(PROBE_PATH).status_code == 200
    assert _client(old_plaintext).get(PROBE_PATH).status_code == 200
    target.refresh_from_db()
    assert target.expires_at is not None
    assert ApiKeyAuditEntry.objects.filter(api_key=target, action="rolled").exists()
    usage = manager.get(f"{LIST}/{target.pk}/usage").json()
    assert len(usage) == 7 and usage[0]["requests"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Wider", "scopes": ["tickets:write", "webhooks:read"]},
        {"name": "Write", "scopes": ["contacts:write"]},
    ],
)
def test_a_key_cannot_create_a_key_with_more_than_it_holds(manager, body):
    response = manager.post(LIST, body, format="json")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert "scopes" in response.json()["errors"]
    assert ApiKey.objects.count() == 1


def test_a_key_cannot_widen_or_roll_a_key_beyond_its_own_scopes(manager, workspace):
    full, _ = make_api_key(workspace, name="Full")
    narrow, _ = make_api_key(workspace, name="Narrow", scopes=["tickets:read"])

    widen = manager.patch(f"{LIST}/{narrow.pk}", {"scopes": ["inbound:write"]}, format="json")
    roll_full = manager.post(f"{LIST}/{full.pk}/roll", {"grace_seconds": 0}, format="json")
    change_full = manager.patch(f"{LIST}/{full.pk}", {"name": "Mine"}, format="json")

    # Acting on a key beyond its own scopes is not allowed at all (403), widening is bad input.
    assert (widen.status_code, roll_full.status_code, change_full.status_code) == (400, 403, 403)
    narrow.refresh_from_db()
    full.refresh_from_db()
    assert narrow.scopes == ["tickets:read"] and full.name == "Full" and full.is_active
    assert ApiKey.objects.count() == 3


def test_empty_scopes_and_custom_limits_with_another_tier_are_refused(manager):
    empty = manager.post(LIST, {"name": "None", "scopes": []}, format="json")
    dropped = manager.post(
        LIST,
        {"name": "Fast", "scopes": ["tickets:read"], "tier": "burstable", "custom_rate": "9/s"},
        format="json",
    )

    assert empty.status_code == 400 and "scopes" in empty.json()["errors"]
    # Limits for another tier: a rule across fields no schema states.
    assert dropped.status_code == 422 and "custom_rate" in dropped.json()["errors"]


def test_the_api_keys_scope_is_needed_and_read_only_cannot_write(workspace):
    _, tickets_only = make_api_key(workspace, scopes=["tickets:write"])
    _, reader = make_api_key(workspace, scopes=["api_keys:read", "tickets:read"])

    assert _client(tickets_only).get(LIST).status_code == 403
    assert _client(reader).get(LIST).status_code == 200
    refused = _client(reader).post(LIST, {"name": "x", "scopes": ["tickets:read"]}, format="json")
    assert refused.status_code == 403


def test_another_workspaces_key_is_404(manager, other_workspace):
    foreign, _ = make_api_key(other_workspace, scopes=["tickets:read"])

    for response in (
        manager.get(f"{LIST}/{foreign.pk}"),
        manager.post(f"{LIST}/{foreign.pk}/revoke"),
        manager.get(f"{LIST}/{foreign.pk}/audit"),
    ):
        assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active


def test_a_key_limited_to_10_per_15_minutes_can_be_created(manager):
    # The log-in settings' form of rate, refused for keys until the grammars were one.
    created = manager.post(
        LIST,
        {"name": "Slow", "scopes": ["tickets:read"], "tier": "custom", "custom_rate": "10/15m"},
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert created.json()["custom_rate"] == "10/15m"
    assert created.json()["limits"] == "10/15 minutes"
