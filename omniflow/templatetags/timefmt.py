"""`{% load timefmt %}`: one convention for times on every Settings page.

A time reads relative ("3 minutes ago", "in 2 hours"), with the absolute UTC time on hover and
in a machine-readable `<time datetime>`, so lists stay short and nothing is ambiguous.
"""

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

register = template.Library()


def absolute_utc(value: datetime) -> str:
    """Return `value` as e.g. "2026-12-02 04:05:06 UTC"."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def relative_words(value: datetime, *, now: datetime | None = None) -> str:
    """Return "3 minutes ago", "in 2 hours" or "just now" for `value` seen from `now`."""
    now = now or timezone.now()
    seconds = (value - now).total_seconds()
    if abs(seconds) < 60:
        return "just now"
    if seconds < 0:
        return f"{timesince(value, now, depth=1)} ago"
    return f"in {timeuntil(value, now, depth=1)}"


@register.filter
def relative_time(value: datetime | None, empty: str = "—"):
    """Render a time as `<time>` with relative words and the absolute UTC time as its title."""
    if not isinstance(value, datetime):
        return empty
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.astimezone(UTC).isoformat(),
        absolute_utc(value),
        relative_words(value),
    )
