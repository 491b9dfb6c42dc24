"""Input of routing rules: conditions, the tickets an action selects, and actions."""

import re

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from omniflow import conditions
from omniflow.api.fields import PYTHON_SPACES, WholeItem
from omniflow.exceptions import RULE_ERROR_CODE
from omniflow.vendor_adapters.spectacular import field_schema_default

from ..models import Priority, RoutingRule, Ticket
from .fields import (
    MAX_ID,
    WorkspaceObjectField,
    json_problem,
)

# --- Routing rules ----------------------------------------------------------------------------

_SCALAR = (str, int, float, bool, type(None))


def _listed(names: list[str]) -> str:
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)


def _for_some_triggers(items) -> dict[str, list]:
    """Return {trigger: the items only rules of it may use}, from the registry."""
    found: dict[str, list] = {}
    for item in items:
        for trigger in sorted(item.triggers or ()):
            found.setdefault(trigger, []).append(item)
    return found


def condition_field_pattern() -> str:
    """What `ConditionInput.validate_field` admits, as the schema's pattern (the registry's
    fields; spaces around are stripped before the check)."""
    spaces = f"[{PYTHON_SPACES}]*"
    plain = "|".join(re.escape(f.name) for f in conditions.fields() if not f.is_prefix)
    prefixed = "|".join(
        f"{re.escape(f.name)}(?:{f.path_pattern})" for f in conditions.fields() if f.is_prefix
    )
    return f"^{spaces}(?:(?:{plain}){spaces}|{prefixed})$"


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


class ConditionFieldName(serializers.CharField):
    """A condition's field: its pattern (`ConditionFieldNameSchema`) is what
    `ConditionInput.validate_field` admits."""


class ConditionFieldNameSchema(OpenApiSerializerFieldExtension):
    # drf-spectacular's public extension point: the pattern is read from the registry when the
    # document is built, after every app registered its fields.
    target_class = ConditionFieldName
    priority = 1  # before NonBlankStringField (omniflow/api/schema.py), whose pattern it replaces

    def map_serializer_field(self, auto_schema, direction):
        schema = field_schema_default(auto_schema, self.target, direction)
        return {**schema, "maxLength": 200, "pattern": condition_field_pattern()}


class ConditionInput(WholeItem):
    # The fields and operators are the registry's (omniflow.conditions), filled in by the apps'
    # ready(): they are read when a serializer is built, not when this module is imported.
    field = ConditionFieldName(max_length=200)
    operator = serializers.ChoiceField(choices=())
    value = ConditionValueField(
        allow_null=True, help_text="A string, number or boolean; a list of them for `in`."
    )

    def get_fields(self):
        fields = super().get_fields()
        everywhere = [f for f in conditions.fields() if f.triggers is None]
        plain = ", ".join(f.name for f in everywhere if not f.is_prefix)
        prefixed = " or ".join(f.help for f in everywhere if f.is_prefix)
        help_text = f"One of {plain}, or {prefixed}"
        for trigger, some in _for_some_triggers(conditions.fields()).items():
            help_text += f"; on an {trigger} rule also {' or '.join(f.help for f in some)}"
        fields["field"].help_text = help_text + "."
        fields["operator"].choices = [operator.name for operator in conditions.operators()]
        fields["operator"].help_text = " ".join(
            f"{_listed([o.name for o in some])} are for {trigger} rules."
            for trigger, some in _for_some_triggers(conditions.operators()).items()
        )
        return fields

    def validate_field(self, field):
        if conditions.field_get(field) is None:
            raise serializers.ValidationError(f"Unknown condition field '{field}'.")
        return field

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
        # Which of the two the operator takes is a rule across fields (422).
        if isinstance(value, list) != conditions.operator_get(attrs["operator"]).takes_list:
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


class ActionInput(WholeItem):
    # The types, and the arguments each needs and may carry, are the registry's
    # (omniflow.conditions); every argument any type takes is declared here, for the schema.
    type = serializers.ChoiceField(choices=())
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

    def get_fields(self):
        fields = super().get_fields()
        fields["type"].choices = [kind.name for kind in conditions.action_types()]
        everywhere = [kind.name for kind in conditions.action_types() if kind.triggers is None]
        fields["type"].help_text = (
            f"{_listed(everywhere)} act on the conversation; "
            + "; ".join(
                f"the others are for {trigger} rules"
                for trigger in _for_some_triggers(conditions.action_types())
            )
            + "."
        )
        return fields

    def validate(self, attrs):
        action_type = conditions.action_type_get(attrs["type"])
        for name in action_type.needs:
            if name not in attrs:
                raise serializers.ValidationError(
                    {name: [f"Required for a {attrs['type']} action."]}, code=RULE_ERROR_CODE
                )
        if action_type.check and (problems := action_type.check(attrs)):
            raise serializers.ValidationError(
                {name: [problem] for name, problem in problems.items()}, code=RULE_ERROR_CODE
            )
        kept = {"type": attrs["type"]}
        for name in (*action_type.needs, *action_type.may):
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
