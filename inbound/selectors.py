from django.db.models import OuterRef, QuerySet, Subquery

from workspaces.models import Workspace

from .models import InboundReceipt, InboundTrigger


def triggers_for_workspace(*, workspace: Workspace) -> QuerySet[InboundTrigger]:
    """Return the workspace's triggers, newest first, with their last receipt's time."""
    last = InboundReceipt.objects.filter(trigger=OuterRef("pk")).order_by("-id")
    return (
        InboundTrigger.objects.filter(workspace=workspace)
        .select_related("assignee")
        .annotate(
            last_received_at=Subquery(last.values("received_at")[:1]),
            last_receipt_status=Subquery(last.values("status")[:1]),
        )
    )


def trigger_get(*, workspace: Workspace, trigger_id: int) -> InboundTrigger:
    """Return one trigger of the workspace (DoesNotExist for another workspace's)."""
    return triggers_for_workspace(workspace=workspace).get(pk=trigger_id)


def trigger_for_receiving(*, public_id: str) -> InboundTrigger | None:
    """Return the trigger a receiving URL names, if it exists."""
    return InboundTrigger.objects.select_related("workspace").filter(public_id=public_id).first()


def receipts_for_trigger(*, workspace: Workspace, trigger: InboundTrigger) -> QuerySet:
    """Return a trigger's receipts, newest first."""
    return InboundReceipt.objects.filter(workspace=workspace, trigger=trigger)
