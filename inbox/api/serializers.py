"""Input of the inbox API: request bodies and query filters. Output is in
inbox.representations, shared with webhook payloads."""

from rest_framework import serializers

from inbound.models import InboundTrigger

from ..models import Agent, Conversation, Message, Priority, RoutingRule, Ticket, TrainingAttempt
from ..services.routing import (
    ATTRIBUTE_FIELD_PREFIX,
    CONDITION_FIELDS,
    INBOUND_ACTION_TYPES,
    INBOUND_OPERATORS,
    PAYLOAD_FIELD_PREFIX,
)
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
                {"email": ["Give an email or an external_id to identify the contact."]}
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


class ScorecardInput(serializers.Serializer):
    conversation = WorkspaceObjectField(queryset=Conversation.objects.all())
    grader = serializers.CharField(max_length=200, help_text="Who graded, e.g. their email.")
    total_score = _score()
    criteria = serializers.DictField(
        child=_score(), required=False, help_text="Score per criterion name."
    )
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


# --- Routing rules ----------------------------------------------------------------------------

_SCALAR = (str, int, float, bool, type(None))


class ConditionInput(serializers.Serializer):
    field = serializers.CharField(
        max_length=200,
        help_text=f"One of {', '.join(CONDITION_FIELDS)}, or custom_attributes.<key>; on an "
        "inbound rule also payload.<dotted.path>.",
    )
    operator = serializers.ChoiceField(
        choices=INBOUND_OPERATORS,
        help_text="exists, gt, gte, lt and lte are for inbound rules.",
    )
    value = serializers.JSONField(
        allow_null=True, help_text="A string, number or boolean; a list of them for `in`."
    )

    def validate_field(self, field):
        if field in CONDITION_FIELDS:
            return field
        if field.startswith(ATTRIBUTE_FIELD_PREFIX) and len(field) > len(ATTRIBUTE_FIELD_PREFIX):
            return field
        if field.startswith(PAYLOAD_FIELD_PREFIX) and all(
            segment.strip() for segment in field[len(PAYLOAD_FIELD_PREFIX) :].split(".")
        ):
            return field
        raise serializers.ValidationError(f"Unknown condition field '{field}'.")

    def validate(self, attrs):
        value = attrs.get("value")
        if attrs["operator"] == "in":
            valid = isinstance(value, list) and len(value) <= 100
            valid = valid and all(isinstance(item, _SCALAR) for item in value)
        else:
            valid = isinstance(value, _SCALAR)
        if not valid or json_problem(value):
            raise serializers.ValidationError(
                {"value": ["Use a string, number or boolean, or a list of them with `in`."]}
            )
        return attrs


_PATH = {"max_length": 200, "required": False, "allow_blank": True}


class TicketSelectorInput(serializers.Serializer):
    """Which tickets a ticket action changes: all criteria given must hold."""

    tag = serializers.CharField(required=False, max_length=64, help_text="Tickets with this tag.")
    tag_path = serializers.CharField(
        **_PATH, help_text="Tickets tagged with the payload's value here, e.g. incident.component."
    )
    attribute = serializers.RegexField(
        r"^[A-Za-z0-9_]{1,64}$",
        required=False,
        help_text="Tickets whose conversation has this custom attribute …",
    )
    attribute_value = serializers.JSONField(required=False, help_text="… with this value …")
    attribute_value_path = serializers.CharField(**_PATH, help_text="… or the payload's here.")
    conversation = serializers.BooleanField(
        required=False, help_text="Tickets of the conversation the payload names."
    )
    open_since_minutes = serializers.IntegerField(
        required=False, min_value=1, max_value=525_600, help_text="Tickets opened this recently."
    )
    statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=Ticket.Status.choices),
        required=False,
        max_length=5,
        help_text="Default: open and pending.",
    )


# What each action type needs, and may carry.
ACTION_FIELDS = {
    "assign": (("assignee",), ()),
    "tag": (("tag",), ()),
    "untag": (("tag",), ()),
    "set_priority": (("priority",), ()),
    "set_ticket_status": (("status", "selector"), ()),
    "set_ticket_priority": (("priority", "selector"), ()),
    "upsert_contact": ((), ("email_path", "external_id_path", "name_path", "assignee")),
    "trace_note": (("note",), ()),
}


class ActionInput(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=INBOUND_ACTION_TYPES,
        help_text="assign, tag and set_priority act on the conversation; the others are for "
        "inbound rules.",
    )
    assignee = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="For assign, upsert_contact.",
    )
    tag = serializers.CharField(required=False, max_length=64, help_text="For tag, untag.")
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        required=False,
        help_text="For set_priority, set_ticket_priority.",
    )
    status = serializers.ChoiceField(
        choices=Ticket.Status.choices, required=False, help_text="For set_ticket_status."
    )
    selector = TicketSelectorInput(required=False, help_text="For the ticket actions.")
    email_path = serializers.CharField(**_PATH, help_text="For upsert_contact.")
    external_id_path = serializers.CharField(**_PATH, help_text="For upsert_contact.")
    name_path = serializers.CharField(**_PATH, help_text="For upsert_contact.")
    note = serializers.CharField(required=False, max_length=2000, help_text="For trace_note.")

    def validate(self, attrs):
        needed, optional = ACTION_FIELDS[attrs["type"]]
        for name in needed:
            if name not in attrs:
                raise serializers.ValidationError(
                    {name: [f"Required for a {attrs['type']} action."]}
                )
        if attrs["type"] == "upsert_contact" and not (
            attrs.get("email_path") or attrs.get("external_id_path")
        ):
            raise serializers.ValidationError(
                {"email_path": ["Say where the contact's email or external id is."]}
            )
        kept = {"type": attrs["type"]}
        for name in (*needed, *optional):
            if name in attrs:
                kept[name] = dict(attrs[name]) if name == "selector" else attrs[name]
        return kept


class RoutingRuleInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    trigger = serializers.ChoiceField(choices=RoutingRule.Trigger.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(
        required=False, min_value=0, max_value=1_000_000, help_text="Rules apply in this order."
    )
    conditions = ConditionInput(
        many=True, max_length=20, help_text="All must hold; none means always."
    )
    actions = ActionInput(many=True, min_length=1, max_length=10)
    inbound_trigger = WorkspaceObjectField(
        queryset=InboundTrigger.objects.all(),
        required=False,
        allow_null=True,
        help_text="trigger=inbound: the inbound trigger whose events fire the rule (null: any).",
    )
    event_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="trigger=inbound: only custom events of this name.",
    )
    max_tickets = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=10_000,
        help_text="Most tickets one firing changes (default OMNIFLOW_INBOUND_RULE_MAX_TICKETS).",
    )
