from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from ... import selectors, services
from ...representations import ContactRepresentation, contact_data
from ..serializers import ContactFilters, ContactInput
from .base import InboxView

TAG = ["Contacts"]


class ContactListView(InboxView):
    """List contacts and create or upsert one."""

    required_scope = "contacts"

    @extend_schema(
        tags=TAG,
        operation_id="contacts_list",
        summary="List contacts",
        parameters=[ContactFilters],
        responses=ContactRepresentation(many=True),
    )
    def get(self, request):
        contacts = selectors.contacts_for_workspace(
            workspace=self.workspace, **self.filters(ContactFilters)
        )
        return self.page(contacts, ContactRepresentation)

    @extend_schema(
        tags=TAG,
        operation_id="contacts_upsert",
        summary="Create or upsert a contact",
        description=(
            "Matches an existing contact by external_id, else by email (case-insensitive). "
            "Creates one (201) or updates the match (200, same id); custom attributes merge. "
            "An external_id and an email that belong to two different contacts are a 409."
        ),
        request=ContactInput,
        responses={201: ContactRepresentation, 200: ContactRepresentation},
    )
    def post(self, request):
        contact, created = services.contact_upsert(
            workspace=self.workspace, **self.validated(ContactInput)
        )
        return Response(
            contact_data(contact), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ContactDetailView(InboxView):
    """Read and update one contact."""

    required_scope = "contacts"

    def _contact(self):
        return self.found(selectors.contacts_for_workspace(workspace=self.workspace))

    @extend_schema(
        tags=TAG,
        operation_id="contacts_retrieve",
        summary="Get a contact",
        responses=ContactRepresentation,
    )
    def get(self, request, pk):
        return Response(contact_data(self._contact()))

    @extend_schema(
        tags=TAG,
        operation_id="contacts_update",
        summary="Update a contact",
        description="Custom attributes merge; a null value removes a key.",
        request=ContactInput,
        responses=ContactRepresentation,
    )
    def patch(self, request, pk):
        contact = services.contact_update(
            contact=self._contact(), **self.validated(ContactInput, partial=True)
        )
        return Response(contact_data(contact))
