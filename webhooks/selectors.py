"""Reads of the webhooks app; every one is scoped to a workspace."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery

from workspaces.models import Workspace

from .engine import storage
from .models import (
    UNFINISHED_STATUSES,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEndpointHistoryEntry,
    WebhookReplayJob,
)


def endpoints_for_workspace(*, workspace: Workspace) -> QuerySet[WebhookEndpoint]:
    """Return the workspace's endpoints (not the deleted ones, whose history stays)."""
    return WebhookEndpoint.objects.filter(workspace=workspace, deleted_at__isnull=True)


def endpoint_history(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookEndpointHistoryEntry]:
    """Return the endpoint's state changes, newest first."""
    return WebhookEndpointHistoryEntry.objects.filter(
        workspace_id=endpoint.workspace_id, endpoint=endpoint
    ).order_by("-id")


def endpoint_held_count(*, endpoint: WebhookEndpoint) -> int:
    """Return how many of the endpoint's deliveries are held (webhook_delivery_held_idx)."""
    return WebhookDelivery.objects.filter(
        endpoint=endpoint, status=WebhookDelivery.Status.HELD
    ).count()


def endpoints_disabled(*, workspace: Workspace) -> list[WebhookEndpoint]:
    """Return the workspace's endpoints the engine disabled (for the Settings banner)."""
    return list(
        WebhookEndpoint.objects.filter(
            workspace=workspace, state=WebhookEndpoint.State.DISABLED, deleted_at__isnull=True
        ).only("id", "url", "state_reason", "state_changed_at")[:5]
    )


def deliveries_for_log(
    *,
    workspace: Workspace,
    status: str | None = None,
    endpoint_id: int | None = None,
    event_type: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    event_id: str | None = None,
    delivery_id: int | None = None,
    exact_times: bool = False,
) -> QuerySet[WebhookDelivery]:
    """Return the workspace's deliveries matching the filters, newest first.

    `event_id` is the event's public id (evt_…), the one consumers see in webhook-id. Time
    filters walk the id range of the times (see CREATION_ORDER_MARGIN) unless `exact_times`.
    """
    deliveries = (
        WebhookDelivery.objects.filter(workspace=workspace).select_related("event").order_by("-id")
    )
    if delivery_id is not None:
        deliveries = deliveries.filter(id=delivery_id)
    if event_id:
        deliveries = deliveries.filter(event__public_id=event_id)
    if status:
        deliveries = deliveries.filter(status=status)
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    if event_type:
        deliveries = deliveries.filter(event_type=event_type)
    if resource_type:
        deliveries = deliveries.filter(resource_type=resource_type)
    if resource_id:
        deliveries = deliveries.filter(resource_id=resource_id)
    return _created_between(
        deliveries, after=created_after, before=created_before, exact=exact_times
    )


def _created_between(
    deliveries: QuerySet[WebhookDelivery],
    *,
    after: datetime | None,
    before: datetime | None,
    exact: bool,
) -> QuerySet[WebhookDelivery]:
    if after is not None:
        deliveries = deliveries.filter(created_at__gte=after)
    if before is not None:
        deliveries = deliveries.filter(created_at__lt=before)
    return deliveries if exact else _within_id_range(deliveries, after=after, before=before)


def _within_id_range(
    deliveries: QuerySet[WebhookDelivery], *, after: datetime | None, before: datetime | None
) -> QuerySet[WebhookDelivery]:
    if after is not None and (after_id := _id_created_before(after - CREATION_ORDER_MARGIN)):
        deliveries = deliveries.filter(id__gt=after_id)
    if before is not None and (before_id := _id_created_from(before + CREATION_ORDER_MARGIN)):
        deliveries = deliveries.filter(id__lt=before_id)
    return deliveries


# Ids follow creation times: a delivery's id and its created_at are set by the same insert
# (emit, a replay, a test event), moments apart. So the log maps a time range to an id range,
# which its indexes walk newest first, instead of reading every delivery newer than the range
# (seconds at ten million rows). The created_at conditions stay, so nothing outside the range
# is shown; the margin covers the moments between taking the time and inserting, and clock
# adjustments up to it: a delivery inserted longer than this after its created_at (or whose
# created_at was rewritten) could be left out of a time-filtered page. Bulk replay matches
# times exactly.
CREATION_ORDER_MARGIN = timedelta(minutes=5)


def _id_created_before(moment: datetime) -> int | None:
    """Return the id of the latest delivery created before `moment` (any workspace)."""
    return (
        WebhookDelivery.objects.filter(created_at__lt=moment)
        .order_by("-created_at")
        .values_list("id", flat=True)
        .first()
    )


def _id_created_from(moment: datetime) -> int | None:
    """Return the id of the earliest delivery created at or after `moment` (any workspace)."""
    return (
        WebhookDelivery.objects.filter(created_at__gte=moment)
        .order_by("created_at")
        .values_list("id", flat=True)
        .first()
    )


def deliveries_to_replay(*, workspace: Workspace, **filters) -> QuerySet[WebhookDelivery]:
    """Return the failed deliveries matching the log's filters that were not replayed yet.

    Not those of deleted endpoints: nothing would be sent. Times are matched exactly: a
    replay must not leave out a delivery whose id came late (the log may, see
    CREATION_ORDER_MARGIN).
    """
    return deliveries_for_log(
        workspace=workspace, status=WebhookDelivery.Status.FAILED, exact_times=True, **filters
    ).filter(replays__isnull=True, endpoint__deleted_at__isnull=True)


def delivery_get(*, workspace: Workspace, delivery_id: int) -> WebhookDelivery:
    """Return one delivery of the workspace with its attempts (DoesNotExist otherwise)."""
    return (
        WebhookDelivery.objects.select_related("event")
        .prefetch_related("attempts")
        .get(workspace=workspace, id=delivery_id)
    )


def endpoint_get(*, workspace: Workspace, endpoint_id: int) -> WebhookEndpoint:
    """Return one endpoint of the workspace (DoesNotExist otherwise)."""
    return endpoints_for_workspace(workspace=workspace).get(id=endpoint_id)


def endpoint_delivery_counts(
    *, workspace: Workspace, latest: int = 1000
) -> dict[int, dict[str, int]]:
    """Return {endpoint id: {status: count}} over the workspace's latest deliveries.

    Bounded by `latest` rows read through the log index, so the endpoints page stays cheap
    however long the history is.
    """
    recent_ids = (
        WebhookDelivery.objects.filter(workspace=workspace).order_by("-id").values("id")[:latest]
    )
    rows = (
        WebhookDelivery.objects.filter(id__in=recent_ids)
        .order_by()
        .values("endpoint_id", "status")
        .annotate(count=Count("id"))
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["endpoint_id"], {})[row["status"]] = row["count"]
    return counts


@dataclass
class LogPage:
    """One page of the deliveries log, newest first, with keyset cursors to its neighbours."""

    deliveries: list[WebhookDelivery]
    newer_than: int | None  # pass as `after` to get the newer page, if there is one
    older_than: int | None  # pass as `before` to get the older page, if there is one


def deliveries_log_page(
    *,
    deliveries: QuerySet[WebhookDelivery],
    before: int | None = None,
    after: int | None = None,
    size: int = 50,
) -> LogPage:
    """Return the page of `deliveries` just older than `before` or just newer than `after`.

    Keyset pages on the primary key: new deliveries arriving never shift or repeat rows.
    """
    if after is not None:
        rows = list(deliveries.filter(id__gt=after).order_by("id")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        has_older = True
    else:
        if before is not None:
            deliveries = deliveries.filter(id__lt=before)
        rows = list(deliveries.order_by("-id")[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = before is not None
    if not rows:
        return LogPage(deliveries=[], newer_than=None, older_than=None)
    return LogPage(
        deliveries=rows,
        newer_than=rows[0].id if has_newer else None,
        older_than=rows[-1].id if has_older else None,
    )


def deliveries_waiting_for(*, deliveries: Iterable[WebhookDelivery]) -> dict[int, int]:
    """Return {delivery id: the delivery it is held behind} for the unfinished ones given.

    A delivery waits while an older delivery of its (endpoint, resource) is unfinished; it
    names the oldest, the one in flight, whose success or final failure releases the queue.
    """
    unfinished_ids = [d.id for d in deliveries if d.status in UNFINISHED_STATUSES]
    if not unfinished_ids:
        return {}
    head = (
        WebhookDelivery.objects.filter(
            endpoint_id=OuterRef("endpoint_id"),
            resource_type=OuterRef("resource_type"),
            resource_id=OuterRef("resource_id"),
            status__in=UNFINISHED_STATUSES,
            id__lt=OuterRef("id"),
        )
        .order_by("id")
        .values("id")[:1]
    )
    rows = (
        WebhookDelivery.objects.filter(id__in=unfinished_ids)
        .annotate(waiting_for=Subquery(head))
        .values_list("id", "waiting_for")
    )
    return {delivery_id: head_id for delivery_id, head_id in rows if head_id is not None}


def latest_replays(*, deliveries: Iterable[WebhookDelivery]) -> dict[int, int]:
    """Return {delivery id: id of its latest replay} for those of `deliveries` replayed."""
    ids = [d.id for d in deliveries]
    if not ids:
        return {}
    rows = (
        WebhookDelivery.objects.filter(replay_of_id__in=ids)
        .order_by()
        .values("replay_of_id")
        .annotate(latest=Max("id"))
    )
    return {row["replay_of_id"]: row["latest"] for row in rows}


def replay_job_get(*, workspace: Workspace, job_id: int) -> WebhookReplayJob:
    """Return one replay job of the workspace (DoesNotExist otherwise)."""
    return WebhookReplayJob.objects.get(workspace=workspace, id=job_id)


def replay_jobs_active(*, workspace: Workspace) -> QuerySet[WebhookReplayJob]:
    """Return the workspace's replay jobs still queued or running, newest first."""
    return WebhookReplayJob.objects.filter(
        workspace=workspace,
        status__in=[WebhookReplayJob.Status.QUEUED, WebhookReplayJob.Status.RUNNING],
    ).order_by("-id")


@dataclass
class EndpointStats:
    """What an endpoint's deliveries did since a moment: counts, success rate, latency."""

    since: datetime
    deliveries: dict[str, int]
    total: int
    success_rate: float | None  # succeeded / (succeeded + failed); None when none finished
    attempts: int
    latency_ms: dict[str, int | None]  # attempt durations: p50, p95, p99


# The windows an endpoint's statistics are taken over, by the names pages and the API use.
STATS_WINDOWS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_STATS_WINDOW = "24h"
LATENCY_PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


def endpoint_stats(*, endpoint: WebhookEndpoint, since: datetime) -> EndpointStats:
    """Return the statistics of the endpoint's deliveries created since `since`."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint, created_at__gte=since)
    counts = {status: 0 for status in WebhookDelivery.Status.values}
    for row in deliveries.order_by().values("status").annotate(count=Count("id")):
        counts[row["status"]] = row["count"]
    finished = counts["succeeded"] + counts["failed"]
    attempts = WebhookDeliveryAttempt.objects.filter(
        delivery__endpoint=endpoint, created_at__gte=since
    )
    attempt_count, latency = _duration_percentiles(attempts)
    return EndpointStats(
        since=since,
        deliveries=counts,
        total=sum(counts.values()),
        success_rate=round(counts["succeeded"] / finished, 4) if finished else None,
        attempts=attempt_count,
        latency_ms=latency,
    )


def _duration_percentiles(
    attempts: QuerySet[WebhookDeliveryAttempt],
) -> tuple[int, dict[str, int | None]]:
    count, values = storage.backend().duration_percentiles(
        attempts=attempts, fractions=list(LATENCY_PERCENTILES.values())
    )
    return count, dict(zip(LATENCY_PERCENTILES, values, strict=True))


def replay_job_outcomes(*, job: WebhookReplayJob) -> dict[str, int]:
    """Return {status: count} of the deliveries a bulk replay made, as they stand now.

    A job's replays are the replays of deliveries up to its last id, made while it ran (a
    hand replay of one of them in those seconds is counted too: close enough for a page).
    """
    if job.started_at is None:
        return {}
    made = WebhookDelivery.objects.filter(
        workspace=job.workspace_id,
        replay_of__isnull=False,
        replay_of_id__lte=job.up_to_delivery_id,
        created_at__gte=job.started_at,
    )
    if job.finished_at is not None:
        made = made.filter(created_at__lte=job.finished_at)
    endpoint_id = (job.filters or {}).get("endpoint_id")
    if endpoint_id is not None:
        made = made.filter(endpoint_id=endpoint_id)
    rows = made.order_by().values("status").annotate(count=Count("id"))
    return {row["status"]: row["count"] for row in rows}


# Each window's chart buckets: a bar per 5 minutes of the last hour, per hour of the last day...
BUCKET_SECONDS = {"1h": 300, "24h": 3600, "7d": 6 * 3600, "30d": 86400}
SERIES_PERCENTILES = {"p50": 0.5, "p95": 0.95}


@dataclass
class AttemptBucket:
    """The attempts made in one slice of a window: how many, how many got a 2xx, latency."""

    start: datetime
    attempts: int
    succeeded: int
    failed: int
    latency_ms: dict[str, int | None]  # p50, p95 of the slice's attempt durations


def endpoint_attempt_series(
    *, endpoint: WebhookEndpoint, window: str, now: datetime
) -> list[AttemptBucket]:
    """Return the window's attempts in equal slices, oldest first, empty slices included."""
    bucket_seconds = BUCKET_SECONDS[window]
    count = int(STATS_WINDOWS[window].total_seconds() // bucket_seconds)
    since = now - timedelta(seconds=bucket_seconds * count)
    attempts = WebhookDeliveryAttempt.objects.filter(
        delivery__endpoint=endpoint, created_at__gte=since, created_at__lt=now
    )
    found = storage.backend().attempt_buckets(
        attempts=attempts,
        since=since,
        bucket_seconds=bucket_seconds,
        fractions=list(SERIES_PERCENTILES.values()),
    )
    series = []
    for index in range(count):
        total, succeeded, values = found.get(index, (0, 0, [None] * len(SERIES_PERCENTILES)))
        series.append(
            AttemptBucket(
                start=since + timedelta(seconds=bucket_seconds * index),
                attempts=total,
                succeeded=succeeded,
                failed=total - succeeded,
                latency_ms=dict(zip(SERIES_PERCENTILES, values, strict=True)),
            )
        )
    return series


def test_send_result(
    *, endpoint: WebhookEndpoint, delivery_id: int
) -> WebhookDeliveryAttempt | None:
    """Return the attempt of the endpoint's test delivery `delivery_id` (None if not one)."""
    return (
        WebhookDeliveryAttempt.objects.filter(
            delivery_id=delivery_id,
            delivery__endpoint=endpoint,
            delivery__event__is_test=True,
        )
        .select_related("delivery")
        .first()
    )
