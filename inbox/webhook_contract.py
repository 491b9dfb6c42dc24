"""The bodies of the events the inbox emits, as serializers: the contract consumers code to.

Each `data` is the resource's API representation (the very serializer the services use to build
the payload), so the JSON Schema derived from these (webhooks/event_schemas.py) cannot drift.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webhooks.event_schemas import event_body_serializer_register
from webhooks.events import CATALOGUE, EventType

from .representations import (
    AgentRepresentation,
    ConversationRepresentation,
    ScorecardRepresentation,
    TicketRepresentation,
    TrainingAttemptRepresentation,
)


class _Envelope(serializers.Serializer):
    id = serializers.CharField(help_text="The event id (`evt_…`), also sent as `webhook-id`.")
    created_at = serializers.DateTimeField()
    workspace = serializers.CharField(help_text="The workspace's slug.")
    test = serializers.BooleanField(
        required=False, help_text='Present (true) only on a test event ("Send test event").'
    )


def _previous(representation, fields: list[str], name: str):
    """The `previous_attributes` of a change: the earlier values of the fields that changed,
    a subset of these (webhooks/event_schemas.py makes none of them required)."""
    meta = type("Meta", (representation.Meta,), {"fields": fields, "read_only_fields": fields})
    return type(name, (representation,), {"Meta": meta})


class _RuleRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _InboundTriggerRef(serializers.Serializer):
    id = serializers.CharField(help_text="The inbound trigger's public id.")
    name = serializers.CharField()


@extend_schema_field({"description": "Any JSON value (null included)."})
class _AnyValue(serializers.JSONField):
    pass


class _Change(serializers.Serializer):
    action = serializers.CharField(
        help_text="What the rule did: tag, untag, assign, set_priority, set_ticket_status, …"
    )
    # Routing rules' assign / set_priority report the field's value before and after.
    from_ = _AnyValue(required=False, help_text="The value before (assign, set_priority).")
    to = _AnyValue(required=False, help_text="The value after (assign, set_priority).")
    conversation_id = serializers.IntegerField(required=False)
    ticket_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    tag = serializers.CharField(required=False)
    skipped = serializers.CharField(required=False, help_text="Why the action did nothing.")


# `from` is a Python keyword: the field is declared as `from_` and renamed here.
_Change._declared_fields["from"] = _Change._declared_fields.pop("from_")


class _ToolSnapshot(serializers.Serializer):
    """A tool as the published version keeps it (agent tools' snapshot; no secret)."""

    id = serializers.IntegerField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    input_schema = serializers.DictField(help_text="JSON Schema of the arguments.")
    method = serializers.CharField()
    url_template = serializers.CharField()
    query_arguments = serializers.ListField(child=serializers.CharField())
    body_arguments = serializers.ListField(child=serializers.CharField())
    body_argument = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    auth = serializers.CharField()
    auth_header_name = serializers.CharField()
    timeout_seconds = serializers.FloatField()
    max_response_bytes = serializers.IntegerField()


class AgentPublishedData(AgentRepresentation):
    tools = _ToolSnapshot(many=True, help_text="The tools this published version may call.")

    class Meta(AgentRepresentation.Meta):
        fields = [*AgentRepresentation.Meta.fields, "tools"]


class _PublishedVersionChange(serializers.Serializer):
    published_version = serializers.IntegerField(
        required=False, help_text="The version published before (on a republish only)."
    )


class AutomationData(serializers.Serializer):
    rule = _RuleRef(help_text="The rule that fired.")
    inbound_trigger = _InboundTriggerRef(
        allow_null=True, help_text="The inbound webhook that fired it (null: a routing rule)."
    )
    conversation = ConversationRepresentation(
        allow_null=True, help_text="The conversation as it is after the rule (if any)."
    )
    changes = _Change(many=True, help_text="What the rule did, one entry per action.")
    capped = serializers.BooleanField(help_text="Whether `max_tickets` stopped it short.")


def _body(event_type: str, data, previous=None) -> type[serializers.Serializer]:
    fields = {
        "type": serializers.ChoiceField(choices=[event_type]),
        "data": data,
    }
    if previous is not None:
        fields["previous_attributes"] = previous
    name = "".join(part.title() for part in event_type.replace("_", ".").split(".")) + "Event"
    return type(name, (_Envelope,), fields)


_CONVERSATION_CHANGE = _previous(
    ConversationRepresentation,
    ["status", "resolved_at", "priority", "assignee", "tags"],
    "ConversationPreviousAttributes",
)
BODIES = {
    EventType.CONVERSATION_CREATED: _body(
        EventType.CONVERSATION_CREATED, ConversationRepresentation()
    ),
    EventType.CONVERSATION_RESOLVED: _body(
        EventType.CONVERSATION_RESOLVED, ConversationRepresentation(), _CONVERSATION_CHANGE()
    ),
    EventType.TICKET_CREATED: _body(EventType.TICKET_CREATED, TicketRepresentation()),
    EventType.TICKET_STATUS_CHANGED: _body(
        EventType.TICKET_STATUS_CHANGED,
        TicketRepresentation(),
        _previous(TicketRepresentation, ["status"], "TicketPreviousAttributes")(),
    ),
    EventType.SCORECARD_CREATED: _body(EventType.SCORECARD_CREATED, ScorecardRepresentation()),
    EventType.AGENT_PUBLISHED: _body(
        EventType.AGENT_PUBLISHED, AgentPublishedData(), _PublishedVersionChange(required=False)
    ),
    EventType.TRAINING_ATTEMPT_COMPLETED: _body(
        EventType.TRAINING_ATTEMPT_COMPLETED,
        TrainingAttemptRepresentation(),
        _previous(TrainingAttemptRepresentation, ["status"], "TrainingAttemptPreviousAttributes")(),
    ),
    # Routing rules also say what the changed fields were before (inbound rules do not).
    EventType.AUTOMATION_TRIGGERED: _body(
        EventType.AUTOMATION_TRIGGERED, AutomationData(), _CONVERSATION_CHANGE(required=False)
    ),
}
assert set(map(str, BODIES)) == set(CATALOGUE)


def register() -> None:
    """Register every body serializer with the webhook catalogue."""
    for event_type, serializer in BODIES.items():
        event_body_serializer_register(event_type=str(event_type), serializer=serializer)
