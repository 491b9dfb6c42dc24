"""Conversations: ingest an external transcript, update status, tags, assignee and priority."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from omniflow.exceptions import Conflict
from webhooks.events import EventType, emit
from workspaces.models import Workspace

from ..models import Conversation, Message, Priority, RoutingRule, TraceEntry
from ..representations import conversation_data
from ..selectors import conversation_with_tags
from .common import UNSET, assignee_check, attributes_merge, tags_resolve, user_id
from .contacts import contact_upsert
from .routing import routing_rules_apply
from .trace import trace_entry_append


@transaction.atomic
def conversation_ingest(
    *,
    workspace: Workspace,
    actor: str,
    channel: str = Conversation.Channel.API,
    external_id: str = "",
    subject: str = "",
    status: str = Conversation.Status.OPEN,
    priority: str = Priority.NORMAL,
    contact: dict[str, Any] | None = None,
    assignee: AbstractBaseUser | None = None,
    tags: list[str] | None = None,
    custom_attributes: dict[str, Any] | None = None,
    started_at: datetime | None = None,
    messages: list[dict[str, Any]] | None = None,
) -> Conversation:
    """Ingest a transcript in one transaction: contact upserted, messages at their own times.

    Traces the conversation and each message, emits `conversation.created`, then fires the
    workspace's routing rules for new conversations.
    """
    external_id = external_id.strip()
    messages = sorted(messages or [], key=lambda message: message["created_at"])
    if (
        external_id
        and Conversation.objects.filter(workspace=workspace, external_id=external_id).exists()
    ):
        raise Conflict(f"A conversation with external_id '{external_id}' already exists.")
    assignee_check(workspace=workspace, assignee=assignee, field="assignee")
    contact_row = None
    if contact:
        contact_row, _ = contact_upsert(workspace=workspace, **contact)
    now = timezone.now()
    # A transcript happened before it reached us: its trace starts when it started.
    started_at = started_at or (messages[0]["created_at"] if messages else now)
    resolved = status == Conversation.Status.RESOLVED
    conversation = Conversation(
        workspace=workspace,
        external_id=external_id,
        channel=channel,
        subject=subject,
        status=status,
        priority=priority,
        contact=contact_row,
        assignee=assignee,
        custom_attributes=attributes_merge({}, custom_attributes or {}),
        started_at=started_at,
        resolved_at=(messages[-1]["created_at"] if messages else now) if resolved else None,
        created_at=now,
        updated_at=now,
    )
    _conversation_insert(conversation)
    if tags:
        conversation.tags.set(tags_resolve(workspace=workspace, names=tags))
    _transcript_trace(conversation, actor=actor, messages=messages)
    emit(
        workspace=workspace,
        event_type=EventType.CONVERSATION_CREATED,
        resource_id=conversation.pk,
        data=conversation_data(conversation_with_tags(conversation=conversation)),
    )
    routing_rules_apply(conversation=conversation, trigger=RoutingRule.Trigger.CREATED)
    return conversation


def _conversation_insert(conversation: Conversation) -> None:
    """Save a new conversation; its external id, if any, must be new to the workspace."""
    try:
        with transaction.atomic():
            conversation.save()
    except IntegrityError as error:
        raise Conflict(
            f"A conversation with external_id '{conversation.external_id}' already exists."
        ) from error


def _transcript_trace(
    conversation: Conversation, *, actor: str, messages: list[dict[str, Any]]
) -> None:
    """Store an ingested transcript's messages and trace its creation, messages and status."""
    trace_entry_append(
        conversation=conversation,
        kind=TraceEntry.Kind.CONVERSATION_CREATED,
        actor=actor,
        occurred_at=conversation.started_at,
        details={
            "channel": conversation.channel,
            "subject": conversation.subject,
            "status": conversation.status,
            "contact": conversation.contact_id,
            "external_id": conversation.external_id,
        },
    )
    created = Message.objects.bulk_create(
        Message(workspace=conversation.workspace, conversation=conversation, **message)
        for message in messages
    )
    for message in created:
        trace_entry_append(
            conversation=conversation,
            kind=TraceEntry.Kind.MESSAGE,
            actor=f"{message.author_type}:{message.author_name}".rstrip(":"),
            occurred_at=message.created_at,
            details={
                "message_id": message.pk,
                "author_type": message.author_type,
                "author_name": message.author_name,
                "body": message.body,
            },
        )
    if conversation.status == Conversation.Status.RESOLVED:
        trace_entry_append(
            conversation=conversation,
            kind=TraceEntry.Kind.STATUS_CHANGED,
            actor=actor,
            occurred_at=conversation.resolved_at,
            details={"from": Conversation.Status.OPEN, "to": conversation.status},
        )


@transaction.atomic
def conversation_update(
    *,
    conversation: Conversation,
    actor: str,
    status: str | Any = UNSET,
    priority: str | Any = UNSET,
    subject: str | Any = UNSET,
    assignee: AbstractBaseUser | None | Any = UNSET,
    tags: list[str] | Any = UNSET,
    custom_attributes: dict[str, Any] | Any = UNSET,
) -> Conversation:
    """Change a conversation, tracing each change; resolving it emits `conversation.resolved`.

    Then fires the routing rules for updated conversations if anything changed.
    """
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("contact", "workspace")
        .get(pk=conversation.pk)
    )
    now = timezone.now()

    def trace(kind: str, details: dict[str, Any]) -> None:
        trace_entry_append(
            conversation=conversation, kind=kind, actor=actor, occurred_at=now, details=details
        )

    previous_status = conversation.status
    changed = _fields_change(
        conversation,
        trace,
        now=now,
        status=status,
        priority=priority,
        subject=subject,
        assignee=assignee,
    )
    if custom_attributes is not UNSET and _attributes_change(
        conversation, trace, custom_attributes=custom_attributes
    ):
        changed.append("custom_attributes")
    if tags is not UNSET and _tags_change(conversation, trace, tags=tags):
        changed.append("tags")
    if not changed:
        return conversation
    conversation.updated_at = now
    columns = [field for field in changed if field != "tags"]
    conversation.save(update_fields=[*columns, "updated_at"])
    if "status" in changed and conversation.status == Conversation.Status.RESOLVED:
        emit(
            workspace=conversation.workspace,
            event_type=EventType.CONVERSATION_RESOLVED,
            resource_id=conversation.pk,
            data=conversation_data(conversation_with_tags(conversation=conversation)),
            previous_attributes={"status": previous_status, "resolved_at": None},
        )
    routing_rules_apply(conversation=conversation, trigger=RoutingRule.Trigger.UPDATED)
    return conversation


Trace = Callable[[str, dict[str, Any]], None]


def _fields_change(
    conversation: Conversation,
    trace: Trace,
    *,
    now: datetime,
    status: str | Any,
    priority: str | Any,
    subject: str | Any,
    assignee: AbstractBaseUser | None | Any,
) -> list[str]:
    """Set the given plain fields that differ, tracing each; return the columns changed."""
    changed: list[str] = []
    if status is not UNSET and status != conversation.status:
        trace(TraceEntry.Kind.STATUS_CHANGED, {"from": conversation.status, "to": status})
        conversation.status = status
        conversation.resolved_at = now if status == Conversation.Status.RESOLVED else None
        changed += ["status", "resolved_at"]
    if priority is not UNSET and priority != conversation.priority:
        trace(TraceEntry.Kind.PRIORITY_CHANGED, {"from": conversation.priority, "to": priority})
        conversation.priority = priority
        changed.append("priority")
    if subject is not UNSET and subject != conversation.subject:
        trace(TraceEntry.Kind.SUBJECT_CHANGED, {"from": conversation.subject, "to": subject})
        conversation.subject = subject
        changed.append("subject")
    if assignee is not UNSET and user_id(assignee) != conversation.assignee_id:
        assignee_check(workspace=conversation.workspace, assignee=assignee, field="assignee")
        trace(
            TraceEntry.Kind.ASSIGNEE_CHANGED,
            {"from": conversation.assignee_id, "to": user_id(assignee)},
        )
        conversation.assignee = assignee
        changed.append("assignee")
    return changed


def _attributes_change(
    conversation: Conversation, trace: Trace, *, custom_attributes: dict[str, Any]
) -> bool:
    """Merge attribute changes in, tracing the keys that differ; return whether any did."""
    merged = attributes_merge(conversation.custom_attributes, custom_attributes)
    if merged == conversation.custom_attributes:
        return False
    keys = sorted(
        key
        for key in set(merged) | set(conversation.custom_attributes)
        if merged.get(key) != conversation.custom_attributes.get(key)
    )
    trace(TraceEntry.Kind.ATTRIBUTES_CHANGED, {"keys": keys})
    conversation.custom_attributes = merged
    return True


def _tags_change(conversation: Conversation, trace: Trace, *, tags: list[str]) -> bool:
    """Set the full new tag list, tracing what was added and removed; return whether it changed."""
    current = set(conversation.tags.values_list("name", flat=True))
    wanted = tags_resolve(workspace=conversation.workspace, names=tags)
    names = {tag.name for tag in wanted}
    if names == current:
        return False
    trace(
        TraceEntry.Kind.TAGS_CHANGED,
        {"added": sorted(names - current), "removed": sorted(current - names)},
    )
    conversation.tags.set(wanted)
    return True
