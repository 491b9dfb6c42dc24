"""Rate limits, the one module: the grammar, the counters, Retry-After, client IP, headers.

Every limit of the project goes through here: API keys and requests without one
(`apikeys.throttling`), failed log-ins (`accounts.views`), agent tool calls
(`agenttools.limits`) and inbound triggers (`inbound.receive_view`).

- **Grammar** (`parse_rates`): one or more `N/P` separated by commas, where P is a unit
  (`s`, `m`, `h`, `d`, or `sec`/`second(s)`, `min`/`minute(s)`, `hour(s)`, `day(s)`) with an
  optional multiplier: `60/m`, `10/15m`, `300/m,5000/h`. Each period at most once.
- **Counters**: fixed windows in the shared cache (Redis; the embedded default's local memory),
  shifted per counted value so that keys do not all reset at the same instant. A request is
  *admitted* when every window has room, and then counted in all of them; a refused request is
  counted in none, so retries while blocked never use up a longer window (with `5/m,8/h`, five
  requests and any number of refused retries leave three for the hour). One Lua script per
  request does the reads and writes (and the caller's extras: a generation check, usage
  tallies) in one atomic round trip.
- **Retry-After** (`Usage.retry_after`): whole seconds, rounded up, until every exhausted
  window has reset. Never early: a client that waits that long is admitted.
- **Client IP** (`client_ip`): REMOTE_ADDR (behind a proxy, have the server set it).
- **Headers** (`Usage.headers`): the IETF draft's structured fields
  (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "default";q=60;w=60` lists each
  window (quota `q`, window `w` in seconds) and `RateLimit: "default";r=42;t=18` where each
  stands (remaining `r`, seconds to reset `t`).

The counter is ours rather than django-ratelimit's: its public `get_usage` costs two round trips
per window and counts refused requests in every window, and combining it with the API's
generation check and usage tallies needed its private window and key functions.
"""

import hashlib
import math
import re
import threading
import time
import zlib
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.http import HttpRequest

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
UNIT_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
_UNIT_WORDS = {
    **{word: "s" for word in ("s", "sec", "secs", "second", "seconds")},
    **{word: "m" for word in ("m", "min", "mins", "minute", "minutes")},
    **{word: "h" for word in ("h", "hr", "hrs", "hour", "hours")},
    **{word: "d" for word in ("d", "day", "days")},
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$", re.IGNORECASE)
# Counters outlive their window by this much, so a late reader still finds the count.
_EXPIRY_MARGIN_SECONDS = 5


class InvalidRate(ValueError):
    pass


@dataclass(frozen=True)
class Rate:
    """`limit` requests per `multiplier` × `unit` (`10/15m`: 10 per 15 minutes)."""

    limit: int
    multiplier: int
    unit: str

    @property
    def period_seconds(self) -> int:
        return self.multiplier * UNIT_SECONDS[self.unit]

    @property
    def period_name(self) -> str:
        """Return "minute", "15-minutes" (a policy name's suffix)."""
        name = UNIT_NAMES[self.unit]
        return name if self.multiplier == 1 else f"{self.multiplier}-{name}s"

    def __str__(self) -> str:
        return f"{self.limit}/{'' if self.multiplier == 1 else self.multiplier}{self.unit}"

    def describe(self) -> str:
        """Return "120/minute", "10/15 minutes"."""
        name = UNIT_NAMES[self.unit]
        return (
            f"{self.limit}/{name}"
            if self.multiplier == 1
            else f"{self.limit}/{self.multiplier} {name}s"
        )


@lru_cache(maxsize=1024)
def parse_rates(text: str) -> tuple[Rate, ...]:
    """Parse "300/m,5000/h" or "10/15m" into rates, shortest period first; or InvalidRate."""
    rates = []
    for part in (piece.strip() for piece in (text or "").split(",")):
        if not part:
            continue
        match = _RATE.match(part)
        unit = _UNIT_WORDS.get(match.group(3).lower()) if match else None
        if unit is None or int(match.group(1)) < 1 or int(match.group(2) or 1) < 1:
            raise InvalidRate(
                f"'{part}' is not a rate. Write N/s, N/m, N/h or N/d, with an optional "
                "multiplier, e.g. 300/m,5000/h or 10/15m."
            )
        rates.append(Rate(int(match.group(1)), int(match.group(2) or 1), unit))
    if not rates:
        raise InvalidRate("Give at least one rate, e.g. 300/m.")
    periods = [rate.period_seconds for rate in rates]
    if len(set(periods)) != len(periods):
        raise InvalidRate("Give each period at most once.")
    return tuple(sorted(rates, key=lambda rate: rate.period_seconds))


def register_settings_check(*names: str) -> None:
    """Have `manage.py check` (and every start-up) refuse rate settings that do not parse."""

    def rate_settings_check(**_kwargs) -> list[checks.Error]:
        errors = []
        for name in names:
            try:
                parse_rates(getattr(settings, name))
            except InvalidRate as error:
                errors.append(checks.Error(f"{name}: {error}", id="omniflow.E101"))
        return errors

    checks.register(rate_settings_check)


def describe(rates: tuple[Rate, ...]) -> str:
    """Return "120/minute, 1000/hour"."""
    return ", ".join(rate.describe() for rate in rates)


def client_ip(request: HttpRequest) -> str:
    """Return the address a request is counted against when it is counted per client.

    REMOTE_ADDR: behind a reverse proxy, have the server set it to the client's address.
    A server that sets none (some WSGI harnesses) shares one bucket rather than failing.
    """
    return request.META.get("REMOTE_ADDR") or "unknown"


@dataclass(frozen=True)
class WindowUsage:
    """Where one window of a limit stands after this request."""

    rate: Rate
    count: int
    reset_seconds: int

    @property
    def remaining(self) -> int:
        return max(self.rate.limit - self.count, 0)


@dataclass(frozen=True)
class Usage:
    """Where every window of one counted value stands after this request."""

    policy: str
    windows: tuple[WindowUsage, ...]
    admitted: bool

    @property
    def blocked(self) -> bool:
        return not self.admitted

    @property
    def retry_after(self) -> int:
        """Return whole seconds until every exhausted window has reset (0 if none is)."""
        return max(
            (window.reset_seconds for window in self.windows if window.remaining == 0), default=0
        )

    def headers(self) -> dict[str, str]:
        """Return the `RateLimit` and `RateLimit-Policy` fields of this usage."""
        rates = tuple(window.rate for window in self.windows)
        return {
            "RateLimit": ", ".join(
                f"{name};r={window.remaining};t={window.reset_seconds}"
                for name, window in zip(policy_names(self.policy, rates), self.windows, strict=True)
            ),
            "RateLimit-Policy": policy_header(self.policy, rates),
        }


@lru_cache(maxsize=1024)
def policy_names(policy: str, rates: tuple[Rate, ...]) -> tuple[str, ...]:
    """Return each window's policy name as a structured-field string: `"default"`,
    `"burstable-minute"`, `"burstable-hour"` (the policy's own name when it has one window)."""
    names = [policy] if len(rates) == 1 else [f"{policy}-{rate.period_name}" for rate in rates]
    return tuple('"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"' for name in names)


@lru_cache(maxsize=1024)
def policy_header(policy: str, rates: tuple[Rate, ...]) -> str:
    """Return the `RateLimit-Policy` field of a policy (the same on every request)."""
    return ", ".join(
        f"{name};q={rate.limit};w={rate.period_seconds}"
        for name, rate in zip(policy_names(policy, rates), rates, strict=True)
    )


@dataclass(frozen=True)
class Extras:
    """What a caller counts in the same round trip as the windows.

    `guard`: (cache key, value): count nothing, and return None, unless the key holds that
    value (the API's check that a key's cached row is current). `tallies`: (cache key, TTL)
    incremented on every counted request; `refused_tallies`: only on refused ones.
    """

    guard: tuple[str, str] | None = None
    tallies: tuple[tuple[str, int], ...] = ()
    refused_tallies: tuple[tuple[str, int], ...] = ()


NO_EXTRAS = Extras()

# KEYS: 1 the guard (or any key, unread, without one), then the window counters, the tallies and
# the refused tallies. ARGV: 1 the guard's value ('' for none), 2 'hit' or 'peek', 3 the number
# of windows, 4 of tallies, then each window's limit and TTL, then each tally's TTL.
# Replies {-1} when the guard fails, else {admitted (1|0), count of each window…}.
_COUNT_SCRIPT = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return {-1}
end
local windows = tonumber(ARGV[3])
local tallies = tonumber(ARGV[4])
local reply = {1}
for i = 1, windows do
    local count = tonumber(redis.call('GET', KEYS[1 + i]) or '0')
    if count >= tonumber(ARGV[3 + 2 * i]) then
        reply[1] = 0
    end
    reply[1 + i] = count
end
if reply[1] == 1 and ARGV[2] == 'hit' then
    for i = 1, windows do
        reply[1 + i] = redis.call('INCR', KEYS[1 + i])
        if reply[1 + i] == 1 then
            redis.call('EXPIRE', KEYS[1 + i], ARGV[4 + 2 * i])
        end
    end
end
local first_tally = 2 + windows
local last = #KEYS
if reply[1] == 1 then
    last = first_tally + tallies - 1
end
for i = first_tally, last do
    if ARGV[2] == 'hit' and redis.call('INCR', KEYS[i]) == 1 then
        redis.call('EXPIRE', KEYS[i], ARGV[4 + 2 * windows + i - first_tally + 1])
    end
end
return reply
"""

# The embedded default's local-memory cache is one process: a lock makes its steps atomic.
_local_lock = threading.Lock()


def window_start(*, value: str, period: int, now: float) -> int:
    """Return when (epoch seconds) the window of `value`'s counter that holds `now` opened.

    Windows are shifted per value (a stable hash), so that counters do not all reset at once.
    """
    offset = zlib.crc32(value.encode()) % period
    return int((now - offset) // period) * period + offset


@lru_cache(maxsize=8192)
def _counter_key(group: str, value: str, period: int, start: int) -> str:
    # Values are hashed: log-in names and addresses may hold anything a cache key may not.
    digest = hashlib.blake2b(value.encode(), digest_size=12).hexdigest()
    return f"rl:{group}:{digest}:{period}:{start}"


def count(
    *,
    group: str,
    value: str,
    rates: tuple[Rate, ...],
    policy: str = "default",
    increment: bool = True,
    extras: Extras = NO_EXTRAS,
) -> Usage | None:
    """Count one request of `value` against `rates` in `group`, if every window has room.

    With `increment=False`, only tell where the windows stand. Returns None if `extras.guard`
    did not hold (nothing was counted then).
    """
    now = time.time()
    starts = [window_start(value=value, period=rate.period_seconds, now=now) for rate in rates]
    keys = [
        _counter_key(group, value, rate.period_seconds, start)
        for rate, start in zip(rates, starts, strict=True)
    ]
    reply = _run(keys=keys, rates=rates, increment=increment, extras=extras)
    if reply is None:
        return None
    return Usage(
        policy=policy,
        admitted=bool(reply[0]),
        windows=tuple(
            WindowUsage(
                rate=rate,
                count=window_count,
                # Rounded up: the window ends at start + period, and not a moment before.
                reset_seconds=max(math.ceil(start + rate.period_seconds - now), 1),
            )
            for rate, start, window_count in zip(rates, starts, reply[1:], strict=True)
        ),
    )


def _run(
    *, keys: list[str], rates: tuple[Rate, ...], increment: bool, extras: Extras
) -> list[int] | None:
    """Return [admitted, count of each window] after counting, or None if the guard failed."""
    cache = caches["default"]
    ttls = [rate.period_seconds + _EXPIRY_MARGIN_SECONDS for rate in rates]
    if hasattr(cache, "run_script"):
        guard_key, guard_value = extras.guard or (keys[0] if keys else "rl:none", "")
        tallies = (*extras.tallies, *extras.refused_tallies)
        reply = cache.run_script(
            _COUNT_SCRIPT,
            keys=[guard_key, *keys, *(key for key, _ in tallies)],
            args=[
                guard_value,
                "hit" if increment else "peek",
                len(keys),
                len(extras.tallies),
                *(
                    item
                    for rate, ttl in zip(rates, ttls, strict=True)
                    for item in (rate.limit, ttl)
                ),
                *(ttl for _, ttl in tallies),
            ],
        )
        return None if reply[0] == -1 else reply
    with _local_lock:
        return _run_locally(
            cache, keys=keys, rates=rates, ttls=ttls, increment=increment, extras=extras
        )


def _run_locally(cache, *, keys, rates, ttls, increment: bool, extras: Extras) -> list[int] | None:
    """The script's steps on a cache without scripts (one process, under the lock)."""
    if extras.guard is not None and str(cache.get(extras.guard[0])) != extras.guard[1]:
        return None
    counts = [int(cache.get(key) or 0) for key in keys]
    admitted = all(
        window_count < rate.limit for window_count, rate in zip(counts, rates, strict=True)
    )
    if not increment:
        return [int(admitted), *counts]
    if admitted:
        counts = [_increment(cache, key, ttl) for key, ttl in zip(keys, ttls, strict=True)]
    for key, ttl in (*extras.tallies, *(() if admitted else extras.refused_tallies)):
        _increment(cache, key, ttl)
    return [int(admitted), *counts]


def _increment(cache, key: str, ttl: int) -> int:
    if cache.add(key, 1, ttl):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, ttl)
        return 1
