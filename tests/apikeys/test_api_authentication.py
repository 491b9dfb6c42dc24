import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import selectors, tokens
from apikeys.models import ApiKey
from apikeys.services import api_key_revoke, api_key_update
from tests.apikeys.urls import PROBE_PATH
from tests.factories import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.urls")]


def _client(authorization: str | None = None) -> APIClient:
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def _assert_401(response, type_: str) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["type"] == type_
    assert body["status"] == 401


def test_valid_key_is_accepted(api_client, api_key, workspace):
    response = api_client.get(PROBE_PATH)

    assert response.status_code == 200
    assert response.json() == {"workspace": workspace.slug, "key": api_key[0].prefix}


def test_no_authorization_header_is_401_authentication_required():
    _assert_401(_client().get(PROBE_PATH), "authentication_required")


@pytest.mark.parametrize(
    "authorization, detail",
    [
        ("Basic dXNlcjpwYXNz", "Bearer scheme"),
        ("Token omf_live_abc", "Bearer scheme"),
        ("Bearer", "Malformed"),
        ("Bearer omf_live_abc def", "Malformed"),
        ("Bearer omf_live_tooShort", "Invalid API key"),
        ("Bearer sk_live_" + "a" * 38, "Invalid API key"),
    ],
)
def test_other_schemes_and_malformed_keys_are_401(authorization, detail):
    response = _client(authorization).get(PROBE_PATH)

    _assert_401(response, "authentication_failed")
    assert detail in response.json()["detail"]


def test_key_with_a_wrong_checksum_is_401_without_a_query(workspace, django_assert_num_queries):
    _, plaintext = make_api_key(workspace)
    last = plaintext[-1]
    tampered = plaintext[:-1] + ("A" if last != "A" else "B")
    assert not tokens.is_well_formed(tampered)

    with django_assert_num_queries(0):
        response = _client(f"Bearer {tampered}").get(PROBE_PATH)

    _assert_401(response, "authentication_failed")


def test_unknown_well_formed_key_is_401(workspace):
    unknown = tokens.generate_key()

    response = _client(f"Bearer {unknown}").get(PROBE_PATH)

    _assert_401(response, "authentication_failed")
    assert response.json()["detail"] == "Invalid API key."


def test_key_with_a_known_prefix_but_wrong_secret_is_401(api_key):
    # Same display prefix (the lookup finds the row), different secret: the hash must not match.
    _, plaintext = api_key
    random_part = plaintext[len(tokens.KEY_PREFIX) : len(tokens.KEY_PREFIX) + tokens.RANDOM_LENGTH]
    forged_random = random_part[:-1] + ("x" if random_part[-1] != "x" else "y")
    forged = tokens.KEY_PREFIX + forged_random + tokens._checksum(forged_random)
    assert tokens.display_prefix(forged) == api_key[0].prefix

    response = _client(f"Bearer {forged}").get(PROBE_PATH)

    _assert_401(response, "authentication_failed")


def test_revoked_key_is_401(workspace, django_capture_on_commit_callbacks):
    api_key, plaintext = make_api_key(workspace)
    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(api_key=api_key, actor=None)

    response = _client(f"Bearer {plaintext}").get(PROBE_PATH)

    _assert_401(response, "authentication_failed")
    assert "revoked" in response.json()["detail"]


def test_expired_key_is_401(workspace, time_machine):
    api_key, plaintext = make_api_key(
        workspace, expires_at=timezone.now() + timezone.timedelta(hours=1)
    )
    client = _client(f"Bearer {plaintext}")
    assert client.get(PROBE_PATH).status_code == 200

    time_machine.move_to(timezone.now() + timezone.timedelta(hours=1, seconds=1))
    response = client.get(PROBE_PATH)

    _assert_401(response, "authentication_failed")
    assert "expired" in response.json()["detail"]


def test_lookup_is_cached_after_the_first_request(api_client, django_assert_num_queries):
    api_client.get(PROBE_PATH)  # reads the row and records last use

    with django_assert_num_queries(0):
        response = api_client.get(PROBE_PATH)

    assert response.status_code == 200


def test_revocation_is_effective_on_the_very_next_request(
    api_client, api_key, django_capture_on_commit_callbacks
):
    assert api_client.get(PROBE_PATH).status_code == 200  # the row is now cached

    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(api_key=api_key[0], actor=None)
    response = api_client.get(PROBE_PATH)

    _assert_401(response, "authentication_failed")


def test_scope_change_is_effective_on_the_next_request(
    api_client, api_key, django_capture_on_commit_callbacks
):
    assert api_client.get(PROBE_PATH).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        api_key_update(
            api_key=api_key[0], name="x", scopes=["contacts:read"], tier="default", actor=None
        )

    assert api_client.get(PROBE_PATH).status_code == 403


def test_last_used_is_recorded_at_most_once_a_minute(api_client, api_key):
    api_key_obj = api_key[0]
    assert api_key_obj.last_used_at is None

    api_client.get(PROBE_PATH)
    api_key_obj.refresh_from_db()
    first_use = api_key_obj.last_used_at
    api_client.get(PROBE_PATH)
    api_key_obj.refresh_from_db()

    assert first_use is not None
    assert api_key_obj.last_used_at == first_use


@pytest.mark.parametrize(
    "scopes, method, status",
    [
        (["tickets:read"], "get", 200),
        (["tickets:read"], "post", 403),
        (["tickets:write"], "get", 200),  # write implies read
        (["tickets:write"], "post", 201),
        (["contacts:write"], "get", 403),
        (["contacts:write"], "post", 403),
    ],
)
def test_scopes_decide_access(workspace, scopes, method, status):
    _, plaintext = make_api_key(workspace, scopes=scopes)

    response = getattr(_client(f"Bearer {plaintext}"), method)(PROBE_PATH, {}, format="json")

    assert response.status_code == status


@pytest.mark.parametrize(
    "scopes, method, needed",
    [
        (["tickets:read"], "post", "tickets:write"),
        (["contacts:write"], "get", "tickets:read"),
    ],
)
def test_403_names_the_scope_needed(workspace, scopes, method, needed):
    _, plaintext = make_api_key(workspace, scopes=scopes)

    response = getattr(_client(f"Bearer {plaintext}"), method)(PROBE_PATH, {}, format="json")

    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "permission_denied"
    assert f"'{needed}'" in body["detail"]


def test_a_key_remembered_before_redis_lost_its_data_is_read_afresh(api_client, api_key):
    key = api_key[0]
    generation_key = selectors.api_key_generation_cache_key(prefix=key.prefix)
    assert api_client.get(PROBE_PATH).status_code == 200  # this process now remembers the key
    remembered_at = cache.get(generation_key)

    # Given Redis lost its data (a restart) along with the bump of a change made meanwhile,
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    cache.clear()
    response = api_client.get(PROBE_PATH)

    # then the generation starts again elsewhere, so the remembered row is not trusted.
    _assert_401(response, "authentication_failed")
    assert cache.get(generation_key) not in (None, remembered_at)


def test_a_logged_in_browser_session_grants_nothing_on_the_api(admin_client):
    # The API skips the session middleware: a Settings session is not a credential there.
    response = admin_client.get("/api/v1/tickets")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "Set-Cookie" not in response
