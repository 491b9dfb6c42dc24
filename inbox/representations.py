"""How the public API shows each resource: one serializer per resource, used by the API views
and by the services for webhook payloads, so both always agree.

Representations never query: they read the row and the relations the caller loaded (the
selectors prefetch what is read here, e.g. `ticket_with_tags`, `tickets_list`)."""

import datetime as dt
from functools import cache
from typing import Any

from django.db import models
from rest_framework import serializers

from .models import (
    Agent,
    Contact,
    Conversation,
    RoutingRule,
    Scorecard,
    Ticket,
    TraceEntry,
    TrainingAttempt,
)


class UtcDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField in UTC, the API's time zone (settings.TIME_ZONE, never activated per
    request): fixed once instead of looked up for every value of every row (the profile of a
    page of tickets found the lookup at 8% of the request)."""

    timezone = dt.UTC


class Representation(serializers.ModelSerializer):
    """A ModelSerializer whose date-times are `UtcDateTimeField`s."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
    }


class ContactRepresentation(Representation):
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True, read_only=True)
    # Not `format: email`: a contact known by its external_id only has "" here.
    email = serializers.CharField(
        read_only=True, help_text="The contact's email; empty for one known by external_id only."
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "email",
            "external_id",
            "name",
            "phone",
            "custom_attributes",
            "assignee",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ConversationRepresentation(Representation):
    contact = serializers.IntegerField(source="contact_id", allow_null=True, read_only=True)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True, read_only=True)
    tags = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name", help_text="Tag names, alphabetical."
    )

    class Meta:
        model = Conversation
        fields = [
            "id",
            "external_id",
            "channel",
            "subject",
            "status",
            "priority",
            "contact",
            "assignee",
            "tags",
            "custom_attributes",
            "started_at",
            "resolved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TagNamesField(serializers.ListField):
    """A ticket's tag names: the `tag_names` its selector read with it, or its prefetched tags."""

    child = serializers.CharField()

    def get_attribute(self, instance):
        names = getattr(instance, "tag_names", None)
        return [tag.name for tag in instance.tags.all()] if names is None else names


class TicketRepresentation(Representation):
    conversation = serializers.IntegerField(
        source="conversation_id", allow_null=True, read_only=True
    )
    tags = TagNamesField(read_only=True, help_text="Tag names, alphabetical.")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "description",
            "priority",
            "status",
            "conversation",
            "tags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


SCORECARD_FIELDS = [
    "id",
    "conversation",
    "grader",
    "total_score",
    "criteria",
    "comment",
    "created_at",
]


class ScorecardRepresentation(Representation):
    conversation = serializers.IntegerField(source="conversation_id", read_only=True)
    criteria = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="Score per criterion name."
    )

    class Meta:
        model = Scorecard
        fields = SCORECARD_FIELDS
        read_only_fields = fields


class AgentRepresentation(Representation):
    class Meta:
        model = Agent
        fields = [
            "id",
            "name",
            "description",
            "configuration",
            "status",
            "published_version",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TrainingAttemptRepresentation(Representation):
    class Meta:
        model = TrainingAttempt
        fields = [
            "id",
            "trainee",
            "scenario",
            "status",
            "score",
            "feedback",
            "started_at",
            "completed_at",
            "created_at",
        ]
        read_only_fields = fields


class RoutingRuleRepresentation(Representation):
    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "name",
            "trigger",
            "is_active",
            "position",
            "conditions",
            "actions",
            "inbound_trigger",
            "event_name",
            "max_tickets",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TraceEntryRepresentation(Representation):
    class Meta:
        model = TraceEntry
        fields = ["id", "occurred_at", "actor", "kind", "details"]
        read_only_fields = fields


@cache
def _representer(representation: type[serializers.Serializer]) -> serializers.Serializer:
    # A ModelSerializer builds its fields from the model on first use; built once per process
    # instead of once per call. Safe to share: these serializers are read-only and keep no state
    # between `to_representation` calls.
    return representation()


def _plain(representation: type[serializers.Serializer], instance) -> dict[str, Any]:
    return dict(_representer(representation).to_representation(instance))


def contact_data(contact: Contact) -> dict[str, Any]:
    """Return a contact as the API shows it."""
    return _plain(ContactRepresentation, contact)


def conversation_data(conversation: Conversation) -> dict[str, Any]:
    """Return a conversation as the API shows it (pass one from `conversation_with_tags` or a
    selector that prefetches its tags)."""
    return _plain(ConversationRepresentation, conversation)


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    """Return a ticket as the API shows it (pass one from `ticket_with_tags` or a selector that
    prefetches its tags)."""
    return _plain(TicketRepresentation, ticket)


def scorecard_data(scorecard: Scorecard) -> dict[str, Any]:
    """Return a scorecard as the API shows it."""
    return _plain(ScorecardRepresentation, scorecard)


def agent_data(agent: Agent) -> dict[str, Any]:
    """Return an agent as the API shows it."""
    return _plain(AgentRepresentation, agent)


def training_attempt_data(attempt: TrainingAttempt) -> dict[str, Any]:
    """Return a training attempt as the API shows it."""
    return _plain(TrainingAttemptRepresentation, attempt)


def routing_rule_data(rule: RoutingRule) -> dict[str, Any]:
    """Return a routing rule as the API shows it."""
    return _plain(RoutingRuleRepresentation, rule)
