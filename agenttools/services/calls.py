"""Calling tools: an agent's call (from its published version) and an admin's "Try it".

Each call is checked in order, cheapest and safest first: the tool exists and is enabled, the
arguments match the schema and fill the URL, the tool's rate and concurrency allow it, the
destination is public (at send time); then it is sent, and always recorded.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from inbox.models import Agent, AgentVersion, Conversation, TraceEntry
from inbox.services.trace import trace_entry_append
from omniflow.crypto import SecretUnavailable, decrypt_secret
from omniflow.json_input import EXCERPT_BYTES

from .. import limits
from ..exports import arguments_without_strict_nulls
from ..http_mapping import ArgumentsUnusable, request_build, request_shown, response_body
from ..models import MAX_TIMEOUT_SECONDS, AgentTool, ToolCall
from ..schemas import argument_errors
from ..snapshots import tool_definition
from ..transport import ToolResponse, send

Outcome = ToolCall.Outcome
TRACE_EXCERPT_CHARACTERS = 500


class AgentNotPublished(Exception):
    """The agent has no published version, so it has no tools to call."""


class UnknownTool(Exception):
    """The agent's published version has no tool of that name."""


@dataclass
class CallOutcome:
    """A recorded call, what the model reads of it, and (for "Try it") the raw answer."""

    call: ToolCall
    result: dict[str, Any]
    response_headers: dict[str, str] = field(default_factory=dict)
    response_text: str = ""

    @property
    def result_json(self) -> str:
        return json.dumps(self.result, indent=2)


@dataclass
class _Attempt:
    outcome: str
    message: str = ""
    request: dict[str, Any] = field(default_factory=dict)
    response: ToolResponse | None = None
    errors: dict[str, list[str]] | None = None
    retry_after_seconds: int | None = None


def _attempt(
    *, definition: dict[str, Any], tool: AgentTool | None, arguments: Any, trying: bool
) -> _Attempt:
    # "Try it" works on a disabled tool, so a tool can be tested before agents may use it.
    if tool is None or not (tool.enabled or trying):
        return _Attempt(Outcome.TOOL_UNAVAILABLE, "The tool is disabled or deleted.")
    if not isinstance(arguments, dict):
        return _Attempt(
            Outcome.INVALID_ARGUMENTS,
            "Arguments must be a JSON object.",
            errors={"non_field_errors": ["Arguments must be a JSON object."]},
        )
    # A model in OpenAI's strict mode gives null for the optional arguments it leaves out.
    arguments = arguments_without_strict_nulls(
        schema=definition["input_schema"], arguments=arguments
    )
    errors = argument_errors(schema=definition["input_schema"], arguments=arguments)
    if errors:
        return _Attempt(
            Outcome.INVALID_ARGUMENTS, "The arguments do not match the schema.", errors=errors
        )
    if definition["auth"] != AgentTool.Auth.NONE and not tool.secret:
        # Cleared when the URL's host changed: the old secret never follows it.
        return _Attempt(
            Outcome.TOOL_UNAVAILABLE,
            "The tool has no secret (cleared when its URL's host changed): set it again.",
        )
    try:
        secret = decrypt_secret(token=tool.secret)
        request = request_build(definition=definition, arguments=arguments, secret=secret)
    except ArgumentsUnusable as error:
        return _Attempt(Outcome.INVALID_ARGUMENTS, str(error), errors=error.errors)
    except SecretUnavailable:
        return _Attempt(
            Outcome.TOOL_UNAVAILABLE, "The tool's secret cannot be decrypted with this key."
        )
    shown = request_shown(request=request, definition=definition)
    # Limits are read from the live tool: they protect the API now, whatever the version.
    rate = limits.rate_count(tool_id=tool.pk, rate=tool.rate_limit)
    if rate.blocked:
        return _Attempt(
            Outcome.RATE_LIMITED,
            f"The tool's limit of {tool.rate_limit} calls is used up; retry in "
            f"{rate.retry_after} s.",
            request=shown,
            retry_after_seconds=rate.retry_after,
        )
    # Bounded well under the web worker's timeout, whatever an older version was saved with.
    timeout = min(float(definition["timeout_seconds"]), MAX_TIMEOUT_SECONDS)
    in_workspace = settings.OMNIFLOW_TOOL_CALLS_PER_WORKSPACE
    with (
        limits.workspace_slot(
            workspace_id=tool.workspace_id, limit=in_workspace, hold_seconds=timeout
        ) as workspace_taken,
        limits.concurrency_slot(
            tool_id=tool.pk, limit=tool.max_concurrency, hold_seconds=timeout
        ) as taken,
    ):
        if not workspace_taken:
            return _Attempt(
                Outcome.CONCURRENCY_LIMITED,
                f"{in_workspace} tool calls of this workspace are already in flight; retry "
                "shortly.",
                request=shown,
                retry_after_seconds=1,
            )
        if not taken:
            return _Attempt(
                Outcome.CONCURRENCY_LIMITED,
                f"{tool.max_concurrency} calls of this tool are already in flight; retry shortly.",
                request=shown,
                retry_after_seconds=1,
            )
        response = send(
            request=request,
            timeout_seconds=timeout,
            max_response_bytes=int(definition["max_response_bytes"]),
        )
    return _answered(response=response, shown=shown)


def _answered(*, response: ToolResponse, shown: dict[str, Any]) -> _Attempt:
    """Return the attempt a sent request made, from the API's answer."""
    if response.failure:
        return _Attempt(response.failure, response.error, request=shown, response=response)
    if 200 <= response.status < 300:
        return _Attempt(Outcome.OK, request=shown, response=response)
    message = f"The API answered {response.status}."
    if 300 <= response.status < 400:
        message += " Redirects are not followed."
    return _Attempt(Outcome.HTTP_ERROR, message, request=shown, response=response)


def _model_result(
    *, call: ToolCall, attempt: _Attempt, definition: dict[str, Any]
) -> dict[str, Any]:
    content_type, body = "", None
    response = attempt.response
    if response is not None and response.status is not None:
        content_type, body = response_body(
            response=response, cap=int(definition["max_response_bytes"])
        )
    error = None
    if attempt.outcome != Outcome.OK:
        error = {"type": attempt.outcome, "message": attempt.message}
        if attempt.errors:
            error["errors"] = attempt.errors
        if attempt.retry_after_seconds is not None:
            error["retry_after_seconds"] = attempt.retry_after_seconds
    return {
        "call_id": call.pk,
        "tool": call.tool_name,
        "tool_version": call.tool_version,
        "ok": attempt.outcome == Outcome.OK,
        "status": call.http_status,
        "content_type": content_type,
        "body": body,
        "truncated": bool(response and response.truncated),
        "latency_ms": call.latency_ms,
        "error": error,
    }


def _call(
    *,
    definition: dict[str, Any],
    tool: AgentTool | None,
    workspace_id: int,
    arguments: Any,
    source: str,
    actor: str,
    agent: Agent | None = None,
    agent_version: int | None = None,
    conversation: Conversation | None = None,
) -> CallOutcome:
    attempt = _attempt(
        definition=definition,
        tool=tool,
        arguments=arguments,
        trying=source == ToolCall.Source.TRY_IT,
    )
    response = attempt.response
    text = (
        response.body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        if response
        else ""
    )
    with transaction.atomic():
        call = ToolCall.objects.create(
            workspace_id=workspace_id,
            tool=tool,
            tool_name=definition["name"],
            tool_version=definition["version"],
            agent=agent,
            agent_version=agent_version,
            conversation=conversation,
            source=source,
            arguments=arguments if isinstance(arguments, dict) else {"_": arguments},
            request=attempt.request,
            outcome=attempt.outcome,
            http_status=response.status if response else None,
            latency_ms=response.latency_ms if response else 0,
            response_excerpt=text[:EXCERPT_BYTES],
            error=attempt.message,
        )
        if conversation is not None:
            trace_entry_append(
                conversation=conversation,
                kind=TraceEntry.Kind.TOOL_CALL,
                actor=actor,
                details={
                    "call_id": call.pk,
                    "tool": call.tool_name,
                    "tool_version": call.tool_version,
                    "agent": agent.pk if agent else None,
                    "agent_version": agent_version,
                    "arguments": call.arguments,
                    "outcome": call.outcome,
                    "http_status": call.http_status,
                    "latency_ms": call.latency_ms,
                    "response_excerpt": text[:TRACE_EXCERPT_CHARACTERS],
                },
            )
    return CallOutcome(
        call=call,
        result=_model_result(call=call, attempt=attempt, definition=definition),
        response_headers=response.headers if response else {},
        response_text=text,
    )


def agent_tool_call(
    *,
    agent: Agent,
    tool_name: str,
    arguments: Any,
    conversation: Conversation,
    actor: str,
) -> CallOutcome:
    """Call a tool of the agent's published version, record it and put it on the trace."""
    version = AgentVersion.objects.filter(agent=agent, number=agent.published_version).first()
    if version is None:
        raise AgentNotPublished("Publish the agent first: only published versions call tools.")
    definition = next((d for d in version.tools if d["name"] == tool_name), None)
    if definition is None:
        names = ", ".join(d["name"] for d in version.tools) or "none"
        raise UnknownTool(
            f"Version {version.number} of this agent has no tool '{tool_name}' (it has: {names})."
        )
    tool = AgentTool.objects.filter(workspace_id=agent.workspace_id, pk=definition["id"]).first()
    return _call(
        definition=definition,
        tool=tool,
        workspace_id=agent.workspace_id,
        arguments=arguments,
        source=ToolCall.Source.AGENT,
        actor=actor,
        agent=agent,
        agent_version=version.number,
        conversation=conversation,
    )


def tool_try(*, tool: AgentTool, arguments: Any, actor: str) -> CallOutcome:
    """Call the tool as it is now with sample arguments (Settings → "Try it"), and record it."""
    return _call(
        definition=tool_definition(tool=tool),
        tool=tool,
        workspace_id=tool.workspace_id,
        arguments=arguments,
        source=ToolCall.Source.TRY_IT,
        actor=actor,
    )
