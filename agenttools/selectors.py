"""Reads of agent tools: the workspace's tools, an agent's tools, the call log."""

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from inbox.models import Agent, AgentVersion
from workspaces.models import Workspace

from .models import AgentTool, ToolCall


def tools_for_workspace(*, workspace: Workspace) -> QuerySet[AgentTool]:
    """Return the workspace's tools by name, with how many agents may call each."""
    return AgentTool.objects.filter(workspace=workspace).annotate(
        agent_count=Count("grants", distinct=True), last_called_at=Max("calls__created_at")
    )


def tool_get(*, workspace: Workspace, tool_id: int) -> AgentTool:
    """Return one tool of the workspace (DoesNotExist for another workspace's)."""
    return AgentTool.objects.get(workspace=workspace, pk=tool_id)


def tools_by_names(*, workspace: Workspace, names: list[str]) -> tuple[list[AgentTool], list[str]]:
    """Return the workspace's tools of these names, and the names that match none."""
    tools = list(AgentTool.objects.filter(workspace=workspace, name__in=names))
    known = {tool.name for tool in tools}
    return tools, [name for name in names if name not in known]


def agent_draft_tools(*, agent: Agent) -> QuerySet[AgentTool]:
    """Return the tools the agent's draft may call (the next publish snapshots them)."""
    return AgentTool.objects.filter(grants__agent=agent).order_by("name")


def agent_published_definitions(*, agent: Agent) -> list[dict[str, Any]] | None:
    """Return the tool definitions of the agent's published version (None if unpublished)."""
    if agent.published_version is None:
        return None
    version = AgentVersion.objects.filter(agent=agent, number=agent.published_version).first()
    return version.tools if version is not None else None


def agents_with_tools(*, workspace: Workspace) -> QuerySet[Agent]:
    """Return the workspace's agents with their draft tools prefetched."""
    return Agent.objects.filter(workspace=workspace).prefetch_related("tool_grants__tool")


def agent_get(*, workspace: Workspace, agent_id: int) -> Agent:
    """Return one agent of the workspace (DoesNotExist for another workspace's)."""
    return Agent.objects.get(workspace=workspace, pk=agent_id)


def calls_for_log(
    *,
    workspace: Workspace,
    tool_id: int | None = None,
    outcome: str | None = None,
    source: str | None = None,
    agent_id: int | None = None,
    conversation_id: int | None = None,
) -> QuerySet[ToolCall]:
    """Return the workspace's tool calls, newest first, filtered by what is given."""
    filters = Q(workspace=workspace)
    if tool_id:
        filters &= Q(tool_id=tool_id)
    if outcome:
        filters &= Q(outcome=outcome)
    if source:
        filters &= Q(source=source)
    if agent_id:
        filters &= Q(agent_id=agent_id)
    if conversation_id:
        filters &= Q(conversation_id=conversation_id)
    return ToolCall.objects.filter(filters).select_related("tool").order_by("-id")
