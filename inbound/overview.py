"""Inbound webhooks' panel of the Settings overview: the triggers rejecting what they receive."""

from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from workspaces.overview import OverviewFact, OverviewPanel

from .models import InboundReceipt, InboundTrigger


def triggers_panel(*, workspace, membership) -> OverviewPanel:  # noqa: ARG001
    """Return the triggers that rejected requests in the last 24 h, with how many."""
    since = timezone.now() - timedelta(hours=24)
    triggers = InboundTrigger.objects.filter(workspace=workspace).annotate(
        received=Count("receipts", filter=Q(receipts__received_at__gte=since)),
        rejected=Count(
            "receipts",
            filter=Q(
                receipts__received_at__gte=since,
                receipts__status=InboundReceipt.Status.REJECTED,
            ),
        ),
    )
    triggers = list(triggers.order_by("id"))
    items = [
        OverviewFact(
            trigger.name,
            f"{trigger.rejected} of {trigger.received} rejected",
            reverse("inbound:trigger-detail", args=[trigger.pk]),
            "bad",
        )
        for trigger in triggers
        if trigger.rejected
    ]
    return OverviewPanel(
        title="Inbound triggers, last 24 h",
        facts=[
            OverviewFact(
                "requests received",
                sum(trigger.received for trigger in triggers),
                reverse("inbound:trigger-list"),
            )
        ],
        items=items,
        empty="None rejecting." if triggers else "None yet.",
    )
