"""Limits of tool calls: per tool (the customer's API) calls per window and calls in flight, and
per workspace calls in flight (our web tier: one tenant's slow tools cannot hold every web
thread, so other tenants and `/healthz` stay served).

All live in the shared cache (Redis), so they hold across every web process and machine.
- The rate is django-ratelimit's fixed-window counter (the one API keys are counted in).
- Concurrency is a Redis semaphore: a sorted set of holders scored by when their hold lapses,
  taken and released by one Lua script each. A holder that dies mid-call (a killed worker)
  lapses after the call's timeout plus a margin instead of keeping a slot for ever.
  On the embedded default's local-memory cache (no Redis) it is a per-process count.
"""

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.cache import caches
from django_ratelimit.core import get_usage

HOLD_MARGIN_SECONDS = 10
RATE_GROUP = "agenttools.tool"

_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
    redis.call('EXPIRE', KEYS[1], ARGV[5])
    return 1
end
return 0
"""
_RELEASE = "return redis.call('ZREM', KEYS[1], ARGV[1])"

_local_lock = threading.Lock()
_local_in_flight: dict[str, int] = {}


@dataclass(frozen=True)
class RateUsage:
    limited: bool
    retry_after_seconds: int


def rate_count(*, tool_id: int, rate: str) -> RateUsage:
    """Count one call of the tool against its rate; say whether it is over."""
    usage = get_usage(
        None, group=RATE_GROUP, key=lambda group, request: str(tool_id), rate=rate, increment=True
    )
    if usage is None:  # RATELIMIT_ENABLE is off
        return RateUsage(limited=False, retry_after_seconds=0)
    return RateUsage(
        limited=usage["should_limit"], retry_after_seconds=max(1, int(usage["time_left"]))
    )


def _semaphore_key(tool_id: int) -> str:
    return f"agenttools:in-flight:{tool_id}"


def concurrency_slot(*, tool_id: int, limit: int, hold_seconds: float):
    """Hold one of the tool's `limit` in-flight slots while the block runs; yield whether taken."""
    return _slot(key=_semaphore_key(tool_id), limit=limit, hold_seconds=hold_seconds)


def workspace_slot(*, workspace_id: int, limit: int, hold_seconds: float):
    """Hold one of the workspace's `limit` in-flight calls (all its tools together)."""
    return _slot(
        key=f"agenttools:workspace-in-flight:{workspace_id}", limit=limit, hold_seconds=hold_seconds
    )


@contextmanager
def _slot(*, key: str, limit: int, hold_seconds: float) -> Iterator[bool]:
    cache = caches["default"]
    if not hasattr(cache, "run_script"):
        with _local_slot(key=key, limit=limit) as taken:
            yield taken
        return
    holder = secrets.token_hex(8)
    now = time.time()
    lapse = int(hold_seconds + HOLD_MARGIN_SECONDS)
    taken = cache.run_script(_TAKE, keys=[key], args=[now, limit, now + lapse, holder, lapse])
    try:
        yield bool(taken)
    finally:
        if taken:
            cache.run_script(_RELEASE, keys=[key], args=[holder])


@contextmanager
def _local_slot(*, key: str, limit: int) -> Iterator[bool]:
    with _local_lock:
        taken = _local_in_flight.get(key, 0) < limit
        if taken:
            _local_in_flight[key] = _local_in_flight.get(key, 0) + 1
    try:
        yield taken
    finally:
        if taken:
            with _local_lock:
                _local_in_flight[key] -= 1
