"""Input fields of the inbox API that make bad input a 400, never a database error."""

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workspaces.models import Membership

MAX_ID = 2**63 - 1
MAX_JSON_DEPTH = 10


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Return why a JSON value cannot be stored (PostgreSQL refuses NUL characters), or None."""
    if depth > MAX_JSON_DEPTH:
        return f"Nested deeper than {MAX_JSON_DEPTH} levels."
    if isinstance(value, str):
        return "Null characters are not allowed." if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = json_problem(key, depth) or json_problem(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = json_problem(item, depth + 1)
            if problem:
                return problem
    return None


@extend_schema_field(
    {"type": "object", "additionalProperties": True, "description": "Free-form JSON object."}
)
class JSONObjectField(serializers.JSONField):
    """A JSON object with storable content."""

    default_error_messages = {"not_object": "Expected a JSON object."}

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if not isinstance(data, dict):
            self.fail("not_object")
        problem = json_problem(data)
        if problem:
            raise serializers.ValidationError(problem)
        return data


def _integral(value: Any) -> Any:
    """Return 7.0 as 7: JSON Schema's "integer" is any number without a fraction."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


@extend_schema_field(ID_SCHEMA)
class WorkspaceObjectField(serializers.Field):
    """The integer id of an object of the request's workspace; other workspaces' ids are unknown."""

    default_error_messages = {
        "invalid": "Expected an integer id.",
        "does_not_exist": "No object with id {value} in this workspace.",
    }

    def __init__(self, *, queryset, **kwargs):
        self.queryset = queryset
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        data = _integral(data)
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= MAX_ID:
            self.fail("invalid")
        workspace = self.context["workspace"]
        found = self.queryset.filter(workspace=workspace, pk=data).first()
        if found is None:
            self.fail("does_not_exist", value=data)
        return found

    def to_representation(self, value):
        return value.pk


@extend_schema_field(
    {**ID_SCHEMA, "description": "The member's id (`id` in GET /members): their user id."}
)
class WorkspaceMemberField(serializers.Field):
    """The user id of a member of the request's workspace."""

    default_error_messages = {
        "invalid": "Expected an integer user id.",
        "not_member": "User {value} is not a member of this workspace.",
    }

    def to_internal_value(self, data):
        data = _integral(data)
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= MAX_ID:
            self.fail("invalid")
        membership = Membership.objects.filter(workspace=self.context["workspace"], user_id=data)
        if not membership.exists():
            self.fail("not_member", value=data)
        return get_user_model().objects.get(pk=data)

    def to_representation(self, value):
        return value.pk


def tag_list_field(**kwargs) -> serializers.ListField:
    """Return a field for a list of tag names."""
    return serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=False),
        max_length=50,
        help_text="Tag names; a tag is created on first use.",
        **kwargs,
    )
