"""Webhooks' panels of the Settings overview: deliveries and failures of the last 24 h, and the
endpoints failing or disabled, each linking to the filtered page."""

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from workspaces.overview import OverviewFact, OverviewPanel

from .models import WebhookDelivery, WebhookEndpoint

Status = WebhookDelivery.Status


def _log_url(**filters) -> str:
    return reverse("webhooks:delivery-list") + "?" + urlencode(filters)


def deliveries_panel(*, workspace, membership) -> OverviewPanel:  # noqa: ARG001
    """Return the last 24 h of deliveries: how many, how many failed or are retrying."""
    since = timezone.now() - timedelta(hours=24)
    after = since.strftime("%Y-%m-%dT%H:%M")
    rows = (
        WebhookDelivery.objects.filter(workspace=workspace, created_at__gte=since)
        .order_by()
        .values("status")
        .annotate(count=Count("id"))
    )
    counts = {row["status"]: row["count"] for row in rows}
    total, failed = sum(counts.values()), counts.get(Status.FAILED, 0)
    retrying = counts.get(Status.RETRYING, 0)
    return OverviewPanel(
        title="Deliveries, last 24 h",
        facts=[
            OverviewFact("sent or queued", total, _log_url(created_after=after)),
            OverviewFact(
                "failed",
                failed,
                _log_url(status=Status.FAILED, created_after=after),
                "bad" if failed else "ok",
            ),
            OverviewFact(
                "retrying now",
                retrying,
                _log_url(status=Status.RETRYING, created_after=after),
                "warn" if retrying else "ok",
            ),
        ],
    )


def endpoints_panel(*, workspace, membership) -> OverviewPanel:  # noqa: ARG001
    """Return the endpoints that need a look: disabled, or failing in the last 24 h."""
    since = timezone.now() - timedelta(hours=24)
    endpoints = WebhookEndpoint.objects.filter(workspace=workspace).annotate(
        failing=Count(
            "deliveries",
            filter=Q(
                deliveries__created_at__gte=since,
                deliveries__status__in=[Status.FAILED, Status.RETRYING],
            ),
        )
    )
    items = []
    for endpoint in endpoints.order_by("id"):
        url = reverse("webhooks:endpoint-detail", args=[endpoint.id])
        if not endpoint.enabled:
            items.append(OverviewFact(endpoint.url, "disabled", url, "warn"))
        elif endpoint.failing:
            items.append(OverviewFact(endpoint.url, f"{endpoint.failing} failing", url, "bad"))
    total = len(endpoints)
    return OverviewPanel(
        title="Webhook endpoints",
        facts=[OverviewFact("endpoints", total, reverse("webhooks:endpoint-list"))],
        items=items,
        empty="All delivering." if total else "None yet: add one to send events out.",
    )
