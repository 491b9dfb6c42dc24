"""What an agent version keeps of its tools: each tool's definition as it was, without secrets."""

from typing import Any

from inbox.models import Agent

from .models import AgentTool

DEFINITION_FIELDS = (
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
    "timeout_seconds",
    "max_response_bytes",
)


def tool_definition(*, tool: AgentTool) -> dict[str, Any]:
    """Return the tool's definition as calls use it and agent versions keep it (no secret)."""
    return {
        "id": tool.pk,
        "version": tool.version,
        **{field: getattr(tool, field) for field in DEFINITION_FIELDS},
    }


def agent_tool_snapshots(*, agent: Agent) -> list[dict[str, Any]]:
    """Return the definitions of the tools the agent's draft may call, by name."""
    tools = AgentTool.objects.filter(grants__agent=agent).order_by("name")
    return [tool_definition(tool=tool) for tool in tools]
