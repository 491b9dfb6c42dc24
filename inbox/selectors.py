"""Reads of the inbox domain; every one is scoped to a workspace."""

from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import OuterRef, QuerySet, TextField
from django.db.models.expressions import RawSQL

from workspaces.models import Workspace

from .models import (
    Agent,
    Contact,
    Conversation,
    RoutingRule,
    Scorecard,
    Tag,
    Ticket,
    TraceEntry,
    TrainingAttempt,
)
from .representations import SCORECARD_FIELDS

EXPORT_CHUNK_SIZE = 2000


def _tickets_with_tags() -> QuerySet[Ticket]:
    """Return all tickets, each read with its tag names for `ticket_data`; filter it further.

    On PostgreSQL an array subquery per row (`tag_names`, alphabetical) saves the second query a
    prefetch costs every read of the API; elsewhere (the embedded SQLite) the tags are prefetched.
    """
    if connection.vendor != "postgresql":
        return Ticket.objects.prefetch_related("tags")
    return _annotated_tickets()


@cache
def _annotated_tickets() -> QuerySet[Ticket]:
    # Built once per process, never evaluated itself: each read filters a clone. The subquery is
    # compiled to SQL here, once, by the ORM: compiling it again on every read cost more CPU than
    # running it (bench/api.py: ~135 µs of a keyed ticket read's ~1.2 ms). It refers to the
    # outer table by its name, as every read of this queryset does (none nests it in another).
    names = Tag.objects.filter(tickets=OuterRef("pk")).order_by("name").values("name")
    query = Ticket.objects.annotate(tag_names=ArraySubquery(names)).query
    sql, params = query.get_compiler(connection=connection).compile(query.annotations["tag_names"])
    tag_names = RawSQL(sql, params, output_field=ArrayField(TextField()))
    return Ticket.objects.annotate(tag_names=tag_names)


def _time_range(queryset: QuerySet, field: str, after: datetime | None, before: datetime | None):
    if after is not None:
        queryset = queryset.filter(**{f"{field}__gte": after})
    if before is not None:
        queryset = queryset.filter(**{f"{field}__lt": before})
    return queryset


def ticket_with_tags(*, ticket: Ticket) -> Ticket:
    """Return the ticket re-read with its tags, as `ticket_data` shows it after a write."""
    return _tickets_with_tags().get(pk=ticket.pk)


def conversation_with_tags(*, conversation: Conversation) -> Conversation:
    """Return the conversation re-read with its tags, as `conversation_data` shows it after a
    write (tags read fresh, never from an instance's stale cache)."""
    return Conversation.objects.prefetch_related("tags").get(pk=conversation.pk)


def contacts_for_workspace(
    *,
    workspace: Workspace,
    email: str | None = None,
    external_id: str | None = None,
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
) -> QuerySet[Contact]:
    """Return the workspace's contacts, filtered."""
    contacts = Contact.objects.filter(workspace=workspace)
    if email:
        contacts = contacts.filter(email=email.strip().lower())
    if external_id:
        contacts = contacts.filter(external_id=external_id)
    return _time_range(contacts, "updated_at", updated_after, updated_before)


def conversations_for_workspace(
    *,
    workspace: Workspace,
    status: str | None = None,
    channel: str | None = None,
    contact_id: int | None = None,
    assignee_id: int | None = None,
    tag: str | None = None,
    external_id: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
) -> QuerySet[Conversation]:
    """Return the workspace's conversations, filtered, with their tags."""
    conversations = Conversation.objects.filter(workspace=workspace).prefetch_related("tags")
    if status:
        conversations = conversations.filter(status=status)
    if channel:
        conversations = conversations.filter(channel=channel)
    if contact_id is not None:
        conversations = conversations.filter(contact_id=contact_id)
    if assignee_id is not None:
        conversations = conversations.filter(assignee_id=assignee_id)
    if tag:
        conversations = conversations.filter(tags__name=tag)
    if external_id:
        conversations = conversations.filter(external_id=external_id)
    conversations = _time_range(conversations, "created_at", created_after, created_before)
    return _time_range(conversations, "updated_at", updated_after, updated_before)


def conversation_trace(*, workspace: Workspace, conversation_id: int) -> QuerySet[TraceEntry]:
    """Return a conversation's trace in the order things happened (time, then entry id)."""
    return TraceEntry.objects.filter(workspace=workspace, conversation_id=conversation_id).order_by(
        "occurred_at", "id"
    )


def tickets_for_workspace(
    *,
    workspace: Workspace,
    status: str | None = None,
    priority: str | None = None,
    conversation_id: int | None = None,
    tag: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
) -> QuerySet[Ticket]:
    """Return the workspace's tickets, filtered, with their tags."""
    tickets = _tickets_with_tags().filter(workspace=workspace)
    if status:
        tickets = tickets.filter(status=status)
    if priority:
        tickets = tickets.filter(priority=priority)
    if conversation_id is not None:
        tickets = tickets.filter(conversation_id=conversation_id)
    if tag:
        tickets = tickets.filter(tags__name=tag)
    tickets = _time_range(tickets, "created_at", created_after, created_before)
    return _time_range(tickets, "updated_at", updated_after, updated_before)


def scorecards_for_workspace(
    *,
    workspace: Workspace,
    conversation_id: int | None = None,
    grader: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Scorecard]:
    """Return the workspace's scorecards, filtered."""
    scorecards = Scorecard.objects.filter(workspace=workspace)
    if conversation_id is not None:
        scorecards = scorecards.filter(conversation_id=conversation_id)
    if grader:
        scorecards = scorecards.filter(grader=grader)
    return _time_range(scorecards, "created_at", created_after, created_before)


def scorecards_export_rows(**filters: Any) -> Iterator[dict[str, Any]]:
    """Yield matching scorecards as plain rows (oldest first), a chunk at a time.

    `.values()` and a server-side cursor keep memory flat however many rows there are.
    """
    columns = {field: field for field in SCORECARD_FIELDS}
    columns["conversation"] = "conversation_id"
    rows = scorecards_for_workspace(**filters).order_by("id").values(*columns.values())
    for row in rows.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        yield {name: row[column] for name, column in columns.items()}


def agents_for_workspace(*, workspace: Workspace, status: str | None = None) -> QuerySet[Agent]:
    """Return the workspace's agents."""
    agents = Agent.objects.filter(workspace=workspace)
    return agents.filter(status=status) if status else agents


def training_attempts_for_workspace(
    *, workspace: Workspace, status: str | None = None, trainee: str | None = None
) -> QuerySet[TrainingAttempt]:
    """Return the workspace's training attempts."""
    attempts = TrainingAttempt.objects.filter(workspace=workspace)
    if status:
        attempts = attempts.filter(status=status)
    if trainee:
        attempts = attempts.filter(trainee=trainee)
    return attempts


def routing_rules_for_workspace(*, workspace: Workspace) -> QuerySet[RoutingRule]:
    """Return the workspace's routing rules in the order they are applied."""
    return RoutingRule.objects.filter(workspace=workspace).order_by("position", "id")
