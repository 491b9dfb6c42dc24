import json
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from inbox.models import Conversation
from workspaces.models import Workspace

from .models import InboundReceipt, InboundTrigger
from .payloads import payload_errors, value_at
from .shapes import sample_payload, value_set


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


def receipts_for_workspace(*, workspace: Workspace) -> QuerySet:
    """Return the workspace's receipts, newest first."""
    return InboundReceipt.objects.filter(workspace=workspace).select_related("trigger")


@dataclass
class TriggerSample:
    """A body of the trigger's shape that its action can act on, for the curl example."""

    payload: Any
    body: str  # the payload as compact JSON: what the example POSTs
    conversation: Conversation | None  # the one the sample names, if the action needs one
    problems: list[str]  # why the sample may be refused (the shape's own constraints)


SAMPLE_CONTACT = {
    "contact_email_path": "person@example.com",
    "contact_external_id_path": "example-contact-1",
    "contact_name_path": "Example Person",
}


def trigger_sample(*, trigger: InboundTrigger) -> TriggerSample:
    """Return a sample body generated from the trigger's shape, naming real things it needs.

    The conversation path names the workspace's latest conversation (by external id or id,
    as the trigger matches), so the page's curl example works as shown.
    """
    payload = sample_payload(schema=trigger.payload_schema)
    values: dict[str, Any] = {}
    conversation = None
    if trigger.conversation_path and trigger.action != InboundTrigger.Action.CREATE_CONTACT:
        conversations = Conversation.objects.filter(workspace_id=trigger.workspace_id)
        if trigger.conversation_match == InboundTrigger.ConversationMatch.EXTERNAL_ID:
            conversation = conversations.exclude(external_id="").order_by("-id").first()
            values[trigger.conversation_path] = conversation.external_id if conversation else ""
        else:
            conversation = conversations.order_by("-id").first()
            values[trigger.conversation_path] = conversation.pk if conversation else 0
    if trigger.action == InboundTrigger.Action.CREATE_CONTACT:
        for field, value in SAMPLE_CONTACT.items():
            if getattr(trigger, field):
                values[getattr(trigger, field)] = value
    for path, value in values.items():
        # Keep the type the shape asks for there: an id declared as a string stays one.
        if isinstance(value_at(payload, path), str):
            value = str(value)
        payload = value_set(payload, path, value)
    try:
        errors = payload_errors(schema=trigger.payload_schema, payload=payload)
    except RecursionError:
        # A shape whose references loop without end (e.g. allOf: [{"$ref": "#"}]) cannot be
        # checked by the validator; the page says so rather than failing.
        errors = {"non_field_errors": ["The shape refers to itself without end."]}
    problems = [f"{field}: {message}" for field, messages in errors.items() for message in messages]
    return TriggerSample(
        payload=payload,
        body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        conversation=conversation,
        problems=problems,
    )
