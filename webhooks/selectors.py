"""Reads of the webhooks app; every one is scoped to a workspace."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet

from workspaces.models import Workspace

from .models import WebhookDelivery, WebhookEndpoint


def endpoints_for_workspace(*, workspace: Workspace) -> QuerySet[WebhookEndpoint]:
    """Return the workspace's endpoints (not the deleted ones, whose history stays)."""
    return WebhookEndpoint.objects.filter(workspace=workspace, deleted_at__isnull=True)


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
) -> QuerySet[WebhookDelivery]:
    """Return the workspace's deliveries matching the filters, newest first."""
    deliveries = (
        WebhookDelivery.objects.filter(workspace=workspace).select_related("event").order_by("-id")
    )
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
    if created_after is not None:
        deliveries = deliveries.filter(created_at__gte=created_after)
    if created_before is not None:
        deliveries = deliveries.filter(created_at__lt=created_before)
    return deliveries


def deliveries_to_replay(*, workspace: Workspace, **filters) -> QuerySet[WebhookDelivery]:
    """Return the failed deliveries matching the log's filters that were not replayed yet.

    Not those of deleted endpoints: nothing would be sent.
    """
    return deliveries_for_log(
        workspace=workspace, status=WebhookDelivery.Status.FAILED, **filters
    ).filter(replays__isnull=True, endpoint__deleted_at__isnull=True)


def delivery_detail(*, workspace: Workspace, delivery_id: int) -> WebhookDelivery:
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
