"""django-ratelimit: its counters' windows and cache keys (see the package docstring)."""

from django_ratelimit import core as ratelimit_core


def ratelimit_window(*, value: str, period_seconds: int) -> int:
    """Return the end (epoch seconds) of the current window of `value`'s counter."""
    return ratelimit_core._get_window(value, period_seconds)


def ratelimit_cache_key(*, group: str, window: int, rate: str, value: str, methods) -> str:
    """Return the cache key django-ratelimit counts `value` under in `window`."""
    return ratelimit_core._make_cache_key(group, window, rate, value, methods)
