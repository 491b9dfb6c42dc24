"""API of the workspace's members (scope `members`): what Settings → Members does."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apikeys.grants import Grantor
from omniflow.api.errors import PROBLEM_CONTENT_TYPE
from omniflow.api.pagination import StableCursorPagination
from omniflow.api.schema import ProblemSerializer
from omniflow.api.views import WorkspaceAPIView

from ..invitations import invitation_cancel, invitation_resend
from ..models import Invitation
from ..selectors import invitations_for_workspace, members_for_workspace
from ..services import member_create, member_remove, member_update_role
from .serializers import (
    InvitationRepresentation,
    MemberCreateInput,
    MemberRepresentation,
    MemberUpdateInput,
)

TAG = ["Members"]


class MemberView(WorkspaceAPIView):
    required_scope = "members"

    @property
    def grantor(self) -> Grantor:
        return Grantor.for_api_key(self.request.auth)


class MemberListView(MemberView):
    """List the workspace's members and their roles, or add one."""

    pagination_class = StableCursorPagination

    @extend_schema(
        tags=TAG,
        operation_id="members_list",
        summary="List members",
        responses=MemberRepresentation(many=True),
    )
    def get(self, request):
        members = members_for_workspace(workspace=self.workspace).order_by()
        return self.page(members, MemberRepresentation)

    @extend_schema(
        tags=TAG,
        operation_id="members_create",
        summary="Add a member",
        description=(
            "Adds a person by email with a role. Without a password (always, for an address "
            "that already has an Omniflow account) it emails them an invitation and answers "
            "202 with it (see `/member-invitations`): they join when they accept it. With a "
            "password, a new account joins at once (201). No response carries a credential. "
            "A key gives the admin role only with full access, the support role only with "
            "`webhooks:write`, `inbound:read` and `members:read` (what support staff reach)."
        ),
        request=MemberCreateInput,
        responses={201: MemberRepresentation, 202: InvitationRepresentation},
    )
    def post(self, request):
        data = self.validated(MemberCreateInput)
        added = member_create(
            workspace=self.workspace,
            email=data["email"],
            role=data["role"],
            password=data.get("password") or None,
            grantor=self.grantor,
            base_url=request.build_absolute_uri("/"),
        )
        if isinstance(added, Invitation):
            return Response(InvitationRepresentation(added).data, status.HTTP_202_ACCEPTED)
        return Response(MemberRepresentation(added).data, status.HTTP_201_CREATED)


class MemberDetailView(MemberView):
    """Read, change the role of, or remove one member (never the last admin), by user id."""

    def member(self):
        # `{id}` is the user id, as in `id` of the representation and every `assignee`.
        return get_object_or_404(
            members_for_workspace(workspace=self.workspace), user_id=self.kwargs["pk"]
        )

    @extend_schema(
        tags=TAG,
        operation_id="members_retrieve",
        summary="Get a member",
        responses=MemberRepresentation,
    )
    def get(self, request, pk: int):
        return Response(MemberRepresentation(self.member()).data)

    @extend_schema(
        tags=TAG,
        operation_id="members_update",
        summary="Change a member's role",
        description="The workspace's last admin cannot be demoted (409).",
        request=MemberUpdateInput,
        responses=MemberRepresentation,
    )
    def patch(self, request, pk: int):
        membership = self.member()
        data = self.validated(MemberUpdateInput, partial=True)
        if "role" in data:
            membership = member_update_role(
                membership=membership, role=data["role"], grantor=self.grantor
            )
        return Response(MemberRepresentation(membership).data)

    @extend_schema(
        tags=TAG,
        operation_id="members_destroy",
        summary="Remove a member",
        description="Their account stays; the workspace's last admin cannot be removed (409).",
        responses={
            204: None,
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description="The member is the workspace's last admin."
            ),
        },
    )
    def delete(self, request, pk: int):
        member_remove(membership=self.member(), grantor=self.grantor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(MemberView):
    """List the pending invitations (people invited who have not accepted yet)."""

    @extend_schema(
        tags=TAG,
        operation_id="member_invitations_list",
        summary="List pending invitations",
        responses=InvitationRepresentation(many=True),
    )
    def get(self, request):
        invitations = invitations_for_workspace(workspace=self.workspace).order_by()
        return self.page(invitations, InvitationRepresentation)


class InvitationView(MemberView):
    def invitation(self) -> Invitation:
        return self.found(invitations_for_workspace(workspace=self.workspace))


class InvitationDetailView(InvitationView):
    """Read or cancel one pending invitation."""

    @extend_schema(
        tags=TAG,
        operation_id="member_invitations_retrieve",
        summary="Get a pending invitation",
        responses=InvitationRepresentation,
    )
    def get(self, request, pk: int):
        return Response(InvitationRepresentation(self.invitation()).data)

    @extend_schema(
        tags=TAG,
        operation_id="member_invitations_destroy",
        summary="Cancel an invitation",
        description="Its emailed link stops working.",
        responses={204: None},
    )
    def delete(self, request, pk: int):
        invitation_cancel(invitation=self.invitation(), grantor=self.grantor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationResendView(InvitationView):
    @extend_schema(
        tags=TAG,
        operation_id="member_invitations_resend",
        summary="Send an invitation again",
        description="Emails a new link (the previous one stops working) with a new expiry.",
        request=None,
        responses=InvitationRepresentation,
    )
    def post(self, request, pk: int):
        invitation = invitation_resend(
            invitation=self.invitation(),
            grantor=self.grantor,
            base_url=request.build_absolute_uri("/"),
        )
        return Response(InvitationRepresentation(invitation).data)
