"""Input of routing rules: conditions, the tickets an action selects, and actions."""

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from omniflow.api.fields import PYTHON_SPACES, WholeItem
from omniflow.exceptions import RULE_ERROR_CODE

from ..models import Priority, RoutingRule, Ticket
from ..services.routing import (
    ATTRIBUTE_FIELD_PREFIX,
    CONDITION_FIELDS,
    INBOUND_ACTION_TYPES,
    INBOUND_OPERATORS,
    PAYLOAD_FIELD_PREFIX,
)
from .fields import (
    MAX_ID,
    WorkspaceObjectField,
    json_problem,
)

# --- Routing rules ----------------------------------------------------------------------------

_SCALAR = (str, int, float, bool, type(None))


# Python's whitespace (str.strip()'s), which DRF strips from the field before it checks it.
_SPACES = PYTHON_SPACES
_SEGMENT = f"[^.]*[^.{_SPACES}][^.]*"  # a dotted path's segment: not blank
# What validate_field admits, as the schema's pattern too (spaces around are stripped first).
CONDITION_FIELD_PATTERN = (
    f"^[{_SPACES}]*(?:(?:{'|'.join(CONDITION_FIELDS)})[{_SPACES}]*"
    f"|{re.escape(ATTRIBUTE_FIELD_PREFIX)}[\\s\\S]*[^{_SPACES}][{_SPACES}]*"
    f"|{re.escape(PAYLOAD_FIELD_PREFIX)}{_SEGMENT}(?:\\.{_SEGMENT})*)$"
)


_SCALAR_SCHEMAS = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]


@extend_schema_field(
    {
        "anyOf": [
            *_SCALAR_SCHEMAS,
            {"type": "array", "items": {"anyOf": _SCALAR_SCHEMAS}, "maxItems": 100},
        ]
    }
)
class ConditionValueField(serializers.JSONField):
    """A scalar, or a list of at most 100 scalars (which of the two the operator takes is a rule
    across fields: 422)."""


@extend_schema_field({"type": "string", "maxLength": 200, "pattern": CONDITION_FIELD_PATTERN})
class ConditionFieldName(serializers.CharField):
    """A condition's field: its pattern is what `ConditionInput.validate_field` admits."""


class ConditionInput(WholeItem):
    field = ConditionFieldName(
        max_length=200,
        help_text=f"One of {', '.join(CONDITION_FIELDS)}, or custom_attributes.<key>; on an "
        "inbound rule also payload.<dotted.path>.",
    )
    operator = serializers.ChoiceField(
        choices=INBOUND_OPERATORS,
        help_text="exists, gt, gte, lt and lte are for inbound rules.",
    )
    value = ConditionValueField(
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
        shaped = isinstance(value, _SCALAR) or (
            isinstance(value, list)
            and len(value) <= 100
            and all(isinstance(item, _SCALAR) for item in value)
        )
        message = "Use a string, number or boolean, or a list of them with `in`."
        if not shaped or json_problem(value):
            raise serializers.ValidationError({"value": [message]})
        if isinstance(value, list) != (attrs["operator"] == "in"):
            raise serializers.ValidationError({"value": [message]}, code=RULE_ERROR_CODE)
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


class ActionInput(WholeItem):
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
                    {name: [f"Required for a {attrs['type']} action."]}, code=RULE_ERROR_CODE
                )
        if attrs["type"] == "upsert_contact" and not (
            attrs.get("email_path") or attrs.get("external_id_path")
        ):
            raise serializers.ValidationError(
                {"email_path": ["Say where the contact's email or external id is."]},
                code=RULE_ERROR_CODE,
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
        # The model the foreign key names: the inbox imports nothing of `inbound`.
        queryset=RoutingRule._meta.get_field("inbound_trigger").related_model.objects.all(),
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
