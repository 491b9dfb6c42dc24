"""The rate-limit tiers of API keys (the grammar and counting are `omniflow.ratelimits`)."""

from functools import lru_cache

from omniflow.ratelimits import Rate, parse_rates

TIER_RATES = {
    "default": "60/m",
    "burstable": "120/m,1000/h",
}


@lru_cache(maxsize=1024)
def rates_for(*, tier: str, custom_rate: str) -> tuple[Rate, ...]:
    """Return the limits that apply to a key of a tier (remembered: every request asks)."""
    return parse_rates(custom_rate if tier == "custom" else TIER_RATES[tier])
