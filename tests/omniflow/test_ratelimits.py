"""omniflow.ratelimits: the one grammar of rates, counting, Retry-After and the header fields."""

import datetime as dt

import http_sf
import pytest
from django.core import checks
from django.test import override_settings

from omniflow.ratelimits import InvalidRate, Rate, count, describe, parse_rates

LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60/m", ("60/m",)),
        ("10/15m", ("10/15m",)),
        ("300/m,5000/h", ("300/m", "5000/h")),
        ("5000/h, 300/m", ("300/m", "5000/h")),
        ("5 / minute", ("5/m",)),
        ("100/30sec, 2/day", ("100/30s", "2/d")),
        ("7/2Hours", ("7/2h",)),
    ],
)
def test_every_form_the_project_takes_parses_to_one_canonical_rate(text, expected):
    assert tuple(str(rate) for rate in parse_rates(text)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one rate"),
        ("lots", "is not a rate"),
        ("10/15x", "is not a rate"),
        ("0/m", "is not a rate"),
        ("10/0m", "is not a rate"),
        ("10/000m", "is not a rate"),
        ("-1/m", "is not a rate"),
        ("5/m,300/60s", "each period at most once"),
    ],
)
def test_anything_else_is_refused_with_a_readable_message(text, message):
    with pytest.raises(InvalidRate, match=message):
        parse_rates(text)


def test_periods_and_descriptions():
    rates = parse_rates("10/15m,1000/d")

    assert [rate.period_seconds for rate in rates] == [900, 86400]
    assert describe(rates) == "10/15 minutes, 1000/day"


@override_settings(CACHES=LOCAL_MEMORY)
def test_a_refused_request_counts_in_no_window_and_retry_after_is_never_early(time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 17, 600000, tzinfo=dt.UTC), tick=False)
    rates = parse_rates("2/m,3/h")

    served = [count(group="t", value="v", rates=rates).admitted for _ in range(2)]
    refused = [count(group="t", value="v", rates=rates) for _ in range(5)]
    time_machine.shift(refused[-1].retry_after - 1)
    early = count(group="t", value="v", rates=rates)
    time_machine.shift(1)
    on_time = count(group="t", value="v", rates=rates)

    assert served == [True, True]
    assert not any(usage.admitted for usage in refused)
    assert [window.count for window in refused[-1].windows] == [2, 2]  # nothing counted
    assert not early.admitted
    assert on_time.admitted
    assert [window.remaining for window in on_time.windows] == [1, 0]


@override_settings(CACHES=LOCAL_MEMORY)
def test_a_peek_counts_nothing():
    rates = (Rate(1, 1, "m"),)

    peeked = [count(group="p", value="v", rates=rates, increment=False) for _ in range(3)]

    assert all(usage.admitted for usage in peeked)
    assert count(group="p", value="v", rates=rates).admitted


@override_settings(CACHES=LOCAL_MEMORY)
def test_the_headers_are_structured_fields_of_the_current_draft():
    usage = count(group="h", value="v", rates=parse_rates("120/m,1000/h"), policy='odd "name"')

    headers = usage.headers()

    policies = http_sf.parse(headers["RateLimit-Policy"].encode(), tltype="list")
    limits = http_sf.parse(headers["RateLimit"].encode(), tltype="list")
    assert [name for name, _ in policies] == ['odd "name"-minute', 'odd "name"-hour']
    assert [params for _, params in policies] == [{"q": 120, "w": 60}, {"q": 1000, "w": 3600}]
    assert [params["r"] for _, params in limits] == [119, 999]
    assert all(
        1 <= params["t"] <= window for (_, params), window in zip(limits, (60, 3600), strict=True)
    )


@override_settings(OMNIFLOW_LOGIN_IP_RATE="lots", OMNIFLOW_INBOUND_RATE="10/15m")
def test_a_rate_setting_that_does_not_parse_fails_the_system_check():
    errors = [error for error in checks.run_checks() if error.id == "omniflow.E101"]

    assert [error.msg.split(":")[0] for error in errors] == ["OMNIFLOW_LOGIN_IP_RATE"]
