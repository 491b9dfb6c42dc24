"""Reads of the webhooks app; every one is scoped to a workspace."""

from datetime import datetime

from django.db.models import QuerySet

from workspaces.models import Workspace

from .models import WebhookDelivery, WebhookEndpoint


def endpoints_for_workspace(*, workspace: Workspace) -> QuerySet[WebhookEndpoint]:
    """Return the workspace's endpoints."""
    return WebhookEndpoint.objects.filter(workspace=workspace)


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
    """Return the workspace's deliveries matching the filters."""
    deliveries = WebhookDelivery.objects.filter(workspace=workspace).select_related("event")
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


def delivery_detail(*, workspace: Workspace, delivery_id: int) -> WebhookDelivery:
    """Return one delivery of the workspace with its attempts (DoesNotExist otherwise)."""
    return (
        WebhookDelivery.objects.select_related("event")
        .prefetch_related("attempts")
        .get(workspace=workspace, id=delivery_id)
    )
