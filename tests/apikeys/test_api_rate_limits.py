import datetime as dt
import threading
import time

import http_sf
import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from apikeys import tokens
from apikeys.services import api_key_revoke, api_key_update
from omniflow.ratelimits import window_start
from tests.apikeys.urls import PROBE_PATH
from tests.factories import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.urls")]


def _client(plaintext: str | None = None, ip: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    if plaintext is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def _freeze_at_window_start(time_machine, *, value: str, period: int) -> None:
    """Stop the clock just after a window of `value`'s counter opens.

    Windows are fixed but shifted per counted value; starting at a window's opening keeps a
    test's time travel inside the windows it reasons about.
    """
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    opened = window_start(value=value, period=period, now=time.time()) + period
    time_machine.move_to(dt.datetime.fromtimestamp(opened + 0.25, dt.UTC), tick=False)


def _limits(response) -> dict[str, dict]:
    """Return each policy of the RateLimit fields, parsed as structured fields: {name: q, w, r, t}.

    Every item must be a String with the parameters the draft requires (`q` in RateLimit-Policy,
    `r` in RateLimit), and both fields must name the same policies in the same order.
    """
    policies = http_sf.parse(response["RateLimit-Policy"].encode(), tltype="list")
    limits = http_sf.parse(response["RateLimit"].encode(), tltype="list")
    assert [name for name, _ in policies] == [name for name, _ in limits]
    merged = {}
    for (name, policy), (_, limit) in zip(policies, limits, strict=True):
        assert isinstance(name, str)
        assert set(policy) == {"q", "w"} and set(limit) == {"r", "t"}
        merged[name] = {**policy, **limit}
    return merged


def _only(response) -> dict:
    """Return the one policy of a response that has a single one."""
    (limit,) = _limits(response).values()
    return limit


def _send(client: APIClient, count: int) -> list[int]:
    return [client.get(PROBE_PATH).status_code for _ in range(count)]


def _assert_429(response) -> int:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "rate_limited"
    retry_after = int(response["Retry-After"])
    exhausted = [limit for limit in _limits(response).values() if limit["r"] == 0]
    assert exhausted and retry_after == max(limit["t"] for limit in exhausted)
    return retry_after


def _assert_retry_after_is_exact(time_machine, client: APIClient, retry_after: int) -> None:
    """One second early is still refused; at Retry-After the key is served again."""
    time_machine.shift(retry_after - 1)
    assert client.get(PROBE_PATH).status_code == 429
    time_machine.shift(1)
    assert client.get(PROBE_PATH).status_code == 200


def test_default_tier_allows_60_a_minute_then_429_with_exact_retry_after(workspace, time_machine):
    api_key, plaintext = make_api_key(workspace)
    client = _client(plaintext)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 17, 400000, tzinfo=dt.UTC), tick=False)

    assert _send(client, 60) == [200] * 60
    refused = client.get(PROBE_PATH)

    retry_after = _assert_429(refused)
    assert 1 <= retry_after <= 60
    assert refused["RateLimit-Policy"] == '"default";q=60;w=60'
    assert refused["RateLimit"] == f'"default";r=0;t={retry_after}'
    _assert_retry_after_is_exact(time_machine, client, retry_after)


def test_burstable_tier_allows_120_a_minute_and_1000_an_hour(workspace, time_machine):
    api_key, plaintext = make_api_key(workspace, tier="burstable")
    client = _client(plaintext)
    _freeze_at_window_start(time_machine, value=str(api_key.pk), period=3600)

    # The minute limit: 120, then 429 until the minute window resets.
    assert _send(client, 120) == [200] * 120
    minute_retry_after = _assert_429(client.get(PROBE_PATH))
    assert minute_retry_after <= 60
    time_machine.shift(minute_retry_after)
    counted_this_hour = 120  # the refused one counts in no window

    # The hour limit: fill it up minute by minute, never over the minute limit.
    while counted_this_hour < 1000:
        batch = min(120, 1000 - counted_this_hour)
        responses = [client.get(PROBE_PATH) for _ in range(batch)]
        assert [response.status_code for response in responses] == [200] * batch
        counted_this_hour += batch
        if counted_this_hour < 1000:  # the minute is used up: its reset is the one reported
            time_machine.shift(_limits(responses[-1])["burstable-minute"]["t"])
    refused = client.get(PROBE_PATH)

    hour_retry_after = _assert_429(refused)
    assert refused["RateLimit-Policy"] == (
        '"burstable-minute";q=120;w=60, "burstable-hour";q=1000;w=3600'
    )
    assert _limits(refused)["burstable-hour"]["r"] == 0
    assert 60 < hour_retry_after <= 3600
    _assert_retry_after_is_exact(time_machine, client, hour_retry_after)


def test_custom_limit_is_exact(workspace, time_machine):
    _, plaintext = make_api_key(workspace, tier="custom", custom_rate="5/m")
    client = _client(plaintext)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 42, tzinfo=dt.UTC), tick=False)

    assert _send(client, 6) == [200] * 5 + [429]
    retry_after = _assert_429(client.get(PROBE_PATH))
    _assert_retry_after_is_exact(time_machine, client, retry_after)


def test_custom_limits_all_apply_and_retry_after_follows_the_blocking_one(workspace, time_machine):
    api_key, plaintext = make_api_key(workspace, tier="custom", custom_rate="3/m,5/h")
    client = _client(plaintext)
    _freeze_at_window_start(time_machine, value=str(api_key.pk), period=3600)

    assert _send(client, 3) == [200] * 3
    minute_retry_after = _assert_429(client.get(PROBE_PATH))  # 3 counted this hour
    assert minute_retry_after <= 60
    time_machine.shift(minute_retry_after)
    assert _send(client, 2) == [200, 200]  # 4th and 5th this hour: the hour is used up
    refused = client.get(PROBE_PATH)

    hour_retry_after = _assert_429(refused)
    assert _limits(refused)["custom-hour"] == {"q": 5, "w": 3600, "r": 0, "t": hour_retry_after}
    assert hour_retry_after > 60
    _assert_retry_after_is_exact(time_machine, client, hour_retry_after)


def test_two_keys_do_not_share_a_counter(workspace, time_machine):
    _, first = make_api_key(workspace, tier="custom", custom_rate="2/m")
    _, second = make_api_key(workspace, tier="custom", custom_rate="2/m")
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False)

    assert _send(_client(first), 3) == [200, 200, 429]
    response = _client(second).get(PROBE_PATH)

    assert response.status_code == 200
    assert _only(response)["r"] == 1


def test_counting_is_exact_under_concurrent_requests(workspace, time_machine):
    _, plaintext = make_api_key(workspace, tier="custom", custom_rate="41/m")
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False)
    # The first request caches the key's row: the threads below need Redis only.
    assert _client(plaintext).get(PROBE_PATH).status_code == 200
    statuses: list[int] = []
    lock = threading.Lock()

    def hammer():
        client = _client(plaintext)
        for _ in range(10):
            status = client.get(PROBE_PATH).status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses.count(200) == 40
    assert statuses.count(429) == 40


def test_every_response_reports_the_allowance(workspace, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False)
    _, plaintext = make_api_key(workspace, scopes=["tickets:read"])
    client = _client(plaintext)

    ok = client.get(PROBE_PATH)
    forbidden = client.post(PROBE_PATH, {}, format="json")  # lacks tickets:write
    unauthenticated = _client().get(PROBE_PATH)

    assert ok.status_code == 200
    assert _limits(ok).keys() == {"default"}
    assert (_only(ok)["q"], _only(ok)["w"], _only(ok)["r"]) == (60, 60, 59)
    assert 1 <= _only(ok)["t"] <= 60
    # Refused for scope, still counted against the key.
    assert forbidden.status_code == 403
    assert _only(forbidden)["r"] == 58
    # Without a key, the allowance is the client IP's.
    assert unauthenticated.status_code == 401
    assert _limits(unauthenticated).keys() == {"unauthenticated"}
    assert (_only(unauthenticated)["q"], _only(unauthenticated)["r"]) == (30, 29)


def test_settings_pages_carry_no_rate_limit_headers(admin_client):
    response = admin_client.get("/settings/")

    assert response.status_code == 200
    assert "RateLimit" not in response
    assert "RateLimit-Policy" not in response


@override_settings(OMNIFLOW_API_UNAUTHENTICATED_RATE="3/m")
def test_requests_without_a_valid_key_are_limited_per_ip(workspace, time_machine):
    _, valid = make_api_key(workspace)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False)
    guesser = _client(tokens.generate_key(), ip="203.0.113.7")

    statuses = _send(guesser, 2) + [_client(ip="203.0.113.7").get(PROBE_PATH).status_code]
    refused = _client(tokens.generate_key(), ip="203.0.113.7").get(PROBE_PATH)

    assert statuses == [401, 401, 401]
    retry_after = _assert_429(refused)
    assert "without a valid API key" in refused.json()["detail"]
    # A valid key from that address is still served: it may be a whole office behind a NAT.
    assert _client(valid, ip="203.0.113.7").get(PROBE_PATH).status_code == 200
    # Other addresses are not affected.
    assert _client(tokens.generate_key(), ip="198.51.100.1").get(PROBE_PATH).status_code == 401
    assert _client(valid, ip="198.51.100.1").get(PROBE_PATH).status_code == 200

    time_machine.shift(retry_after)
    assert _client(valid, ip="203.0.113.7").get(PROBE_PATH).status_code == 200


@override_settings(OMNIFLOW_API_UNAUTHENTICATED_RATE="2/m")
def test_revoked_keys_count_as_failures_per_ip(workspace, time_machine):
    api_key, plaintext = make_api_key(workspace)
    api_key_revoke(api_key=api_key, actor=None)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False)

    assert _send(_client(plaintext), 3) == [401, 401, 429]


@override_settings(OMNIFLOW_API_UNAUTHENTICATED_RATE="2/m")
def test_views_that_need_no_key_are_not_counted_per_ip(db, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False)

    schema_statuses = [_client().get("/api/v1/schema").status_code for _ in range(3)]

    assert schema_statuses == [200, 200, 200]
    assert _send(_client(), 3) == [401, 401, 429]


def test_limit_change_is_effective_on_the_next_request(
    workspace, time_machine, django_capture_on_commit_callbacks
):
    api_key, plaintext = make_api_key(workspace, tier="custom", custom_rate="5/m")
    client = _client(plaintext)
    _freeze_at_window_start(time_machine, value=str(api_key.pk), period=60)
    assert _send(client, 5) == [200] * 5  # the key is now known to this process
    _assert_429(client.get(PROBE_PATH))

    with django_capture_on_commit_callbacks(execute=True):
        api_key_update(
            api_key=api_key,
            name="raised",
            scopes=api_key.scopes,
            tier="custom",
            custom_rate="50/m",
            actor=None,
        )
    response = client.get(PROBE_PATH)

    assert response.status_code == 200
    assert _only(response)["q"] == 50


def test_a_known_keys_request_costs_one_redis_command_and_no_query(
    workspace, django_assert_num_queries
):
    api_key, plaintext = make_api_key(workspace, tier="burstable")
    client = _client(plaintext)
    assert _send(client, 2) == [200, 200]  # looked up, last use recorded
    redis_client = cache._cache.get_client()

    before = redis_client.info("commandstats")
    with django_assert_num_queries(0):
        response = client.get(PROBE_PATH)
    after = redis_client.info("commandstats")

    assert response.status_code == 200
    calls = {
        name: stats["calls"] - before.get(name, {"calls": 0})["calls"]
        for name, stats in after.items()
    }
    # One round trip: EVALSHA, whose script reads the key's generation and both windows, then
    # counts both windows and the day's requests of the key's usage page (Redis counts a
    # script's own commands too). INFO itself is counted once, by the second call.
    assert {name: count for name, count in calls.items() if count and name != "cmdstat_info"} == {
        "cmdstat_evalsha": 1,
        "cmdstat_get": 3,
        "cmdstat_incr": 3,
    }


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_limits_hold_on_the_embedded_defaults_local_memory_cache(workspace, time_machine):
    api_key, plaintext = make_api_key(workspace, tier="custom", custom_rate="3/m")
    client = _client(plaintext)
    _freeze_at_window_start(time_machine, value=str(api_key.pk), period=60)

    assert _send(client, 3) == [200] * 3
    retry_after = _assert_429(client.get(PROBE_PATH))
    _assert_retry_after_is_exact(time_machine, client, retry_after)


def test_refused_requests_do_not_use_up_the_longer_window(workspace, time_machine):
    # With 5/m,8/h: five requests, then retries while the minute is used up. Counting the
    # retries in the hour (as before) locked the key out for the rest of the hour.
    api_key, plaintext = make_api_key(workspace, tier="custom", custom_rate="5/m,8/h")
    client = _client(plaintext)
    _freeze_at_window_start(time_machine, value=str(api_key.pk), period=3600)

    assert _send(client, 5) == [200] * 5
    assert _send(client, 10) == [429] * 10
    retry_after = int(client.get(PROBE_PATH)["Retry-After"])
    assert retry_after <= 60
    time_machine.shift(retry_after)
    served = [client.get(PROBE_PATH) for _ in range(3)]

    assert [response.status_code for response in served] == [200] * 3
    assert _limits(served[-1])["custom-hour"]["r"] == 0
    assert _limits(client.get(PROBE_PATH))["custom-hour"]["r"] == 0  # the 9th: refused


def test_a_key_limited_to_10_per_15_minutes_is_counted_in_15_minute_windows(
    workspace, time_machine
):
    # `10/15m`, the form the log-in settings use, was refused for keys.
    api_key, plaintext = make_api_key(workspace, tier="custom", custom_rate="10/15m")
    client = _client(plaintext)
    _freeze_at_window_start(time_machine, value=str(api_key.pk), period=900)

    assert _send(client, 10) == [200] * 10
    refused = client.get(PROBE_PATH)

    retry_after = _assert_429(refused)
    assert refused["RateLimit-Policy"] == '"custom";q=10;w=900'
    assert 840 < retry_after <= 900
    assert api_key.limits_label == "10/15 minutes"
    _assert_retry_after_is_exact(time_machine, client, retry_after)
