"""Each key's requests and refusals (429) per UTC day, counted in the shared cache.

A request, and a refusal, is counted by the same script that counts it against the key's limits
(apikeys.throttling, `omniflow.ratelimits.Extras`), so usage costs the API no round trip.
"""

from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache

from .models import ApiKey

# How long a day's counters are kept, and how many days the key's page shows.
RETENTION_DAYS = 14
SHOWN_DAYS = 7
TTL = RETENTION_DAYS * 86400


def _today() -> date:
    return datetime.now(UTC).date()


def requests_counter_key(*, key_id: int, day: date | None = None) -> str:
    """Return the cache key counting a key's requests on a UTC day (today by default)."""
    return f"apikey:usage:requests:{key_id}:{(day or _today()).isoformat()}"


def refused_counter_key(*, key_id: int, day: date | None = None) -> str:
    """Return the cache key counting a key's 429 refusals on a UTC day (today by default)."""
    return f"apikey:usage:refused:{key_id}:{(day or _today()).isoformat()}"


def api_key_usage_by_day(*, api_key: ApiKey, days: int = SHOWN_DAYS) -> list[dict]:
    """Return the key's requests and refusals per UTC day, newest first, `days` days."""
    today = _today()
    wanted = [today - timedelta(days=offset) for offset in range(days)]
    keys = {}
    for day in wanted:
        keys[day] = (
            requests_counter_key(key_id=api_key.pk, day=day),
            refused_counter_key(key_id=api_key.pk, day=day),
        )
    counts = cache.get_many([name for pair in keys.values() for name in pair])
    return [
        {
            "day": day,
            "requests": int(counts.get(keys[day][0]) or 0),
            "refused": int(counts.get(keys[day][1]) or 0),
        }
        for day in wanted
    ]
