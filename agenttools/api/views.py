"""API of agent tools (scope `agent_tools`): CRUD, OpenAPI import, "Try it", the call log, an
agent's tools (set, export) and the tool-call path the agent runtime uses."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from omniflow.api.errors import PROBLEM_CONTENT_TYPE
from omniflow.api.schema import ProblemSerializer
from omniflow.api.views import WorkspaceAPIView
from omniflow.exceptions import RULE_ERROR_CODE

from .. import openapi, selectors, services
from ..exports import tools_exported
from .serializers import (
    AgentToolsInput,
    AgentToolsResult,
    ExportFilters,
    ExportResult,
    OpenAPIImportInput,
    OpenAPIImportResult,
    ToolCallFilters,
    ToolCallInput,
    ToolCallRepresentation,
    ToolCallResult,
    ToolInput,
    ToolRepresentation,
    ToolTryInput,
    ToolTryResult,
    ToolUpdatedRepresentation,
)

TAG = ["Agent tools"]


class AgentNotPublished(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Publish the agent first: only published versions have tools to call."
    default_code = "agent_not_published"


class UnknownTool(exceptions.APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "The agent's published version has no tool of that name."
    default_code = "unknown_tool"


class AgentToolsView(WorkspaceAPIView):
    required_scope = "agent_tools"

    def tool(self):
        return self.found(selectors.tools_for_workspace(workspace=self.workspace))

    def agent(self):
        return self.found(selectors.agents_with_tools(workspace=self.workspace))


class ToolListView(AgentToolsView):
    """List and create agent tools."""

    @extend_schema(
        tags=TAG,
        operation_id="agent_tools_list",
        summary="List agent tools",
        responses=ToolRepresentation(many=True),
    )
    def get(self, request):
        return self.page(
            selectors.tools_for_workspace(workspace=self.workspace), ToolRepresentation
        )

    @extend_schema(
        tags=TAG,
        operation_id="agent_tools_create",
        summary="Create an agent tool",
        request=ToolInput,
        responses={201: ToolRepresentation},
    )
    def post(self, request):
        tool = services.tool_create(
            workspace=self.workspace, created_by=None, **self.validated(ToolInput)
        )
        return Response(ToolRepresentation(tool).data, status=status.HTTP_201_CREATED)


class ToolDetailView(AgentToolsView):
    """Read, update and delete one agent tool."""

    @extend_schema(
        tags=TAG,
        operation_id="agent_tools_retrieve",
        summary="Get an agent tool",
        responses=ToolRepresentation,
    )
    def get(self, request, pk):
        return Response(ToolRepresentation(self.tool()).data)

    @extend_schema(
        tags=TAG,
        operation_id="agent_tools_update",
        summary="Update an agent tool",
        description="Makes a new version of the tool; published agents keep the one they have. "
        "A new host in `url_template` clears the stored secret unless `secret` is given too "
        "(`notes` says so).",
        request=ToolInput,
        responses=ToolUpdatedRepresentation,
    )
    def patch(self, request, pk):
        tool = services.tool_update(tool=self.tool(), **self.validated(ToolInput, partial=True))
        tool.notes = [services.SECRET_CLEARED_NOTE] if tool.secret_cleared else []
        return Response(ToolUpdatedRepresentation(tool).data)

    @extend_schema(
        tags=TAG,
        operation_id="agent_tools_destroy",
        summary="Delete an agent tool",
        responses={204: None},
    )
    def delete(self, request, pk):
        services.tool_delete(tool=self.tool())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ToolImportView(AgentToolsView):
    """Create tools from the operations of an OpenAPI 3 document."""

    @extend_schema(
        tags=TAG,
        operation_id="agent_tools_import_openapi",
        summary="Create agent tools from an OpenAPI 3 document",
        description=(
            "One tool per picked operation: its name from the operationId, its description "
            "from the summary and description, its input schema from the path and query "
            "parameters and the JSON request body, and the HTTP mapping filled in. Only "
            "references inside the document (`#/...`) are followed."
        ),
        request=OpenAPIImportInput,
        responses={201: OpenAPIImportResult},
    )
    def post(self, request):
        given = self.validated(OpenAPIImportInput)
        try:
            document = given.pop("document")
            if isinstance(document, str):
                document = openapi.document_parse(document)
            else:
                document = openapi.document_parse_object(document)
        except openapi.OpenAPIInvalid as error:
            # A document that does not parse as OpenAPI 3 is the parser's rule, no pattern's.
            raise exceptions.ValidationError(
                {"document": [str(error)]}, code=RULE_ERROR_CODE
            ) from error
        keys = given.pop("operations", None) or [
            operation.key for operation in openapi.operations(document)
        ]
        tools, notes = services.tools_import_openapi(
            workspace=self.workspace,
            created_by=None,
            document=document,
            operation_keys=keys,
            **given,
        )
        body = {"tools": ToolRepresentation(tools, many=True).data, "notes": notes}
        return Response(body, status=status.HTTP_201_CREATED)


class ToolTryView(AgentToolsView):
    """Call a tool with sample arguments, as Settings' "Try it" does."""

    @extend_schema(
        tags=TAG,
        operation_id="agent_tools_try",
        summary="Try an agent tool",
        description="Calls the tool as it is now (even disabled) and records the call.",
        request=ToolTryInput,
        responses=ToolTryResult,
    )
    def post(self, request, pk):
        tool = self.tool()
        outcome = services.tool_try(
            tool=tool,
            arguments=self.validated(ToolTryInput)["arguments"],
            actor=self.actor,
        )
        return Response({"request": outcome.call.request, "result": outcome.result})


class ToolCallListView(AgentToolsView):
    """The call log."""

    @extend_schema(
        tags=TAG,
        operation_id="agent_tool_calls_list",
        summary="List tool calls",
        parameters=[ToolCallFilters],
        responses=ToolCallRepresentation(many=True),
    )
    def get(self, request):
        filters = self.validated(ToolCallFilters, data=request.query_params)
        calls = selectors.calls_for_log(
            workspace=self.workspace,
            tool_id=filters.get("tool"),
            outcome=filters.get("outcome"),
            source=filters.get("source"),
            agent_id=filters.get("agent"),
            conversation_id=filters.get("conversation"),
        )
        return self.page(calls, ToolCallRepresentation)


class AgentToolListView(AgentToolsView):
    """An agent's tools: exported for a model runtime, or set on its draft."""

    def perform_content_negotiation(self, request, force=False):
        # `?format=` picks the function-calling shape here, not a DRF renderer.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        tags=TAG,
        operation_id="agents_tools_export",
        summary="Export an agent's tools for a model runtime",
        description=(
            "The tools of the agent's published version in the function-calling shape of "
            "OpenAI Chat Completions (`openai`), the OpenAI Responses API "
            "(`openai-responses`), Anthropic Messages (`anthropic`) or MCP `tools/list` "
            "(`mcp`, with `annotations` from the HTTP method: GET read-only and idempotent, "
            "PUT/DELETE idempotent, DELETE destructive), to hand to the runtime unchanged."
        ),
        parameters=[ExportFilters],
        responses={
            200: ExportResult,
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description="`agent_not_published`: the agent has no published version yet.",
            ),
        },
    )
    def get(self, request, pk):
        agent = self.agent()
        asked = self.validated(ExportFilters, data=request.query_params)
        definitions = selectors.agent_published_definitions(agent=agent)
        if definitions is None:
            raise AgentNotPublished()
        return Response(
            {
                "agent": agent.pk,
                "agent_version": agent.published_version,
                "format": asked["format"],
                "strict": asked["strict"],
                "tools": tools_exported(
                    definitions=definitions, format=asked["format"], strict=asked["strict"]
                ),
            }
        )

    @extend_schema(
        tags=TAG,
        operation_id="agents_tools_set",
        summary="Set the tools an agent's draft may call",
        description="The next publish snapshots them; published versions keep theirs.",
        request=AgentToolsInput,
        responses=AgentToolsResult,
    )
    def put(self, request, pk):
        agent = self.agent()
        names = self.validated(AgentToolsInput)["tools"]
        tools, unknown = selectors.tools_by_names(workspace=self.workspace, names=names)
        if unknown:
            message = f"Unknown tools: {', '.join(unknown)}."
            raise exceptions.ValidationError({"tools": [message]}, code="unknown_tools")
        tools = services.agent_tools_set(agent=agent, tools=tools)
        return Response({"agent": agent.pk, "tools": [tool.name for tool in tools]})


class AgentToolCallView(AgentToolsView):
    """The agent runtime's call of a tool."""

    @extend_schema(
        tags=TAG,
        operation_id="agents_tool_calls_create",
        summary="Call a tool of an agent",
        description=(
            "Runs the call synchronously with the tool as the agent's published version has it "
            "and answers what the model should read: the API's status and body (JSON parsed, "
            "else text; cut at the tool's size cap with a marker), or an `error` whose `type` "
            "is `invalid_arguments` (nothing was sent; `errors` per field), `timeout`, "
            "`refused` (a non-public destination), `connection_error`, `http_error` (non-2xx), "
            "`rate_limited` or `concurrency_limited` (with `retry_after_seconds`) or "
            "`tool_unavailable`. Every call is recorded and put on the conversation's trace."
        ),
        request=ToolCallInput,
        responses={
            200: ToolCallResult,
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description="No such agent, or `unknown_tool`: its published version has no "
                "tool of that name.",
            ),
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description="`agent_not_published`, or an Idempotency-Key reused or in use.",
            ),
        },
    )
    def post(self, request, pk):
        agent = self.agent()
        given = self.validated(ToolCallInput)
        try:
            outcome = services.agent_tool_call(
                agent=agent,
                tool_name=given["tool"],
                arguments=given["arguments"],
                conversation=given["conversation"],
                actor=self.actor,
            )
        except services.AgentNotPublished as error:
            raise AgentNotPublished(str(error)) from error
        except services.UnknownTool as error:
            raise UnknownTool(str(error)) from error
        return Response(outcome.result)
