from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from ... import selectors, services
from ...representations import AgentRepresentation, agent_data
from ..serializers import AgentFilters, AgentInput, AgentPublishInput
from .base import InboxView

TAG = ["Agents"]


class AgentListView(InboxView):
    """List and create AI agents."""

    required_scope = "agents"

    @extend_schema(
        tags=TAG,
        operation_id="agents_list",
        summary="List AI agents",
        parameters=[AgentFilters],
        responses=AgentRepresentation(many=True),
    )
    def get(self, request):
        agents = selectors.agents_for_workspace(
            workspace=self.workspace, **self.filters(AgentFilters)
        )
        return self.page(agents, AgentRepresentation)

    @extend_schema(
        tags=TAG,
        operation_id="agents_create",
        summary="Create an AI agent",
        description="The agent starts as a draft; publish it to make a version live.",
        request=AgentInput,
        responses={201: AgentRepresentation},
    )
    def post(self, request):
        agent = services.agent_create(workspace=self.workspace, **self.validated(AgentInput))
        return Response(agent_data(agent), status=status.HTTP_201_CREATED)


class AgentDetailView(InboxView):
    """Read one AI agent."""

    required_scope = "agents"

    @extend_schema(
        tags=TAG,
        operation_id="agents_retrieve",
        summary="Get an AI agent",
        responses=AgentRepresentation,
    )
    def get(self, request, pk):
        return Response(
            agent_data(self.found(selectors.agents_for_workspace(workspace=self.workspace)))
        )


class AgentPublishView(InboxView):
    """Publish an AI agent's configuration as a new version."""

    required_scope = "agents"

    @extend_schema(
        tags=TAG,
        operation_id="agents_publish",
        summary="Publish or republish an AI agent",
        description=(
            "Publishes the draft configuration (or the one given) as the agent's next version "
            "and emits `agent.published`."
        ),
        request=AgentPublishInput,
        responses={200: AgentRepresentation},
    )
    def post(self, request, pk):
        agent = self.found(selectors.agents_for_workspace(workspace=self.workspace))
        version = services.agent_publish(
            agent=agent, actor=self.actor, **self.validated(AgentPublishInput)
        )
        return Response(agent_data(version.agent))
