"""One convention for times on every Settings page: relative, with the absolute UTC on hover.

    {% load timefmt %}
    {% reltime delivery.created_at %}
        → <time datetime="…Z" title="2026-12-02 03:55:30 UTC">3 minutes ago</time>
    {% reltime delivery.next_attempt_at %}   → … in 2 minutes (future times read "in …")
    {% reltime key.last_used_at "Never" %}   → the text for a missing time (default "—")
    {{ entry.created_at|utc }}               → 2026-12-02 03:55:30 UTC (plain text, e.g. in a title)

The text is computed when the page renders (server-side: no script, works in every browser);
the `datetime` attribute carries the exact instant for machines and tests.
"""

from datetime import UTC, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

register = template.Library()

# Closer than this to now reads "just now" rather than "0 minutes ago".
JUST_NOW = timedelta(seconds=45)


@register.filter
def utc(value: datetime | None) -> str:
    """Return the absolute time in UTC, to the second: "2026-12-02 03:55:30 UTC"."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def relative_text(value: datetime, *, now: datetime | None = None) -> str:
    """Return "3 minutes ago", "in 2 hours" or "just now" (the largest unit only)."""
    now = now or timezone.now()
    if abs(value - now) < JUST_NOW:
        return "just now"
    if value < now:
        return f"{timesince(value, now, depth=1)} ago"
    return f"in {timeuntil(value, now, depth=1)}"


def _time_tag(value: datetime | None, *, missing: str, classes: str, text) -> str:
    if value is None:
        return format_html('<span class="muted">{}</span>', missing)
    return format_html(
        '<time class="{}" datetime="{}" title="{}">{}</time>',
        classes,
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        utc(value),
        text(value),
    )


@register.simple_tag
def reltime(value: datetime | None, missing: str = "—") -> str:
    """Render a <time> with the relative text and the absolute UTC time as its tooltip."""
    return _time_tag(value, missing=missing, classes="reltime", text=relative_text)


def countdown_text(value: datetime, *, now: datetime | None = None) -> str:
    """Return "in 28 s" under a minute, else what `relative_text` says; "due now" once due."""
    now = now or timezone.now()
    seconds = (value - now).total_seconds()
    if seconds < 1:
        return "due now"
    if seconds < 60:
        return f"in {int(seconds)} s"
    return relative_text(value, now=now)


@register.simple_tag
def countdown(value: datetime | None, missing: str = "—") -> str:
    """Render when something happens next, to the second; js/countdown.js ticks it down."""
    return _time_tag(value, missing=missing, classes="reltime countdown", text=countdown_text)
