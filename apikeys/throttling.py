"""Request limits of the API, counted by `omniflow.ratelimits` in the shared (Redis) cache.

- A request with a valid key counts against every limit of the key (`tiers.rates_for`:
  default 60/m; burstable 120/m and 1000/h; custom as set). A refused request counts in no
  window, so retries while blocked never use up a longer window.
- A request without a valid key (another scheme, malformed, unknown, revoked, expired; or no
  key at all to a view that needs one, so the API schema and docs are free) counts against its
  client IP (`settings.OMNIFLOW_API_UNAUTHENTICATED_RATE`, default 30/m). Once an IP has used
  that up, its requests without a valid key get 429 until the window resets; requests with a
  valid key from that IP are served as usual, so one bad client behind a NAT does not lock out
  a whole office (a key has 256 bits: the limit slows guessing, it is not what stops it).
- A key's request is counted by one script (one round trip): it checks that the caller's copy
  of the key is current (its generation), counts every window, and counts the day's requests
  and refusals of the key's usage page (`apikeys.usage`).

Over a limit the API answers 429 with `Retry-After` (`omniflow.ratelimits`: never early).
Every API response carries the IETF draft's `RateLimit` and `RateLimit-Policy` fields, written by
`RateLimitHeadersMiddleware` (apikeys.middleware) from the usage stashed on the Django request.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from omniflow.ratelimits import Extras, Usage, client_ip, count, parse_rates

from . import usage as daily_usage
from .models import ApiKey
from .selectors import api_key_generation_cache_key
from .tiers import rates_for

KEY_GROUP = "apikeys.key"
UNAUTHENTICATED_GROUP = "apikeys.unauthenticated"
UNAUTHENTICATED_POLICY = "unauthenticated"
# Attributes on the Django HttpRequest (DRF's `request._request`), read by the middleware.
USAGE_ATTRIBUTE = "omniflow_rate_usage"
_KEY_USAGE_ATTRIBUTE = "omniflow_key_rate_usage"


@dataclass(frozen=True)
class KeyCount:
    """What counting a key's request found. Nothing was counted when `stale`."""

    stale: bool = False
    usage: Usage | None = None


def key_usage_count(
    *, request: HttpRequest, api_key: ApiKey, generation: int | None = None
) -> KeyCount:
    """Count this request against the key's limits, once per request.

    With `generation` (the one the caller's copy of the key was read at), count only if it is
    still current: otherwise return `stale` and let the caller read the key afresh.
    """
    counted = getattr(request, _KEY_USAGE_ATTRIBUTE, None)
    if counted is not None:
        return counted
    rates = rates_for(tier=api_key.tier, custom_rate=api_key.custom_rate)
    usage = count(
        group=KEY_GROUP,
        value=str(api_key.pk),
        rates=rates,
        policy=api_key.tier,
        extras=Extras(
            guard=(
                None
                if generation is None
                else (api_key_generation_cache_key(prefix=api_key.prefix), str(generation))
            ),
            tallies=((daily_usage.requests_counter_key(key_id=api_key.pk), daily_usage.TTL),),
            refused_tallies=(
                (daily_usage.refused_counter_key(key_id=api_key.pk), daily_usage.TTL),
            ),
        ),
    )
    if usage is None:
        return KeyCount(stale=True)
    result = KeyCount(usage=usage)
    setattr(request, _KEY_USAGE_ATTRIBUTE, result)
    setattr(request, USAGE_ATTRIBUTE, usage)
    return result


def unauthenticated_count(*, request: HttpRequest) -> Usage:
    """Count a request without a valid key against its client IP and return the usage."""
    usage = count(
        group=UNAUTHENTICATED_GROUP,
        value=client_ip(request),
        rates=parse_rates(settings.OMNIFLOW_API_UNAUTHENTICATED_RATE),
        policy=UNAUTHENTICATED_POLICY,
    )
    setattr(request, USAGE_ATTRIBUTE, usage)
    return usage


def unauthenticated_count_or_refuse(*, request: HttpRequest) -> None:
    """Count a request without a valid key; raise the 429 once its client IP is over the limit."""
    usage = unauthenticated_count(request=request)
    if usage.blocked:
        raise unauthenticated_throttled(usage)


def unauthenticated_throttled(usage: Usage) -> exceptions.Throttled:
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

    usage: Usage | None = None

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            # Requests without a key were counted per IP by the authentication class.
            return True
        self.usage = key_usage_count(request=request._request, api_key=request.auth).usage
        return not self.usage.blocked

    def wait(self) -> int | None:
        return self.usage.retry_after if self.usage is not None else None
