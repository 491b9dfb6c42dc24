import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inbox.api.fields import JSONObjectField, WorkspaceObjectField, json_problem
from inbox.models import Conversation
from omniflow.api.fields import PYTHON_SPACES, DestinationURLTemplateField

from ..exports import FORMATS
from ..models import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RATE_LIMIT,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_RESPONSE_BYTES,
    MAX_TIMEOUT_SECONDS,
    AgentTool,
    ToolCall,
)
from ..services.tools import FORBIDDEN_HEADERS, HEADER_NAME, RESERVED_HEADERS


def _any_case(word: str) -> str:
    """Return a pattern of `word` in any case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


_SPACES = PYTHON_SPACES
_REFUSED_NAMES = sorted(FORBIDDEN_HEADERS | RESERVED_HEADERS)
# A header name a tool may send: a token, neither hop-by-hop, a credential nor set by the call.
_HEADER_NAME = (
    f"(?!(?:{'|'.join(map(_any_case, _REFUSED_NAMES))})(?![!#$%&'*+.^_`|~0-9A-Za-z-]))"
    + HEADER_NAME.pattern.removeprefix("^").removesuffix("$")
)
# Visible ASCII and spaces once stripped (a header value, a secret).
_HEADER_VALUE_PATTERN = f"^[{_SPACES}]*(?:[\\x20-\\x7e]*[\\x21-\\x7e])?[{_SPACES}]*$"


# What the tool checks admit of its static headers: a token of a name that is neither hop-by-hop,
# a credential nor set by the call, and a value of visible ASCII and spaces (stripped first).
@extend_schema_field(
    {
        "type": "object",
        "propertyNames": {"pattern": f"^{_HEADER_NAME}$"},
        "additionalProperties": {
            "type": "string",
            "maxLength": 2000,
            "pattern": _HEADER_VALUE_PATTERN,
        },
    }
)
class HeadersField(serializers.DictField):
    child = serializers.CharField(max_length=2000, allow_blank=True)


@extend_schema_field(
    {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"const": "object"}},
        "additionalProperties": True,
    }
)
class ObjectSchemaField(JSONObjectField):
    """A JSON Schema whose top level is an object (what function-calling runtimes take)."""


class AuthHeaderNameField(serializers.RegexField):
    """The header a tool's secret goes in. Stripped first; the schema adds "" (allow_blank)
    beside the pattern, which must not match it."""

    default_error_messages = {
        "invalid": "Name a header a tool may send (not hop-by-hop, a credential or set by the "
        "call), e.g. X-Api-Key."
    }

    def __init__(self, **kwargs):
        super().__init__(f"^(?=[\\s\\S])[{_SPACES}]*(?:{_HEADER_NAME})?[{_SPACES}]*$", **kwargs)


class ToolInput(serializers.Serializer):
    name = serializers.RegexField(
        r"^[A-Za-z0-9_-]{1,64}$",
        max_length=64,
        error_messages={
            "invalid": "Use 1 to 64 letters, digits, _ or - (a function name models can call)."
        },
        help_text="The function name models call it by: letters, digits, _ or -.",
    )
    description = serializers.CharField(
        max_length=4096, required=False, allow_blank=True, help_text="Written for the model."
    )
    input_schema = ObjectSchemaField(
        help_text='A JSON Schema of the arguments, {"type": "object", ...}; only local $refs.'
    )
    method = serializers.ChoiceField(choices=AgentTool.Method.choices, required=False)
    url_template = DestinationURLTemplateField(
        max_length=2000,
        help_text="e.g. https://api.example.com/orders/{order_id}; placeholders are required "
        "arguments, URL-encoded into the path or query.",
    )
    query_arguments = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=100, required=False
    )
    body_arguments = serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=100,
        required=False,
        help_text="Arguments sent as the fields of a JSON body.",
    )
    body_argument = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="An argument whose value is the whole JSON body (instead of body_arguments).",
    )
    headers = HeadersField(required=False, help_text="Static headers sent with every call.")
    auth = serializers.ChoiceField(choices=AgentTool.Auth.choices, required=False)
    auth_header_name = AuthHeaderNameField(max_length=100, required=False, allow_blank=True)
    # The schema adds "" (allow_blank) beside the pattern, which must not match it then.
    secret = serializers.RegexField(
        "^(?=[\\s\\S])" + _HEADER_VALUE_PATTERN.removeprefix("^"),
        max_length=2000,
        required=False,
        allow_blank=True,
        write_only=True,
        error_messages={"invalid": "A secret may hold visible ASCII characters and spaces only."},
        help_text="Bearer token, header value or signing secret; stored encrypted, never shown.",
    )
    timeout_seconds = serializers.FloatField(
        min_value=0.1, max_value=MAX_TIMEOUT_SECONDS, required=False
    )
    max_response_bytes = serializers.IntegerField(
        min_value=1, max_value=MAX_RESPONSE_BYTES, required=False
    )
    rate_limit = serializers.CharField(max_length=20, required=False, help_text="e.g. 60/m.")
    max_concurrency = serializers.IntegerField(min_value=1, max_value=100, required=False)
    enabled = serializers.BooleanField(required=False)

    def validate(self, attrs):
        for field in ("name", "description", "url_template", "auth_header_name", "secret"):
            if "\x00" in attrs.get(field, ""):
                raise serializers.ValidationError({field: "Null characters are not allowed."})
        problem = json_problem(attrs.get("headers", {}))
        if problem:
            raise serializers.ValidationError({"headers": problem})
        return attrs


class ToolRepresentation(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    input_schema = serializers.JSONField()
    method = serializers.ChoiceField(choices=AgentTool.Method.choices)
    url_template = serializers.CharField()
    query_arguments = serializers.ListField(child=serializers.CharField())
    body_arguments = serializers.ListField(child=serializers.CharField())
    body_argument = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    auth = serializers.ChoiceField(choices=AgentTool.Auth.choices)
    auth_header_name = serializers.CharField()
    has_secret = serializers.SerializerMethodField()
    timeout_seconds = serializers.FloatField(help_text=f"Default {DEFAULT_TIMEOUT_SECONDS:g}.")
    max_response_bytes = serializers.IntegerField(
        help_text=f"Default {DEFAULT_MAX_RESPONSE_BYTES}."
    )
    rate_limit = serializers.CharField(help_text=f"Default {DEFAULT_RATE_LIMIT}.")
    max_concurrency = serializers.IntegerField(help_text=f"Default {DEFAULT_MAX_CONCURRENCY}.")
    enabled = serializers.BooleanField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_has_secret(self, tool: AgentTool) -> bool:
        return bool(tool.secret)


@extend_schema_field(
    {"oneOf": [{"type": "object", "additionalProperties": True}, {"type": "string"}]}
)
class OpenAPIDocumentField(serializers.JSONField):
    pass


class ToolUpdatedRepresentation(ToolRepresentation):
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the change did besides what was asked, e.g. a secret cleared because "
        "the URL's host changed.",
    )


class OpenAPIImportInput(serializers.Serializer):
    document = OpenAPIDocumentField(
        help_text="The OpenAPI 3 document: a JSON object, or its JSON or YAML text."
    )
    operations = serializers.ListField(
        child=serializers.CharField(max_length=300),
        max_length=200,
        required=False,
        help_text='Operations to import as "METHOD /path"; all of them if left out.',
    )
    base_url = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Where the API lives; the document's first server URL if left out.",
    )
    auth = serializers.ChoiceField(choices=AgentTool.Auth.choices, required=False)
    auth_header_name = AuthHeaderNameField(max_length=100, required=False, allow_blank=True)
    secret = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    headers = HeadersField(required=False)

    def validate_document(self, value):
        # Not stored: the tools made from it are checked (NUL characters included) on save.
        if not isinstance(value, dict | str):
            raise serializers.ValidationError("Give the document as a JSON object or its text.")
        return value


class OpenAPIImportResult(serializers.Serializer):
    tools = ToolRepresentation(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class AgentToolsInput(serializers.Serializer):
    tools = serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=100,
        help_text="Names of the workspace's tools the agent's draft may call.",
    )


class AgentToolsResult(serializers.Serializer):
    agent = serializers.IntegerField()
    tools = serializers.ListField(child=serializers.CharField())


class ExportFilters(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=FORMATS, default="openai", help_text="The runtime's function-calling shape."
    )
    strict = serializers.BooleanField(
        default=False,
        help_text="OpenAI formats: strict mode where a tool's schema allows it (objects closed, "
        "every property required, optional top-level ones nullable; a call drops their nulls).",
    )


@extend_schema_field(
    {
        "type": "array",
        "description": "Tools of the agent's published version in the asked shape.",
        "items": {"type": "object", "additionalProperties": True},
    }
)
class ExportedToolsField(serializers.JSONField):
    pass


class ExportResult(serializers.Serializer):
    agent = serializers.IntegerField()
    agent_version = serializers.IntegerField()
    format = serializers.ChoiceField(choices=FORMATS)
    strict = serializers.BooleanField()
    tools = ExportedToolsField()


class ToolCallInput(serializers.Serializer):
    tool = serializers.CharField(max_length=64, help_text="The tool's name, as the model gave it.")
    arguments = JSONObjectField(help_text="The arguments the model gave, a JSON object.")
    conversation = WorkspaceObjectField(
        queryset=Conversation.objects.all(),
        help_text="The conversation the call is made in (its trace shows it).",
    )


class ToolTryInput(serializers.Serializer):
    arguments = JSONObjectField(help_text="Sample arguments.")


@extend_schema_field(
    {
        # No type at all: any JSON value, null included, which generators read as "Any"
        # (openapi-python-client dropped the whole result when this was a list of types).
        "description": "The answer's body: parsed JSON, or text (ending in a truncation marker).",
    }
)
class AnyJSONField(serializers.JSONField):
    pass


class CallErrorRepresentation(serializers.Serializer):
    type = serializers.ChoiceField(choices=[o for o in ToolCall.Outcome.values if o != "ok"])
    message = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
    retry_after_seconds = serializers.IntegerField(required=False)


class ToolCallResult(serializers.Serializer):
    call_id = serializers.IntegerField()
    tool = serializers.CharField()
    tool_version = serializers.IntegerField()
    ok = serializers.BooleanField()
    status = serializers.IntegerField(allow_null=True, help_text="The API's HTTP status.")
    content_type = serializers.CharField()
    body = AnyJSONField()
    truncated = serializers.BooleanField()
    latency_ms = serializers.IntegerField()
    error = CallErrorRepresentation(allow_null=True)


class ToolRequestShown(serializers.Serializer):
    method = serializers.CharField()
    url = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField(help_text="The body as text; empty without one.")


class ToolTryResult(serializers.Serializer):
    request = ToolRequestShown(help_text="The request as sent, secrets masked.")
    result = ToolCallResult()


class ToolCallRepresentation(serializers.ModelSerializer):
    tool = serializers.IntegerField(source="tool_id", allow_null=True)
    agent = serializers.IntegerField(source="agent_id", allow_null=True)
    conversation = serializers.IntegerField(source="conversation_id", allow_null=True)

    class Meta:
        model = ToolCall
        fields = [
            "id",
            "created_at",
            "tool",
            "tool_name",
            "tool_version",
            "agent",
            "agent_version",
            "conversation",
            "source",
            "arguments",
            "request",
            "outcome",
            "http_status",
            "latency_ms",
            "response_excerpt",
            "error",
        ]
        read_only_fields = fields


class ToolCallFilters(serializers.Serializer):
    tool = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    outcome = serializers.ChoiceField(choices=ToolCall.Outcome.choices, required=False)
    source = serializers.ChoiceField(choices=ToolCall.Source.choices, required=False)
    agent = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    conversation = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
