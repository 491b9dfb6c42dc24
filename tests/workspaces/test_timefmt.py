from datetime import UTC, datetime, timedelta

import time_machine
from django.template import Context, Template

NOW = datetime(2026, 12, 2, 4, 0, 0, tzinfo=UTC)


def _render(source: str, **context) -> str:
    return Template("{% load timefmt %}" + source).render(Context(context))


@time_machine.travel(NOW, tick=False)
def test_past_time_reads_relative_with_the_absolute_utc_time_on_hover():
    html = _render("{% reltime when %}", when=NOW - timedelta(minutes=3, seconds=20))

    assert html == (
        '<time class="reltime" datetime="2026-12-02T03:56:40Z" '
        'title="2026-12-02 03:56:40 UTC">3\xa0minutes ago</time>'
    )


@time_machine.travel(NOW, tick=False)
def test_future_time_reads_in_and_other_zones_are_shown_in_utc():
    from zoneinfo import ZoneInfo

    paris = (NOW + timedelta(hours=2, minutes=5)).astimezone(ZoneInfo("Europe/Paris"))

    html = _render("{% reltime when %}", when=paris)

    assert ">in 2\xa0hours<" in html
    assert 'title="2026-12-02 06:05:00 UTC"' in html


@time_machine.travel(NOW, tick=False)
def test_a_moment_ago_reads_just_now_and_a_missing_time_reads_the_given_text():
    assert ">just now<" in _render("{% reltime when %}", when=NOW - timedelta(seconds=10))
    assert _render('{% reltime when "Never" %}', when=None) == '<span class="muted">Never</span>'
    assert _render("{{ when|utc }}", when=NOW) == "2026-12-02 04:00:00 UTC"


@time_machine.travel(NOW, tick=False)
def test_a_retry_due_within_a_minute_counts_down_in_seconds_not_just_now():
    soon = _render("{% countdown when %}", when=NOW + timedelta(seconds=28))
    later = _render("{% countdown when %}", when=NOW + timedelta(minutes=3))
    due = _render("{% countdown when %}", when=NOW - timedelta(seconds=2))

    assert soon == (
        '<time class="reltime countdown" datetime="2026-12-02T04:00:28Z" '
        'title="2026-12-02 04:00:28 UTC">in 28 s</time>'
    )
    assert ">in 3\xa0minutes</time>" in later
    assert ">due now</time>" in due
    assert _render("{% countdown when %}", when=None) == '<span class="muted">—</span>'
