"""Rate-limit specifications of API keys: parse and describe `N/unit` limits."""

from dataclasses import dataclass
from functools import lru_cache

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
UNIT_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
TIER_RATES = {
    "default": ("60/m",),
    "burstable": ("120/m", "1000/h"),
}


class InvalidRate(ValueError):
    pass


@dataclass(frozen=True)
class Rate:
    limit: int
    unit: str

    @property
    def period_seconds(self) -> int:
        return UNIT_SECONDS[self.unit]

    def __str__(self) -> str:
        return f"{self.limit}/{self.unit}"


def parse_rates(text: str) -> tuple[Rate, ...]:
    """Parse "300/m,5000/h" into rates; raise InvalidRate with a readable message."""
    rates = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        count, _, unit = part.partition("/")
        unit = unit.strip().lower()[:1]
        if not count.strip().isdigit() or unit not in UNIT_SECONDS or int(count) < 1:
            raise InvalidRate(
                f"'{part}' is not a rate. Write N/s, N/m, N/h or N/d, e.g. 300/m,5000/h."
            )
        rates.append(Rate(int(count), unit))
    if not rates:
        raise InvalidRate("Give at least one rate, e.g. 300/m.")
    units = [rate.unit for rate in rates]
    if len(set(units)) != len(units):
        raise InvalidRate("Give each period (s, m, h, d) at most once.")
    return tuple(sorted(rates, key=lambda rate: rate.period_seconds))


@lru_cache(maxsize=1024)
def rates_for(*, tier: str, custom_rate: str) -> tuple[Rate, ...]:
    """Return the limits that apply to a key of a tier (remembered: every request asks)."""
    if tier == "custom":
        return parse_rates(custom_rate)
    return parse_rates(",".join(TIER_RATES[tier]))


def describe(rates: tuple[Rate, ...]) -> str:
    """Return "120/minute, 1000/hour"."""
    return ", ".join(f"{rate.limit}/{UNIT_NAMES[rate.unit]}" for rate in rates)
