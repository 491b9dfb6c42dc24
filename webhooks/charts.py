"""The endpoint page's attempts chart, drawn on the server as SVG (no script, no CDN).

Geometry only: one stacked bar per slice (attempts that got a 2xx, then the others) and a line
of the slices' p95 latency on its own scale; the template draws what this returns.
"""

from dataclasses import dataclass, field

from .selectors import AttemptBucket

WIDTH = 600
HEIGHT = 120
GAP = 1  # between bars, so neighbouring slices stay apart


@dataclass
class Bar:
    x: float
    width: float
    ok_y: float
    ok_height: float
    failed_y: float
    failed_height: float
    title: str


@dataclass
class AttemptChart:
    width: int
    height: int
    bars: list[Bar]
    max_attempts: int
    max_p95_ms: int
    p95_points: str  # an SVG polyline's points; "" when no slice has attempts
    labels: list[tuple[float, str]] = field(default_factory=list)  # x, text under the chart
    empty: bool = True


def attempt_chart(*, series: list[AttemptBucket], label_format: str) -> AttemptChart:
    """Return the bars and the p95 line of `series`, scaled to the chart's box."""
    top = max((bucket.attempts for bucket in series), default=0)
    p95s = [bucket.latency_ms["p95"] for bucket in series]
    top_p95 = max((p95 for p95 in p95s if p95 is not None), default=0)
    slot = WIDTH / max(len(series), 1)
    bars, points = [], []
    for index, bucket in enumerate(series):
        x = index * slot
        ok_height = HEIGHT * bucket.succeeded / top if top else 0
        failed_height = HEIGHT * bucket.failed / top if top else 0
        p95 = bucket.latency_ms["p95"]
        bars.append(
            Bar(
                x=round(x + GAP / 2, 2),
                width=round(max(slot - GAP, 1), 2),
                ok_y=round(HEIGHT - ok_height, 2),
                ok_height=round(ok_height, 2),
                failed_y=round(HEIGHT - ok_height - failed_height, 2),
                failed_height=round(failed_height, 2),
                title=(
                    f"{bucket.start:{label_format}} UTC: {bucket.attempts} attempts, "
                    f"{bucket.failed} failed" + (f", p95 {p95} ms" if p95 is not None else "")
                ),
            )
        )
        if p95 is not None and top_p95:
            points.append(f"{x + slot / 2:.1f},{HEIGHT - HEIGHT * 0.95 * p95 / top_p95:.1f}")
    labels = [
        (index * slot, f"{series[index].start:{label_format}}")
        for index in (0, len(series) // 2)
        if series
    ]
    return AttemptChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        max_attempts=top,
        max_p95_ms=top_p95,
        p95_points=" ".join(points),
        labels=labels,
        empty=top == 0,
    )
