"""The inbound rule builder of Settings: a rule's conditions and actions as rows of fields.

No JSON to write: each condition is a row (field, operator, value) and each action a row (what
to do and its arguments), two server-rendered formsets. What the rows add up to is checked by
the API's own rule serializers, so the page and the API accept the same rules.
"""

import json
from typing import Any

from django import forms
from django.forms import formset_factory

from inbox.models import Priority, RoutingRule, Ticket
from omniflow import conditions
from workspaces.models import Membership, Workspace

from .rule_vocabulary import TICKET_ACTION_TYPES

INBOUND = RoutingRule.Trigger.INBOUND
ACTION_LABELS = {
    "tag": "Tag the conversation",
    "untag": "Remove a tag from the conversation",
    "assign": "Assign the conversation",
    "set_priority": "Set the conversation's priority",
    "set_ticket_status": "Set tickets' status",
    "set_ticket_priority": "Set tickets' priority",
    "upsert_contact": "Create or update a contact",
    "trace_note": "Add a note to the trace",
}
# Which action types each argument belongs to: the page shows a row's relevant ones only.
ARGUMENT_ACTIONS = {
    "tag": "tag untag",
    "assignee": "assign upsert_contact",
    "priority": "set_priority set_ticket_priority",
    "status": "set_ticket_status",
    "note": "trace_note",
    "email_path": "upsert_contact",
    "external_id_path": "upsert_contact",
    "name_path": "upsert_contact",
    "selector_tag": "set_ticket_status set_ticket_priority",
    "selector_tag_path": "set_ticket_status set_ticket_priority",
    "selector_conversation": "set_ticket_status set_ticket_priority",
    "selector_open_since_minutes": "set_ticket_status set_ticket_priority",
    "selector_statuses": "set_ticket_status set_ticket_priority",
}
_SELECTOR_PREFIX = "selector_"


def parse_value(text: str, *, operator: str) -> Any:
    """Read a condition's value as typed: numbers and true/false as such, quotes keep text."""
    text = text.strip()
    if operator == "exists":
        return text.lower() not in ("no", "false", "0")
    if (found := conditions.operator_get(operator)) and found.takes_list:
        return [parse_value(item, operator="equals") for item in text.split(",") if item.strip()]
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, str | int | float | bool) else text


def value_input(value: Any) -> str:
    """Return what the value field shows for a stored value (the inverse of `parse_value`)."""
    if isinstance(value, list):
        return ", ".join(value_input(item) for item in value)
    if isinstance(value, str):
        # Text that would read back as a number or true/false keeps its quotes.
        return json.dumps(value) if parse_value(value, operator="equals") != value else value
    return json.dumps(value)


class ConditionForm(forms.Form):
    field = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={"list": "condition-fields", "placeholder": "payload.order.status"}
        ),
    )
    operator = forms.ChoiceField(required=False)  # choices: the registry's (__init__)
    value = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "shipped"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        found = conditions.operators(trigger=INBOUND)
        self.fields["operator"].choices = [("", "—"), *((o.name, o.words) for o in found)]

    def clean(self):
        cleaned_data = super().clean()
        if self.has_changed() and not self.cleaned_data.get("DELETE"):
            for name in ("field", "operator"):
                if not cleaned_data.get(name):
                    self.add_error(name, "Fill this in, or tick Remove.")
        return cleaned_data

    def condition(self) -> dict[str, Any]:
        operator = self.cleaned_data["operator"]
        return {
            "field": self.cleaned_data["field"].strip(),
            "operator": operator,
            "value": parse_value(self.cleaned_data["value"], operator=operator),
        }


class ActionForm(forms.Form):
    type = forms.ChoiceField(label="Do", required=False)  # choices: the registry's (__init__)
    tag = forms.CharField(max_length=64, required=False)
    assignee = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    priority = forms.ChoiceField(choices=[("", "—"), *Priority.choices], required=False)
    status = forms.ChoiceField(choices=[("", "—"), *Ticket.Status.choices], required=False)
    note = forms.CharField(max_length=2000, required=False)
    email_path = forms.CharField(max_length=200, required=False, label="Email at payload path")
    external_id_path = forms.CharField(
        max_length=200, required=False, label="External id at payload path"
    )
    name_path = forms.CharField(max_length=200, required=False, label="Name at payload path")
    selector_tag = forms.CharField(max_length=64, required=False, label="Tickets tagged")
    selector_tag_path = forms.CharField(
        max_length=200, required=False, label="… or tagged with the payload's value at"
    )
    selector_conversation = forms.BooleanField(
        required=False, label="Only the tickets of the payload's conversation"
    )
    selector_open_since_minutes = forms.IntegerField(
        min_value=1, max_value=525_600, required=False, label="Opened in the last (minutes)"
    )
    selector_statuses = forms.MultipleChoiceField(
        choices=Ticket.Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="With status (none ticked: open and pending)",
    )

    def __init__(self, *args, members: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        kinds = [kind.name for kind in conditions.action_types(trigger=INBOUND)]
        self.fields["type"].choices = [("", "—"), *((k, ACTION_LABELS.get(k, k)) for k in kinds)]
        self.fields["assignee"].choices = [("", "—"), *members]
        for name, actions in ARGUMENT_ACTIONS.items():
            self.fields[name].widget.attrs["data-actions"] = actions

    def clean(self):
        cleaned_data = super().clean()
        if self.has_changed() and not cleaned_data.get("DELETE") and not cleaned_data.get("type"):
            self.add_error("type", "Choose what to do, or tick Remove.")
        return cleaned_data

    def argument_rows(self) -> list[dict]:
        """Return the argument fields with the action types each belongs to."""
        return [
            {"field": self[name], "actions": ARGUMENT_ACTIONS[name]} for name in ARGUMENT_ACTIONS
        ]

    def action(self) -> dict[str, Any]:
        data = self.cleaned_data
        action: dict[str, Any] = {"type": data["type"]}
        selector: dict[str, Any] = {}
        for name, actions in ARGUMENT_ACTIONS.items():
            value = data.get(name)
            if data["type"] not in actions.split() or value in (None, "", [], False):
                continue
            if name.startswith(_SELECTOR_PREFIX):
                selector[name[len(_SELECTOR_PREFIX) :]] = value
            else:
                action[name] = value
        if data["type"] in TICKET_ACTION_TYPES:
            action["selector"] = selector
        return action


def action_initial(action: dict[str, Any]) -> dict[str, Any]:
    """Return an action row's initial values from a stored action."""
    initial = {key: value for key, value in action.items() if key != "selector"}
    for key, value in (action.get("selector") or {}).items():
        initial[_SELECTOR_PREFIX + key] = value
    return initial


def condition_initial(condition: dict[str, Any]) -> dict[str, Any]:
    """Return a condition row's initial values from a stored condition."""
    return {**condition, "value": value_input(condition.get("value"))}


ConditionFormSet = formset_factory(ConditionForm, extra=1, can_delete=True, max_num=20)
ActionFormSet = formset_factory(ActionForm, extra=1, can_delete=True, max_num=10)


class RuleBuilderForm(forms.Form):
    """A rule's own fields; its conditions and actions are the two formsets beside it."""

    name = forms.CharField(max_length=200)
    is_active = forms.BooleanField(required=False, initial=True, label="Enabled")
    event_name = forms.CharField(
        max_length=100, required=False, help_text="Only custom events of this name (optional)."
    )
    max_tickets = forms.IntegerField(
        min_value=1,
        max_value=10_000,
        required=False,
        label="Most tickets per firing",
        help_text="Empty: the server's OMNIFLOW_INBOUND_RULE_MAX_TICKETS.",
    )


def member_choices(workspace: Workspace) -> list[tuple[int, str]]:
    """Return the workspace's members as (user id, email) for the assignee lists."""
    return [
        (membership.user_id, membership.user.email or membership.user.username)
        for membership in Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__email")
    ]


def condition_field_suggestions(payload_schema: dict) -> list[str]:
    """Return the fields a condition may read: the payload's paths, then the conversation's."""
    paths: list[str] = []

    def walk(schema: dict, prefix: str) -> None:
        for name, inner in (schema.get("properties") or {}).items():
            path = f"{prefix}.{name}" if prefix else name
            if isinstance(inner, dict) and inner.get("type") == "object":
                walk(inner, path)
            else:
                paths.append(f"payload.{path}")

    walk(payload_schema or {}, "")
    fields = conditions.fields(trigger=INBOUND)
    return [*paths[:100], *(field.name for field in fields if not field.is_prefix)]


class RuleBuilder:
    """The rule form and its two formsets, bound or not, checked as the API checks a rule."""

    def __init__(
        self, *, workspace: Workspace, trigger, data=None, rule=None, initial: dict | None = None
    ):
        self.workspace = workspace
        stored = initial or {}
        if rule is not None:
            stored = {
                "name": rule.name,
                "is_active": rule.is_active,
                "event_name": rule.event_name,
                "max_tickets": rule.max_tickets,
                "conditions": rule.conditions,
                "actions": rule.actions,
            }
        data = _with_added_row(data)
        own = {key: value for key, value in stored.items() if key not in ("conditions", "actions")}
        self.form = RuleBuilderForm(data, initial=own or {"is_active": True})
        self.conditions = ConditionFormSet(
            data,
            prefix="conditions",
            initial=[condition_initial(item) for item in stored.get("conditions", [])],
        )
        self.actions = ActionFormSet(
            data,
            prefix="actions",
            initial=[action_initial(item) for item in stored.get("actions", [])],
            form_kwargs={"members": member_choices(workspace)},
        )
        self.field_suggestions = condition_field_suggestions(trigger.payload_schema)
        self.adding = bool(data is not None and data.get("add"))

    def forms(self) -> list[forms.Form]:
        return [self.form, *self.conditions.forms, *self.actions.forms]

    def is_valid(self) -> bool:
        """Tell whether the rule is complete and the API's checks accept its rows."""
        from inbox.api.rule_serializers import ActionInput, ConditionInput

        if self.adding:
            return False  # "Add a condition / an action" redraws the form, one row longer
        valid = all([self.form.is_valid(), self.conditions.is_valid(), self.actions.is_valid()])
        if not valid:
            return False
        self.rule_conditions = self._checked(self.conditions, "condition", ConditionInput)
        self.rule_actions = self._checked(self.actions, "action", ActionInput)
        if not self.rule_actions and not self.errors():
            self.form.add_error(None, "Give at least one action.")
        return not self.errors()

    def _checked(self, formset, kind: str, serializer_class) -> list[dict]:
        items = []
        for form in formset.forms:
            if not form.has_changed() or form.cleaned_data.get("DELETE"):
                continue
            item = getattr(form, kind)()
            serializer = serializer_class(data=item, context={"workspace": self.workspace})
            if not serializer.is_valid():
                for name, problems in serializer.errors.items():
                    target = name if name in form.fields else None
                    for problem in _flat(problems):
                        form.add_error(target, problem)
                continue
            items.append(dict(serializer.validated_data))
        return items

    def errors(self) -> list[str]:
        """Return every error of the form and its rows, each once, for the summary on top."""
        summary = []
        for form in self.forms():
            for name, problems in form.errors.items():
                label = form.fields[name].label or name.replace("_", " ").capitalize()
                where = "" if name == "__all__" else f"{label}: "
                summary.extend(f"{where}{problem}" for problem in problems)
        for formset in (self.conditions, self.actions):
            summary.extend(formset.non_form_errors())
        return summary

    def rule_fields(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        return {
            "name": data["name"],
            "is_active": data["is_active"],
            "event_name": data["event_name"],
            "max_tickets": data["max_tickets"],
            "conditions": self.rule_conditions,
            "actions": self.rule_actions,
        }


def _flat(problems) -> list[str]:
    if isinstance(problems, dict):
        return [f"{key}: {text}" for key, value in problems.items() for text in _flat(value)]
    if isinstance(problems, list):
        return [text for item in problems for text in _flat(item)]
    return [str(problems)]


def _with_added_row(data):
    """Return the posted data with one more empty row where "Add …" was pressed."""
    if data is None or data.get("add") not in ("conditions", "actions"):
        return data
    data = data.copy()
    name = f"{data['add']}-TOTAL_FORMS"
    if data.get(name, "").isdigit():
        data[name] = str(int(data[name]) + 1)
    return data
