"""Request limits of the API, counted by django-ratelimit in the shared (Redis) cache.

- A request with a valid key counts against every limit of the key (`ratelimits.rates_for`:
  default 60/m; burstable 120/m and 1000/h; custom as set). Every request counts, refused ones
  included, so a client that keeps hammering while blocked stays blocked.
- A request without a valid key (another scheme, malformed, unknown, revoked, expired; or no
  key at all to a view that needs one, so the API schema and docs are free) counts against its
  client IP (`settings.OMNIFLOW_API_UNAUTHENTICATED_RATE`, default 30/m). Once an IP has used
  that up, its requests without a valid key get 429 until the window resets; requests with a
  valid key from that IP are served as usual, so one bad client behind a NAT does not lock out
  a whole office (a key has 256 bits: the limit slows guessing, it is not what stops it).
- Counters are django-ratelimit's: atomic in Redis across processes and machines, in windows
  that are fixed and shifted per counted value (key id or IP), so two keys do not reset at the
  same instant. Client IPs are counted by its `get_usage` (SET NX then INCR per window). A key's
  request is counted in the very same counters (django-ratelimit's window and cache-key
  functions) by one Lua script, which also checks that the caller's copy of the key is current:
  one round trip per request instead of five (the lookup, then two per window), which is most
  of what authentication and limits cost a request.

Over a limit the API answers 429 with `Retry-After` (whole seconds until every exhausted window
has reset: each request counts against every window, so an exhausted one would refuse the next).

Every API response reports the allowance of the *tightest* limit (least remaining; of equals,
the one that resets last) in the IETF draft's three fields (draft-ietf-httpapi-ratelimit-headers;
chosen over `X-RateLimit-*`, whose `Reset` is an epoch time in some APIs and a delay in others):

    RateLimit-Limit: 120          requests allowed in that window
    RateLimit-Remaining: 37       requests left in it
    RateLimit-Reset: 21           seconds until it resets
    RateLimit-Policy: 120;w=60, 1000;w=3600   every limit that applies (w = window in seconds)

`RateLimitHeadersMiddleware` (apikeys.middleware) writes them from the usage stashed on the
Django request.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django_ratelimit.core import ALL as ALL_METHODS
from django_ratelimit.core import EXPIRATION_FUDGE, get_usage
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from omniflow.vendor_adapters.ratelimit import ratelimit_cache_key, ratelimit_window

from . import usage as daily_usage
from .models import ApiKey
from .ratelimits import Rate, parse_rates, rates_for
from .selectors import api_key_generation_cache_key

KEY_GROUP = "apikeys.key"
UNAUTHENTICATED_GROUP = "apikeys.unauthenticated"
# Attributes on the Django HttpRequest (DRF's `request._request`), read by the middleware.
USAGE_ATTRIBUTE = "omniflow_rate_usage"
_KEY_USAGE_ATTRIBUTE = "omniflow_key_rate_usage"


@dataclass(frozen=True)
class WindowUsage:
    """Where one counter stands after this request."""

    limit: int
    period_seconds: int
    count: int
    reset_seconds: int
    exceeded: bool

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)


@dataclass(frozen=True)
class RateUsage:
    """Where all the counters of one key (or client IP) stand after this request."""

    windows: tuple[WindowUsage, ...]

    @property
    def blocked(self) -> bool:
        return any(window.exceeded for window in self.windows)

    @property
    def retry_after(self) -> int:
        """Return whole seconds until every exhausted window has reset."""
        return max(
            (window.reset_seconds for window in self.windows if window.remaining == 0), default=0
        )

    @property
    def tightest(self) -> WindowUsage:
        return min(self.windows, key=lambda window: (window.remaining, -window.reset_seconds))

    def headers(self) -> dict[str, str]:
        """Return the RateLimit-* headers of the tightest limit."""
        tightest = self.tightest
        return {
            "RateLimit-Limit": str(tightest.limit),
            "RateLimit-Remaining": str(tightest.remaining),
            "RateLimit-Reset": str(tightest.reset_seconds),
            "RateLimit-Policy": ", ".join(
                f"{window.limit};w={window.period_seconds}" for window in self.windows
            ),
        }


def _reset_seconds(*, time_left: int) -> int:
    # django-ratelimit's `time_left` (window end minus now) is 0 in the window's last second:
    # the next window starts a second later.
    return max(time_left, 0) + 1


def _usage(
    request: HttpRequest, *, group: str, value: str, rates: Iterable[Rate]
) -> RateUsage | None:
    """Count the request against each rate of `value` (a key id or an IP) in `group`."""
    windows = []
    for rate in rates:
        usage = get_usage(
            request, group=group, key=lambda _group, _request: value, rate=str(rate), increment=True
        )
        if usage is None:  # RATELIMIT_ENABLE = False
            continue
        windows.append(
            WindowUsage(
                limit=usage["limit"],
                period_seconds=rate.period_seconds,
                count=usage["count"],
                reset_seconds=_reset_seconds(time_left=usage["time_left"]),
                exceeded=usage["should_limit"],
            )
        )
    return RateUsage(windows=tuple(windows)) if windows else None


@dataclass(frozen=True)
class KeyCount:
    """What counting a key's request found. Nothing was counted when `stale`."""

    stale: bool = False
    usage: RateUsage | None = None


# KEYS: 1 the key's generation, 2… one counter per window. ARGV: 1 the generation the caller
# read the key at ('' to skip the check), 2… counter TTLs. Replies {0} if that generation is no
# longer current, and otherwise {1, count, …}, counting as django-ratelimit does (INCR; a new
# counter expires after its window).
_KEY_COUNT_SCRIPT = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return {0}
end
local reply = {1}
for i = 2, #KEYS do
    local count = redis.call('INCR', KEYS[i])
    if count == 1 then
        redis.call('EXPIRE', KEYS[i], ARGV[i])
    end
    reply[#reply + 1] = count
end
return reply
"""


def key_usage_count(
    *, request: HttpRequest, api_key: ApiKey, generation: int | None = None
) -> KeyCount:
    """Count this request against the key's limits, once per request.

    With `generation` (the one the caller's copy of the key was read at), count only if it is
    still current: otherwise return `stale` and let the caller read the key afresh.
    """
    if hasattr(request, _KEY_USAGE_ATTRIBUTE):
        return getattr(request, _KEY_USAGE_ATTRIBUTE)
    rates = rates_for(tier=api_key.tier, custom_rate=api_key.custom_rate)
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        rates = ()
    value = str(api_key.pk)
    windows = [
        (rate, ratelimit_window(value=value, period_seconds=rate.period_seconds)) for rate in rates
    ]
    counter_keys = [_key_counter_cache_key(value, str(rate), window) for rate, window in windows]
    counter_ttls = [rate.period_seconds + EXPIRATION_FUDGE for rate, _ in windows]
    # The day's request counter of the key's usage page rides in the same script, last.
    counter_keys.append(daily_usage.requests_counter_key(key_id=api_key.pk))
    counter_ttls.append(daily_usage.COUNTER_TTL_SECONDS)
    counts = _count(
        generation_key=api_key_generation_cache_key(prefix=api_key.prefix),
        generation=generation,
        counter_keys=counter_keys,
        counter_ttls=counter_ttls,
    )
    if counts is None:
        return KeyCount(stale=True)
    counts = counts[: len(windows)]  # without the day's request counter
    now = int(time.time())
    usage = RateUsage(
        windows=tuple(
            WindowUsage(
                limit=rate.limit,
                period_seconds=rate.period_seconds,
                count=count,
                reset_seconds=_reset_seconds(time_left=window - now),
                exceeded=count > rate.limit,
            )
            for (rate, window), count in zip(windows, counts, strict=True)
        )
    )
    result = KeyCount(usage=usage if usage.windows else None)
    setattr(request, _KEY_USAGE_ATTRIBUTE, result)
    setattr(request, USAGE_ATTRIBUTE, result.usage)
    return result


@lru_cache(maxsize=4096)
def _key_counter_cache_key(value: str, rate: str, window: int) -> str:
    # The same for every request of a key in a window: hashed once rather than per request.
    return ratelimit_cache_key(
        group=KEY_GROUP, window=window, rate=rate, value=value, methods=ALL_METHODS
    )


def _count(
    *,
    generation_key: str,
    generation: int | None,
    counter_keys: list[str],
    counter_ttls: list[int],
) -> list[int] | None:
    """Return the counts, or None when `generation` is not current.

    One script on Redis; step by step on other caches (the embedded default's local memory,
    one process), where nothing runs in between anyway.
    """
    # The default cache, where the generation lives (so RATELIMIT_USE_CACHE must name it too);
    # looked up once, as each use of the `cache` proxy looks it up again.
    ratelimit_cache = caches["default"]
    if hasattr(ratelimit_cache, "run_script"):
        reply = ratelimit_cache.run_script(
            _KEY_COUNT_SCRIPT,
            keys=[generation_key, *counter_keys],
            args=["" if generation is None else str(generation), *counter_ttls],
        )
        return None if reply[0] == 0 else reply[1:]
    if generation is not None and ratelimit_cache.get(generation_key) != generation:
        return None
    counts = []
    for key, ttl in zip(counter_keys, counter_ttls, strict=True):
        counts.append(1 if ratelimit_cache.add(key, 1, ttl) else ratelimit_cache.incr(key))
    return counts


def client_ip(request: HttpRequest) -> str:
    """Return the address requests without a valid key are counted against.

    REMOTE_ADDR: behind a reverse proxy, have the server set it to the client's address.
    A server that sets none (some WSGI harnesses) shares one bucket rather than failing.
    """
    return request.META.get("REMOTE_ADDR") or "unknown"


def unauthenticated_count(*, request: HttpRequest) -> RateUsage | None:
    """Count a request without a valid key against its client IP and return the usage."""
    usage = _usage(
        request,
        group=UNAUTHENTICATED_GROUP,
        value=client_ip(request),
        rates=parse_rates(settings.OMNIFLOW_API_UNAUTHENTICATED_RATE),
    )
    if usage is None:
        return None
    setattr(request, USAGE_ATTRIBUTE, usage)
    return usage


def unauthenticated_count_or_refuse(*, request: HttpRequest) -> None:
    """Count a request without a valid key; raise the 429 once its client IP is over the limit."""
    usage = unauthenticated_count(request=request)
    if usage is not None and usage.blocked:
        raise unauthenticated_throttled(usage)


def unauthenticated_throttled(usage: RateUsage) -> exceptions.Throttled:
    """Return the 429 for a client IP that has used up its requests without a valid key."""
    return exceptions.Throttled(
        wait=usage.retry_after,
        detail=(
            "Too many requests without a valid API key from this address. "
            f"Retry in {usage.retry_after} seconds."
        ),
    )


class ApiKeyRateThrottle(BaseThrottle):
    """Refuse a key's request over any of its limits; DRF then answers 429 with Retry-After."""

    usage: RateUsage | None = None

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            # Requests without a key were counted per IP by the authentication class.
            return True
        self.usage = key_usage_count(request=request._request, api_key=request.auth).usage
        if self.usage is not None and self.usage.blocked:
            daily_usage.api_key_record_refused(key_id=request.auth.pk)
            return False
        return True

    def wait(self) -> int | None:
        return self.usage.retry_after if self.usage is not None else None
