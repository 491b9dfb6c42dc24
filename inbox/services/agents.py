"""AI agents: a draft configuration, published as numbered immutable versions."""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from webhooks.events import EventType, emit
from workspaces.models import Workspace

from ..models import Agent, AgentVersion
from ..representations import agent_data
from .common import UNSET


@transaction.atomic
def agent_create(
    *,
    workspace: Workspace,
    name: str,
    description: str = "",
    configuration: dict[str, Any] | None = None,
) -> Agent:
    """Create an agent in draft; nothing runs it until it is published."""
    return Agent.objects.create(
        workspace=workspace,
        name=name,
        description=description,
        configuration=configuration or {},
    )


# Agent tools build on the inbox (their calls land on conversation traces), so the inbox
# imports them not: they register, in AgentToolsConfig.ready(), the one piece publishing needs.
ToolSnapshots = Callable[..., list[dict[str, Any]]]
_tool_snapshots_of: ToolSnapshots | None = None


def agent_tool_snapshots_register(function: ToolSnapshots) -> ToolSnapshots:
    """Set what a published version keeps of the agent's tools: `function(agent=...)`."""
    global _tool_snapshots_of
    _tool_snapshots_of = function
    return function


def _tool_snapshots(*, agent: Agent) -> list[dict[str, Any]]:
    return _tool_snapshots_of(agent=agent) if _tool_snapshots_of else []


@transaction.atomic
def agent_publish(
    *, agent: Agent, actor: str, configuration: dict[str, Any] | Any = UNSET
) -> AgentVersion:
    """Publish the agent's configuration (replaced first if given) as its next version.

    The version keeps the definitions of the agent's tools as they are now, and
    `agent.published` carries them (without secrets). On a republish `previous_attributes`
    holds the version it replaces.
    """
    # The lock serialises concurrent publishes, so version numbers never collide.
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    previous_version = agent.published_version
    if configuration is not UNSET:
        agent.configuration = configuration
    now = timezone.now()
    number = (agent.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = AgentVersion.objects.create(
        workspace_id=agent.workspace_id,
        agent=agent,
        number=number,
        configuration=agent.configuration,
        tools=_tool_snapshots(agent=agent),
        published_by=actor,
        published_at=now,
    )
    agent.status = Agent.Status.PUBLISHED
    agent.published_version = number
    agent.published_at = now
    agent.updated_at = now
    agent.save(
        update_fields=["configuration", "status", "published_version", "published_at", "updated_at"]
    )
    emit(
        workspace=agent.workspace,
        event_type=EventType.AGENT_PUBLISHED,
        resource_id=agent.pk,
        data={**agent_data(agent), "tools": version.tools},
        previous_attributes=(
            {"published_version": previous_version} if previous_version is not None else None
        ),
    )
    return version
