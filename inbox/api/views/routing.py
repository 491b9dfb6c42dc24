from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from ... import selectors, services
from ...representations import RoutingRuleRepresentation, routing_rule_data
from ..rule_serializers import RoutingRuleInput
from .base import InboxView

TAG = ["Routing rules"]
RULES_DESCRIPTION = (
    "A rule's conditions all hold on a new or updated conversation (its `trigger`) → its "
    "actions run: assign, tag, set_priority. A rule fires only when an action changes "
    "something; each firing is traced on the conversation and emits `automation.triggered`. "
    "Routing rules act on conversations, so they need the `conversations` scope."
)


class RoutingRuleListView(InboxView):
    """List and create routing rules."""

    # Rules change what happens to conversations: the conversations scope governs them.
    required_scope = "conversations"

    @extend_schema(
        tags=TAG,
        operation_id="routing_rules_list",
        summary="List routing rules",
        description=RULES_DESCRIPTION,
        responses=RoutingRuleRepresentation(many=True),
    )
    def get(self, request):
        return self.page(
            selectors.routing_rules_for_workspace(workspace=self.workspace),
            RoutingRuleRepresentation,
        )

    @extend_schema(
        tags=TAG,
        operation_id="routing_rules_create",
        summary="Create a routing rule",
        description=RULES_DESCRIPTION,
        request=RoutingRuleInput,
        responses={201: RoutingRuleRepresentation},
    )
    def post(self, request):
        rule = services.routing_rule_create(
            workspace=self.workspace, **self.validated(RoutingRuleInput)
        )
        return Response(routing_rule_data(rule), status=status.HTTP_201_CREATED)


class RoutingRuleDetailView(InboxView):
    """Read, update and delete one routing rule."""

    required_scope = "conversations"

    def _rule(self):
        return self.found(selectors.routing_rules_for_workspace(workspace=self.workspace))

    @extend_schema(
        tags=TAG,
        operation_id="routing_rules_retrieve",
        summary="Get a routing rule",
        responses=RoutingRuleRepresentation,
    )
    def get(self, request, pk):
        return Response(routing_rule_data(self._rule()))

    @extend_schema(
        tags=TAG,
        operation_id="routing_rules_update",
        summary="Update a routing rule",
        request=RoutingRuleInput,
        responses=RoutingRuleRepresentation,
    )
    def patch(self, request, pk):
        rule = services.routing_rule_update(
            rule=self._rule(), **self.validated(RoutingRuleInput, partial=True)
        )
        return Response(routing_rule_data(rule))

    @extend_schema(
        tags=TAG,
        operation_id="routing_rules_delete",
        summary="Delete a routing rule",
        responses={204: None},
    )
    def delete(self, request, pk):
        services.routing_rule_delete(rule=self._rule())
        return Response(status=status.HTTP_204_NO_CONTENT)
