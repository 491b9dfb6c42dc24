from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from ... import selectors, services
from ...representations import TicketRepresentation, ticket_data
from ..serializers import TicketFilters, TicketInput
from .base import InboxView, renamed

TAG = ["Tickets"]


class TicketListView(InboxView):
    """List and create tickets."""

    required_scope = "tickets"

    @extend_schema(
        tags=TAG,
        operation_id="tickets_list",
        summary="List tickets",
        parameters=[TicketFilters],
        responses=TicketRepresentation(many=True),
    )
    def get(self, request):
        tickets = selectors.tickets_for_workspace(
            workspace=self.workspace,
            **renamed(self.filters(TicketFilters), conversation="conversation_id"),
        )
        return self.page(tickets, TicketRepresentation)

    @extend_schema(
        tags=TAG,
        operation_id="tickets_create",
        summary="Create a ticket",
        description="Emits `ticket.created`; a linked conversation's trace records it.",
        request=TicketInput,
        responses={201: TicketRepresentation},
    )
    def post(self, request):
        ticket = services.ticket_create(
            workspace=self.workspace, actor=self.actor, **self.validated(TicketInput)
        )
        return Response(
            ticket_data(selectors.ticket_with_tags(ticket=ticket)), status=status.HTTP_201_CREATED
        )


class TicketDetailView(InboxView):
    """Read and update one ticket."""

    required_scope = "tickets"

    def _ticket(self):
        return self.found(selectors.tickets_for_workspace(workspace=self.workspace))

    @extend_schema(
        tags=TAG,
        operation_id="tickets_retrieve",
        summary="Get a ticket",
        responses=TicketRepresentation,
    )
    def get(self, request, pk):
        return Response(ticket_data(self._ticket()))

    @extend_schema(
        tags=TAG,
        operation_id="tickets_update",
        summary="Update a ticket",
        description="A status change emits `ticket.status_changed` with the previous status.",
        request=TicketInput,
        responses=TicketRepresentation,
    )
    def patch(self, request, pk):
        ticket = services.ticket_update(
            ticket=self._ticket(), actor=self.actor, **self.validated(TicketInput, partial=True)
        )
        return Response(ticket_data(selectors.ticket_with_tags(ticket=ticket)))
