"""Forms of Settings → Agent tools: they parse input; the services check the tool."""

import json
from typing import Any

from django import forms

from omniflow.json_input import JSONInputError, json_loads

from . import openapi
from .models import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RATE_LIMIT,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_RESPONSE_BYTES,
    MAX_TIMEOUT_SECONDS,
    AgentTool,
    ToolCall,
)
from .schemas import input_schema_errors

# A class, not style="": the Content-Security-Policy allows no inline styles.
MONOSPACE = {"spellcheck": "false", "class": "monospace"}
EXAMPLE_SCHEMA = """{
  "type": "object",
  "required": ["order_id"],
  "properties": {
    "order_id": {"type": "string", "description": "The order number, e.g. A-1042."}
  }
}"""


def _json_object(text: str, *, what: str) -> dict:
    try:
        value = json_loads(text or "{}")
    except JSONInputError as error:
        raise forms.ValidationError(f"This is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise forms.ValidationError(f"{what} must be a JSON object.")
    return value


def _names(text: str) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


class ToolForm(forms.Form):
    name = forms.CharField(
        max_length=64, help_text="The function name the model calls, e.g. lookup_order."
    )
    description = forms.CharField(
        max_length=4096,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Written for the model: what the tool does and when to use it.",
    )
    input_schema = forms.CharField(
        label="Input schema",
        widget=forms.Textarea(attrs={"rows": 12, **MONOSPACE}),
        help_text='A JSON Schema of the arguments, {"type": "object", ...}. Only local $refs '
        "(#/...); nothing is fetched.",
    )
    method = forms.ChoiceField(choices=AgentTool.Method.choices, initial=AgentTool.Method.GET)
    url_template = forms.CharField(
        max_length=2000,
        label="URL",
        help_text="e.g. https://api.example.com/orders/{order_id}: each {placeholder} is a "
        "required argument, URL-encoded.",
    )
    query_arguments = forms.CharField(
        max_length=2000, required=False, help_text="Arguments sent in the query, comma-separated."
    )
    body_arguments = forms.CharField(
        max_length=2000,
        required=False,
        help_text="Arguments sent as fields of a JSON body, comma-separated.",
    )
    body_argument = forms.CharField(
        max_length=64,
        required=False,
        label="Whole-body argument",
        help_text="Or: one argument whose value is the whole JSON body.",
    )
    headers = forms.CharField(
        required=False,
        label="Static headers",
        widget=forms.Textarea(attrs={"rows": 3, **MONOSPACE}),
        help_text='A JSON object, e.g. {"X-Shop": "acme"}. Put secrets in the authentication.',
    )
    auth = forms.ChoiceField(
        choices=AgentTool.Auth.choices, initial=AgentTool.Auth.NONE, label="Authentication"
    )
    auth_header_name = forms.CharField(
        max_length=100, required=False, label="Secret header", help_text="e.g. X-Api-Key."
    )
    secret = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Bearer token, header value or signing secret; stored encrypted, never shown.",
    )
    timeout_seconds = forms.FloatField(
        min_value=0.1,
        max_value=MAX_TIMEOUT_SECONDS,
        initial=DEFAULT_TIMEOUT_SECONDS,
        label="Timeout (seconds)",
    )
    max_response_bytes = forms.IntegerField(
        min_value=1,
        max_value=MAX_RESPONSE_BYTES,
        initial=DEFAULT_MAX_RESPONSE_BYTES,
        label="Response size cap (bytes)",
        help_text="Longer answers are cut, with a marker the model sees.",
    )
    rate_limit = forms.CharField(
        max_length=20, initial=DEFAULT_RATE_LIMIT, help_text="Calls per window, e.g. 60/m."
    )
    max_concurrency = forms.IntegerField(
        min_value=1, max_value=100, initial=DEFAULT_MAX_CONCURRENCY, label="Calls in flight"
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def clean_input_schema(self):
        schema = _json_object(self.cleaned_data["input_schema"], what="The input schema")
        problems = input_schema_errors(schema)
        if problems:
            raise forms.ValidationError(problems)
        return schema

    def clean_headers(self):
        return _json_object(self.cleaned_data["headers"], what="Headers")

    def clean_query_arguments(self):
        return _names(self.cleaned_data["query_arguments"])

    def clean_body_arguments(self):
        return _names(self.cleaned_data["body_arguments"])


def tool_initial(tool: AgentTool) -> dict[str, Any]:
    """Return a form's initial data from a tool (the secret is never sent back)."""
    return {
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.input_schema_json,
        "method": tool.method,
        "url_template": tool.url_template,
        "query_arguments": ", ".join(tool.query_arguments),
        "body_arguments": ", ".join(tool.body_arguments),
        "body_argument": tool.body_argument,
        "headers": json.dumps(tool.headers) if tool.headers else "",
        "auth": tool.auth,
        "auth_header_name": tool.auth_header_name,
        "timeout_seconds": tool.timeout_seconds,
        "max_response_bytes": tool.max_response_bytes,
        "rate_limit": tool.rate_limit,
        "max_concurrency": tool.max_concurrency,
        "enabled": tool.enabled,
    }


def _sample(schema: Any, depth: int = 0) -> Any:
    if not isinstance(schema, dict) or depth > 5:
        return None
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "object" or "properties" in schema:
        return {
            name: _sample(sub, depth + 1)
            for name, sub in (schema.get("properties") or {}).items()
            if name in (schema.get("required") or []) or depth == 0
        }
    return {"integer": 1, "number": 1, "boolean": True, "array": []}.get(kind, "")


def sample_arguments(schema: dict) -> str:
    """Return sample arguments for "Try it", from the schema's examples, defaults and types."""
    return json.dumps(_sample(schema) or {}, indent=2)


class TryForm(forms.Form):
    arguments = forms.CharField(
        label="Sample arguments",
        widget=forms.Textarea(attrs={"rows": 8, **MONOSPACE}),
        help_text="A JSON object, as the model would give it.",
    )

    def clean_arguments(self):
        return _json_object(self.cleaned_data["arguments"], what="The arguments")


class OpenAPIDocumentForm(forms.Form):
    document = forms.CharField(
        required=False,
        label="OpenAPI document",
        widget=forms.Textarea(attrs={"rows": 14, **MONOSPACE}),
        help_text="Paste an OpenAPI 3 document (JSON or YAML), or upload it below.",
    )
    document_file = forms.FileField(required=False, label="Or upload it")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("document_file")
        text = cleaned.get("document") or ""
        if upload is not None:
            if upload.size > openapi.MAX_DOCUMENT_BYTES:
                raise forms.ValidationError(
                    f"The file is larger than {openapi.MAX_DOCUMENT_BYTES:,} bytes."
                )
            text = upload.read().decode("utf-8", errors="replace")
        if not text.strip():
            raise forms.ValidationError("Paste or upload an OpenAPI document.")
        try:
            cleaned["parsed"] = openapi.document_parse(text)
        except openapi.OpenAPIInvalid as error:
            raise forms.ValidationError(str(error)) from error
        cleaned["document"] = text
        return cleaned


class OpenAPIImportForm(OpenAPIDocumentForm):
    operations = forms.MultipleChoiceField(
        choices=(), widget=forms.CheckboxSelectMultiple, label="Operations to import"
    )
    base_url = forms.CharField(
        max_length=2000, required=False, label="Base URL", help_text="Where the API lives."
    )
    auth = forms.ChoiceField(
        choices=AgentTool.Auth.choices, initial=AgentTool.Auth.NONE, label="Authentication"
    )
    auth_header_name = forms.CharField(max_length=100, required=False, label="Secret header")
    secret = forms.CharField(
        max_length=2000, required=False, widget=forms.PasswordInput(render_value=False)
    )

    def __init__(self, *args, document: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The document was read in the first step; it rides along as text from here on.
        self.fields["document"].widget = forms.HiddenInput()
        del self.fields["document_file"]
        if document is not None:
            self.fields["operations"].choices = [
                (operation.key, operation.label) for operation in openapi.operations(document)
            ]


class CallFilterForm(forms.Form):
    tool = forms.ModelChoiceField(queryset=AgentTool.objects.none(), required=False)
    outcome = forms.ChoiceField(
        choices=[("", "Any outcome"), *ToolCall.Outcome.choices], required=False
    )
    source = forms.ChoiceField(
        choices=[("", "Any source"), *ToolCall.Source.choices], required=False
    )
    conversation = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tool"].queryset = AgentTool.objects.filter(workspace=workspace)
        self.fields["tool"].empty_label = "Any tool"


class AgentToolsForm(forms.Form):
    tools = forms.ModelMultipleChoiceField(
        queryset=AgentTool.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The tools the agent's draft may call; publishing the agent snapshots them.",
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tools"].queryset = AgentTool.objects.filter(workspace=workspace)
