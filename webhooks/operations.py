"""Reads about the delivery machinery as a whole, across workspaces: for operators only.

`/readyz?worker=1`, `/metrics` and `manage.py webhooks_status` show these; nothing here is
scoped to a workspace, so no page or API of a workspace may use it (the Settings banner
`worker_problem` says only whether any worker sends webhooks at all). The probe's checks and
the gauges are registered with the core in `WebhooksConfig.ready()`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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


def sweeper_problem() -> str | None:
    """Return why the sweeper is not current, or None (the worker probe's `sweeper` check)."""
    last_run = sweeper_last_run()
    if last_run is None:
        return "the sweeper never ran"
    age = (timezone.now() - last_run).total_seconds()
    if age > settings.OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS:
        return f"last sweep {age:.0f} s ago"
    return None


def backlog_problem() -> str | None:
    """Return how long the oldest due delivery waited past the limit, or None (`backlog`)."""
    now = timezone.now()
    waited = queue_state(now=now).oldest_due_age_seconds(now)
    if waited > settings.OMNIFLOW_WEBHOOK_DUE_AGE_LIMIT_SECONDS:
        return f"oldest due delivery waiting {waited:.0f} s"
    return None


# How long pages trust the last worker check: one heartbeat read per this many seconds and
# cache (all web processes share Redis's), however many pages are viewed.
WORKER_CHECK_CACHE_SECONDS = 5.0
_WORKER_CHECK_CACHE_KEY = "health:worker-problem"


def worker_problem() -> str | None:
    """Return why no worker is sending webhooks now (the sweeper check of `/readyz?worker=1`)."""
    problem = cache.get(_WORKER_CHECK_CACHE_KEY)
    if problem is None:
        try:
            problem = sweeper_problem() or ""
        except Exception as error:  # noqa: BLE001 - a page still renders without the answer
            problem = f"the heartbeat could not be read ({error.__class__.__name__})"
        cache.set(_WORKER_CHECK_CACHE_KEY, problem, WORKER_CHECK_CACHE_SECONDS)
    return problem or None


def worker_status(request) -> dict:  # noqa: ARG001 - Django passes every context processor the request
    """Template context: `worker_problem`, computed only when a page shows it (the banner)."""
    return {"worker_problem": worker_problem}


class QueueGauges(Collector):
    """The queue's gauges for `/metrics`, read from the database at each scrape."""

    def collect(self):
        now = timezone.now()
        queue = queue_state(now=now)
        due = GaugeMetricFamily(
            "omniflow_webhook_deliveries_due",
            "Unfinished webhook deliveries whose next attempt time has come (queue depth).",
        )
        due.add_metric([], queue.due)
        yield due
        oldest = GaugeMetricFamily(
            "omniflow_webhook_oldest_due_age_seconds",
            "How long the longest-waiting sendable delivery has been due (0 when none).",
        )
        oldest.add_metric([], queue.oldest_due_age_seconds(now))
        yield oldest
        last_sweep = sweeper_last_run()
        sweep = GaugeMetricFamily(
            "omniflow_webhook_last_sweep_timestamp_seconds",
            "Unix time of the sweeper's last run (0 when it never ran).",
        )
        sweep.add_metric([], last_sweep.timestamp() if last_sweep else 0.0)
        yield sweep
