"""Writes of agent tools: definitions, which agents may call them, OpenAPI imports."""

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inbox.models import Agent
from omniflow.crypto import encrypt_secret
from omniflow.exceptions import RULE_ERROR_CODE
from omniflow.http.destinations import (
    INVALID_BRACKETED_HOST,
    PRIVATE_DESTINATION,
    validate_url,
)
from omniflow.origin import url_origin
from omniflow.ratelimits import InvalidRate, parse_rates
from workspaces.models import Workspace

from .. import openapi
from ..http_mapping import METHODS_WITH_BODY, PLACEHOLDER, url_placeholders
from ..models import MAX_RESPONSE_BYTES, MAX_TIMEOUT_SECONDS, AgentTool, AgentToolGrant
from ..schemas import NOT_AN_OBJECT_SCHEMA, input_schema_errors, schema_properties

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
# Set by the call itself; a static header must not override them.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "authorization",
        "x-omniflow-signature",
        "x-omniflow-timestamp",
        "x-omniflow-tool",
    }
)
# Hop-by-hop headers (RFC 9110 7.6.1) steer the connection rather than the request, and
# credential headers of the browser and of proxies are not the tool's to send: neither may be
# a static header or carry the tool's secret.
FORBIDDEN_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
        "http2-settings",
        "host",
        "content-length",
        "cookie",
        "cookie2",
        "set-cookie",
        "proxy-authorization",
        "proxy-authenticate",
    }
)
# RFC 3986's characters, and { } around placeholders.
# An IPv6 host in brackets is the whole host, a port at most after it (urlsplit admits more).
BRACKETED_NETLOC = re.compile(r"^\[[^\[\]]*\](?::[0-9]*)?$")
URL_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%{}]*$")
# What an HTTP header value may hold: visible ASCII and spaces (no line breaks).
HEADER_VALUE = re.compile(r"^[\x20-\x7e]*$")
MAX_DESCRIPTION = 4096
# One import's bounds: operations per request, and seconds (well under gunicorn's timeout).
MAX_IMPORT_OPERATIONS = 200
IMPORT_SECONDS = 10
MAX_CONCURRENCY = 100
CONFIG_FIELDS = (
    "name",
    "description",
    "input_schema",
    "method",
    "url_template",
    "query_arguments",
    "body_arguments",
    "body_argument",
    "headers",
    "auth",
    "auth_header_name",
    "secret",
    "timeout_seconds",
    "max_response_bytes",
    "rate_limit",
    "max_concurrency",
    "enabled",
)


def _url_problems(template: str) -> list[str]:
    if not URL_CHARACTERS.match(template):
        return ["Use only URL characters (percent-encode others; punycode for a host)."]
    try:
        parts = urlsplit(template)
    except ValueError:
        return [INVALID_BRACKETED_HOST]
    if "{" in parts.scheme + parts.netloc:
        return ["Placeholders may fill the path and query only, never the host."]
    if "@" in parts.netloc:  # even with an empty user ("https://@host")
        return ["The URL must not contain credentials."]
    if ("[" in parts.netloc or "]" in parts.netloc) and not BRACKETED_NETLOC.match(parts.netloc):
        return [INVALID_BRACKETED_HOST]
    try:
        validate_url(PLACEHOLDER.sub("x", template))
    except ValueError as error:
        return [str(error)]
    return []


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


Refuse = Callable[..., None]


def _name_and_text_check(tool: AgentTool, refuse: Refuse) -> None:
    if not NAME.match(tool.name or ""):
        refuse("name", "Use 1 to 64 letters, digits, _ or - (a function name models can call).")
    elif (
        AgentTool.objects.filter(workspace_id=tool.workspace_id, name=tool.name)
        .exclude(pk=tool.pk)
        .exists()
    ):
        # What the workspace holds now: a 409 (omniflow.api.errors.STATE_ERROR_CODES).
        refuse("name", f"This workspace already has a tool named '{tool.name}'.", "name_taken")
    for field in ("name", "description", "input_schema", "headers", "url_template"):
        # PostgreSQL stores no NUL character, in text or in JSON.
        if "\x00" in str(getattr(tool, field)) or "\\u0000" in json.dumps(getattr(tool, field)):
            refuse(field, "Null characters are not allowed.")
    if len(tool.description or "") > MAX_DESCRIPTION:
        refuse("description", f"Keep the description under {MAX_DESCRIPTION} characters.")


def _arguments_check(tool: AgentTool, refuse: Refuse) -> None:
    """The schema, and where each of its arguments goes: URL, query or body, once each."""
    schema_problems = input_schema_errors(tool.input_schema)
    for message in schema_problems:
        # Whether a value is a JSON Schema is the meta-schema's rule, no pattern of the API's.
        refuse(
            "input_schema",
            message,
            "invalid" if message == NOT_AN_OBJECT_SCHEMA else RULE_ERROR_CODE,
        )
    declared = set() if schema_problems else schema_properties(tool.input_schema)
    required = set(tool.input_schema.get("required") or []) if not schema_problems else set()
    if tool.method not in AgentTool.Method.values:
        refuse("method", f"Pick one of {', '.join(AgentTool.Method.values)}.")
    for message in _url_problems(tool.url_template or ""):
        code = RULE_ERROR_CODE if message == PRIVATE_DESTINATION else "invalid"
        refuse("url_template", message, code)
    in_path = url_placeholders(tool.url_template or "")
    for name in in_path:
        if not schema_problems and name not in required:
            message = f"'{{{name}}}' must be a required property of the schema."
            refuse("url_template", message, RULE_ERROR_CODE)
    known = None if schema_problems else declared
    _argument_lists_check(tool, refuse, declared=known, in_path=in_path)
    _body_check(tool, refuse, declared=known)


def _argument_lists_check(
    tool: AgentTool, refuse: Refuse, *, declared: set[str] | None, in_path: list[str]
) -> None:
    """Query and body arguments: properties of the schema, each sent in one place only."""
    mapped: dict[str, str] = {name: "url_template" for name in in_path}
    for field in ("query_arguments", "body_arguments"):
        value = getattr(tool, field)
        if not _string_list(value):
            refuse(field, "A list of argument names.")
            continue
        for name in value:
            if declared is not None and name not in declared:
                refuse(field, f"'{name}' is not a property of the input schema.", RULE_ERROR_CODE)
            if name in mapped:
                # Across the URL, query and body: a rule no schema states.
                where = mapped[name].split("_")[0]
                refuse(field, f"'{name}' is already sent in the {where}.", RULE_ERROR_CODE)
            mapped[name] = field


def _body_check(tool: AgentTool, refuse: Refuse, *, declared: set[str] | None) -> None:
    if tool.body_argument:
        if declared is not None and tool.body_argument not in declared:
            refuse(
                "body_argument",
                f"'{tool.body_argument}' is not a property of the schema.",
                RULE_ERROR_CODE,
            )
        if tool.body_arguments:
            refuse(
                "body_argument",
                "Send either one argument as the body or named body fields.",
                RULE_ERROR_CODE,
            )
    if tool.method not in METHODS_WITH_BODY and (tool.body_arguments or tool.body_argument):
        refuse("body_arguments", f"A {tool.method} request has no body.", RULE_ERROR_CODE)


def _forbidden_header(name: str) -> str:
    return f"'{name}' is a hop-by-hop or credential header, which a tool may not send."


def _headers_check(tool: AgentTool, refuse: Refuse) -> None:
    if not isinstance(tool.headers, dict):
        refuse("headers", "Headers are a JSON object of names and values.")
        return
    for name, value in tool.headers.items():
        if not HEADER_NAME.match(str(name)) or not isinstance(value, str):
            refuse("headers", f"'{name}' is not a header name with a text value.")
        elif str(name).lower() in FORBIDDEN_HEADERS:
            refuse("headers", _forbidden_header(str(name)))
        elif str(name).lower() in RESERVED_HEADERS:
            refuse("headers", f"'{name}' is set by the call itself.")
        elif not HEADER_VALUE.match(value):
            refuse("headers", f"The value of '{name}' may hold visible ASCII and spaces only.")


def _auth_check(tool: AgentTool, refuse: Refuse, *, has_secret: bool, secret: str) -> None:
    if tool.auth not in AgentTool.Auth.values:
        refuse("auth", f"Pick one of {', '.join(AgentTool.Auth.values)}.")
    elif tool.auth != AgentTool.Auth.NONE and not has_secret:
        refuse("secret", "This authentication needs a secret.", RULE_ERROR_CODE)
    if secret and not HEADER_VALUE.match(secret):
        refuse("secret", "A secret may hold visible ASCII characters and spaces only.")
    # A name given is checked whatever the auth (the schema states it); none with auth=header is
    # a rule across fields.
    name = tool.auth_header_name or ""
    if name and not HEADER_NAME.match(name):
        refuse("auth_header_name", "Name the header that carries the secret, e.g. X-Api-Key.")
    elif name.lower() in FORBIDDEN_HEADERS:
        refuse("auth_header_name", _forbidden_header(name))
    elif name.lower() in RESERVED_HEADERS:
        refuse("auth_header_name", f"'{name}' is set by the call itself.")
    elif tool.auth == AgentTool.Auth.HEADER and not name:
        message = "Name the header that carries the secret, e.g. X-Api-Key."
        refuse("auth_header_name", message, RULE_ERROR_CODE)


def _within(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and low <= value <= high


def _limits_check(tool: AgentTool, refuse: Refuse) -> None:
    if not isinstance(tool.timeout_seconds, int | float) or not (
        0 < tool.timeout_seconds <= MAX_TIMEOUT_SECONDS
    ):
        refuse("timeout_seconds", f"Between 0 and {MAX_TIMEOUT_SECONDS:g} seconds.")
    if not _within(tool.max_response_bytes, 1, MAX_RESPONSE_BYTES):
        refuse("max_response_bytes", f"Between 1 and {MAX_RESPONSE_BYTES} bytes.")
    try:
        rates = parse_rates(tool.rate_limit or "")
    except InvalidRate as error:
        refuse("rate_limit", str(error), RULE_ERROR_CODE)  # the rates' parser
    else:
        if len(rates) != 1:
            refuse("rate_limit", "Give one rate, e.g. 60/m.", RULE_ERROR_CODE)
        # Stored in its canonical form ("60 / minute" -> "60/m").
        tool.rate_limit = str(rates[0])
    if not _within(tool.max_concurrency, 1, MAX_CONCURRENCY):
        refuse("max_concurrency", f"Between 1 and {MAX_CONCURRENCY} calls in flight.")


def _tool_check(tool: AgentTool, *, has_secret: bool, secret: str = "") -> None:
    """Refuse a tool that cannot be called as configured: every error at once, per field."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str, code: str = "invalid") -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    _name_and_text_check(tool, refuse)
    _arguments_check(tool, refuse)
    _headers_check(tool, refuse)
    _auth_check(tool, refuse, has_secret=has_secret, secret=secret)
    _limits_check(tool, refuse)
    if errors:
        raise ValidationError(errors)


def tool_problems(
    *, workspace: Workspace, config: dict[str, Any], has_secret: bool
) -> dict[str, list[str]]:
    """Return what the checks of `tool_create` would refuse in `config`, by field (no write).

    The tool form asks this when some fields did not even parse, so that the others' problems
    show at the same submit; a field given as None is one that did not parse.
    """
    fields = {name: value for name, value in config.items() if name in CONFIG_FIELDS}
    secret = (fields.pop("secret", "") or "").strip()
    tool = AgentTool(workspace=workspace, **{k: v for k, v in fields.items() if v is not None})
    if config.get("input_schema", {}) is None:
        tool.input_schema = None  # unparsed: the checks that read the schema stand back
    try:
        _tool_check(tool, has_secret=has_secret or bool(secret), secret=secret)
    except ValidationError as error:
        return error.message_dict
    return {}


SECRET_CLEARED_NOTE = (
    "The URL's host changed, so the stored secret was cleared: it is never sent to a new host. "
    "Set the secret for the new host; until then calls answer tool_unavailable."
)


def _unknown_fields_refused(config: dict[str, Any]) -> None:
    unknown = set(config) - set(CONFIG_FIELDS)
    if unknown:
        raise TypeError(f"Unknown tool fields: {', '.join(sorted(unknown))}")


@transaction.atomic
def tool_create(
    *, workspace: Workspace, created_by: AbstractBaseUser | None, **config: Any
) -> AgentTool:
    """Create a tool after checking its schema, HTTP mapping, authentication and limits."""
    _unknown_fields_refused(config)
    secret = (config.pop("secret", "") or "").strip()
    tool = AgentTool(workspace=workspace, created_by=created_by, **config)
    _tool_check(tool, has_secret=bool(secret), secret=secret)
    tool.secret = encrypt_secret(secret=secret) if tool.auth != AgentTool.Auth.NONE else ""
    tool.save()
    return tool


@transaction.atomic
def tool_update(*, tool: AgentTool, **changes: Any) -> AgentTool:
    """Change a tool (a new version); published agents keep the version they snapshotted.

    A `secret` left out keeps the current one, unless the URL's origin (scheme, host, port)
    changes: then the stored secret is cleared (`tool.secret_cleared` says so) and calls
    answer `tool_unavailable` until one is set, so it never follows the URL to a new host.
    """
    _unknown_fields_refused(changes)
    tool = AgentTool.objects.select_for_update().get(pk=tool.pk)
    secret = (changes.pop("secret", "") or "").strip()
    old_origin = url_origin(tool.url_template)
    for field, value in changes.items():
        setattr(tool, field, value)
    # A secret is bound to where it is sent: a new host gets it only if given again now.
    tool.secret_cleared = bool(
        tool.secret and not secret and url_origin(str(tool.url_template)) != old_origin
    )
    if tool.secret_cleared:
        tool.secret = ""
    _tool_check(tool, has_secret=bool(secret or tool.secret or tool.secret_cleared), secret=secret)
    if tool.auth == AgentTool.Auth.NONE:
        tool.secret = ""
    elif secret:
        tool.secret = encrypt_secret(secret=secret)
    tool.version += 1
    tool.updated_at = timezone.now()
    tool.save()
    return tool


def tool_delete(*, tool: AgentTool) -> None:
    """Delete a tool; agent versions that snapshotted it get `tool_unavailable` when calling it."""
    tool.delete()


@transaction.atomic
def agent_tools_set(*, agent: Agent, tools: list[AgentTool]) -> list[AgentTool]:
    """Make `tools` the ones the agent's draft may call (published versions are unchanged)."""
    foreign = [tool.name for tool in tools if tool.workspace_id != agent.workspace_id]
    if foreign:
        message = f"Unknown tools: {', '.join(foreign)}."
        raise ValidationError({"tools": ValidationError(message, code="unknown_tools")})
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    AgentToolGrant.objects.filter(agent=agent).exclude(tool__in=tools).delete()
    have = set(AgentToolGrant.objects.filter(agent=agent).values_list("tool_id", flat=True))
    AgentToolGrant.objects.bulk_create(
        AgentToolGrant(workspace_id=agent.workspace_id, agent=agent, tool=tool)
        for tool in {tool.pk: tool for tool in tools}.values()
        if tool.pk not in have
    )
    Agent.objects.filter(pk=agent.pk).update(updated_at=timezone.now())
    return sorted(tools, key=lambda tool: tool.name)


@transaction.atomic
def tools_import_openapi(
    *,
    workspace: Workspace,
    created_by: AbstractBaseUser | None,
    document: dict[str, Any],
    operation_keys: list[str],
    base_url: str = "",
    **shared: Any,
) -> tuple[list[AgentTool], list[str]]:
    """Create one tool per picked operation of an OpenAPI 3 document; return them and notes.

    `shared` settings (auth, secret, headers, limits) apply to every tool created. All or none
    are created: an operation that cannot become a tool refuses the whole import.
    """
    by_key = {operation.key: operation for operation in openapi.operations(document)}
    base_url = base_url.strip() or openapi.default_base_url(document)
    if not base_url:
        raise ValidationError(
            {"base_url": ["The document names no absolute server URL: give the base URL."]}
        )
    unknown = [key for key in operation_keys if key not in by_key]
    if unknown or not operation_keys:
        raise ValidationError(
            {"operations": [f"Pick operations of the document; unknown: {', '.join(unknown)}."]}
        )
    if len(operation_keys) > MAX_IMPORT_OPERATIONS:
        raise ValidationError(
            {
                "operations": [
                    f"{len(operation_keys)} operations picked; import at most "
                    f"{MAX_IMPORT_OPERATIONS} at once."
                ]
            }
        )
    deadline = time.monotonic() + IMPORT_SECONDS
    created, notes = [], []
    for key in operation_keys:
        if time.monotonic() > deadline:
            # Rolled back: all or none, and never past the web worker's timeout.
            raise ValidationError(
                {
                    "operations": [
                        f"The import took longer than {IMPORT_SECONDS} s ({len(created)} of "
                        f"{len(operation_keys)} operations); nothing was created. Import "
                        "fewer operations at once."
                    ]
                }
            )
        try:
            config, operation_notes = openapi.tool_config(
                document=document, operation=by_key[key], base_url=base_url
            )
            tool = tool_create(workspace=workspace, created_by=created_by, **config, **shared)
        except openapi.OpenAPIInvalid as error:
            raise ValidationError({"operations": [f"{key}: {error}"]}) from error
        except ValidationError as error:
            messages = [f"{key}: {field}: {' '.join(m)}" for field, m in error.message_dict.items()]
            raise ValidationError({"operations": messages}) from error
        created.append(tool)
        notes.extend(f"{tool.name}: {note}" for note in operation_notes)
    return created, notes
