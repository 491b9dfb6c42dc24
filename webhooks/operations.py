"""Reads about the delivery machinery as a whole, across workspaces: for operators only.

`/readyz?worker=1`, `/metrics` and `manage.py webhooks_status` show these; nothing here is
scoped to a workspace, so no page or API of a workspace may use it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from .engine.claims import oldest_due_at
from .models import UNFINISHED_STATUSES, SweeperHeartbeat, WebhookDelivery


def sweeper_last_run() -> datetime | None:
    """Return when the sweeper last ran, or None if it never did."""
    return SweeperHeartbeat.objects.filter(pk=1).values_list("swept_at", flat=True).first()


@dataclass
class QueueState:
    due: int  # unfinished deliveries whose next attempt time has come
    oldest_due_at: datetime | None  # next attempt time of the longest-waiting sendable one

    def oldest_due_age_seconds(self, now: datetime) -> float:
        if self.oldest_due_at is None:
            return 0.0
        return max((now - self.oldest_due_at).total_seconds(), 0.0)


def queue_state(*, now: datetime | None = None) -> QueueState:
    """Return how many deliveries are due and since when the oldest sendable one waits.

    Both read the partial due index only: cheap enough for every scrape and probe.
    """
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        status__in=UNFINISHED_STATUSES, next_attempt_at__lte=now
    ).count()
    return QueueState(due=due, oldest_due_at=oldest_due_at(now=now) if due else None)


def deliveries_by_status() -> dict[str, int]:
    """Return {status: deliveries} over the whole retained history (every status present)."""
    counts = dict.fromkeys(WebhookDelivery.Status.values, 0)
    rows = WebhookDelivery.objects.order_by().values_list("status").annotate(count=Count("id"))
    counts.update(dict(rows))
    return counts


@dataclass
class EndpointFailures:
    endpoint_id: int
    url: str
    workspace_slug: str
    failed: int
    retrying: int


def endpoints_most_failing(*, limit: int = 10) -> list[EndpointFailures]:
    """Return the endpoints with the most failed (then retrying) deliveries retained."""
    failed, retrying = WebhookDelivery.Status.FAILED, WebhookDelivery.Status.RETRYING
    rows = (
        WebhookDelivery.objects.filter(status__in=[failed, retrying])
        .order_by()
        .values("endpoint_id", "endpoint__url", "workspace__slug")
        .annotate(
            failed=Count("id", filter=Q(status=failed)),
            retrying=Count("id", filter=Q(status=retrying)),
        )
        .order_by("-failed", "-retrying", "endpoint_id")[:limit]
    )
    return [
        EndpointFailures(
            endpoint_id=row["endpoint_id"],
            url=row["endpoint__url"],
            workspace_slug=row["workspace__slug"],
            failed=row["failed"],
            retrying=row["retrying"],
        )
        for row in rows
    ]
