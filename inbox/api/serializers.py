"""Input of the inbox API: request bodies and query filters. Output is in
inbox.representations, shared with webhook payloads."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from omniflow.exceptions import RULE_ERROR_CODE

from ..models import Agent, Conversation, Message, Priority, Ticket, TrainingAttempt
from .fields import (
    MAX_ID,
    JSONObjectField,
    WorkspaceMemberField,
    WorkspaceObjectField,
    json_problem,
    tag_list_field,
)

MAX_TEXT = 100_000
MAX_SCORE = 1_000_000.0


def _text(**kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=MAX_TEXT, **kwargs)


def _id_filter(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=help_text
    )


def _score(**kwargs) -> serializers.FloatField:
    return serializers.FloatField(min_value=-MAX_SCORE, max_value=MAX_SCORE, **kwargs)


# --- Contacts ---------------------------------------------------------------------------------


class ContactInput(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=200)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=50)
    custom_attributes = JSONObjectField(
        required=False, help_text="Merged into the contact's attributes; null removes a key."
    )
    assignee = WorkspaceMemberField(required=False, allow_null=True)

    def validate(self, attrs):
        if not self.partial and not (attrs.get("email") or attrs.get("external_id")):
            raise serializers.ValidationError(
                {"email": ["Give an email or an external_id to identify the contact."]},
                code=RULE_ERROR_CODE,
            )
        return attrs


class TranscriptContactInput(ContactInput):
    assignee = None


class ContactFilters(serializers.Serializer):
    email = serializers.CharField(required=False, max_length=254)
    external_id = serializers.CharField(required=False, max_length=200)
    updated_after = serializers.DateTimeField(required=False)
    updated_before = serializers.DateTimeField(required=False)


# --- Conversations ----------------------------------------------------------------------------


class MessageInput(serializers.Serializer):
    author_type = serializers.ChoiceField(choices=Message.AuthorType.choices)
    author_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    body = _text()
    created_at = serializers.DateTimeField(help_text="When the message was originally sent.")


class ConversationCreateInput(serializers.Serializer):
    external_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The conversation's id in the source system; unique in the workspace.",
    )
    channel = serializers.ChoiceField(choices=Conversation.Channel.choices, required=False)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=500)
    status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    contact = TranscriptContactInput(
        required=False, help_text="Upserted by external_id or email on the way in."
    )
    assignee = WorkspaceMemberField(required=False, allow_null=True)
    tags = tag_list_field(required=False)
    custom_attributes = JSONObjectField(required=False)
    started_at = serializers.DateTimeField(
        required=False, help_text="Defaults to the first message's time."
    )
    messages = MessageInput(many=True, required=False, max_length=1000)


class ConversationUpdateInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=500)
    assignee = WorkspaceMemberField(required=False, allow_null=True)
    tags = tag_list_field(required=False)
    custom_attributes = JSONObjectField(
        required=False, help_text="Merged into the attributes; null removes a key."
    )


class ConversationFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
    channel = serializers.ChoiceField(choices=Conversation.Channel.choices, required=False)
    contact = _id_filter("Contact id.")
    assignee = _id_filter("User id of the assignee.")
    tag = serializers.CharField(required=False, max_length=64)
    external_id = serializers.CharField(required=False, max_length=200)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    updated_after = serializers.DateTimeField(required=False)
    updated_before = serializers.DateTimeField(required=False)


# --- Tickets ----------------------------------------------------------------------------------


class TicketInput(serializers.Serializer):
    subject = serializers.CharField(max_length=500)
    description = _text(required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    conversation = WorkspaceObjectField(
        queryset=Conversation.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the conversation the ticket follows up.",
    )
    tags = tag_list_field(required=False)


class TicketFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    conversation = _id_filter("Conversation id.")
    tag = serializers.CharField(required=False, max_length=64)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    updated_after = serializers.DateTimeField(required=False)
    updated_before = serializers.DateTimeField(required=False)


# --- Scorecards -------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "type": "number",
            "format": "double",
            "minimum": -MAX_SCORE,
            "maximum": MAX_SCORE,
        },
        # What validate_criteria admits.
        "maxProperties": 100,
        "propertyNames": {"minLength": 1, "maxLength": 200},
    }
)
class CriteriaField(serializers.DictField):
    """Scores by criterion name: at most 100, each name 1 to 200 characters."""


class ScorecardInput(serializers.Serializer):
    conversation = WorkspaceObjectField(queryset=Conversation.objects.all())
    grader = serializers.CharField(max_length=200, help_text="Who graded, e.g. their email.")
    total_score = _score()
    criteria = CriteriaField(child=_score(), required=False, help_text="Score per criterion name.")
    comment = _text(required=False, allow_blank=True)

    def validate_criteria(self, criteria):
        if len(criteria) > 100:
            raise serializers.ValidationError("At most 100 criteria.")
        for name in criteria:
            if not name or len(name) > 200 or json_problem(name):
                raise serializers.ValidationError(f"Invalid criterion name {name!r}.")
        return criteria


class ScorecardFilters(serializers.Serializer):
    conversation = _id_filter("Conversation id.")
    grader = serializers.CharField(required=False, max_length=200)
    created_after = serializers.DateTimeField(required=False, help_text="Inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="Exclusive.")


class ScorecardExportFilters(ScorecardFilters):
    format = serializers.ChoiceField(
        choices=["ndjson", "csv"], required=False, default="ndjson", help_text="Row format."
    )


# --- Agents and training ----------------------------------------------------------------------


class AgentInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = _text(required=False, allow_blank=True)
    configuration = JSONObjectField(
        required=False, help_text="The draft configuration: prompt, tools, model settings."
    )


class AgentPublishInput(serializers.Serializer):
    configuration = JSONObjectField(
        required=False, help_text="Replaces the draft before publishing it; else the draft as is."
    )


class AgentFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Agent.Status.choices, required=False)


class TrainingAttemptInput(serializers.Serializer):
    trainee = serializers.CharField(max_length=200, help_text="Who practises, e.g. their email.")
    scenario = serializers.CharField(max_length=200)
    started_at = serializers.DateTimeField(required=False)


class TrainingAttemptCompleteInput(serializers.Serializer):
    score = _score()
    feedback = _text(required=False, allow_blank=True)
    completed_at = serializers.DateTimeField(required=False)


class TrainingAttemptFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=TrainingAttempt.Status.choices, required=False)
    trainee = serializers.CharField(required=False, max_length=200)
