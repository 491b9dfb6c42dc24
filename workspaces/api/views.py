"""API of the workspace's members (scope `members`): what Settings → Members does."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from omniflow.api.pagination import StableCursorPagination
from omniflow.api.views import WorkspaceAPIView

from ..selectors import members_for_workspace
from ..services import member_create, member_remove, member_update_role
from .serializers import (
    MemberCreatedRepresentation,
    MemberCreateInput,
    MemberRepresentation,
    MemberUpdateInput,
)

TAG = ["Members"]


class MemberView(WorkspaceAPIView):
    required_scope = "members"


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
            "Adds a person by email with a role. A new person given no password gets a "
            "one-time set-password link, answered in `set_password_url` this once."
        ),
        request=MemberCreateInput,
        responses={201: MemberCreatedRepresentation},
    )
    def post(self, request):
        data = self.validated(MemberCreateInput)
        membership, link_path = member_create(
            workspace=self.workspace,
            email=data["email"],
            role=data["role"],
            password=data.get("password") or None,
        )
        membership.set_password_url = request.build_absolute_uri(link_path) if link_path else None
        response = Response(MemberCreatedRepresentation(membership).data, status.HTTP_201_CREATED)
        # The link signs its holder in: no cache may keep it.
        response["Cache-Control"] = "no-store"
        return response


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
        description="The workspace's last admin cannot be demoted (400).",
        request=MemberUpdateInput,
        responses=MemberRepresentation,
    )
    def patch(self, request, pk: int):
        membership = self.member()
        data = self.validated(MemberUpdateInput, partial=True)
        if "role" in data:
            membership = member_update_role(membership=membership, role=data["role"])
        return Response(MemberRepresentation(membership).data)

    @extend_schema(
        tags=TAG,
        operation_id="members_destroy",
        summary="Remove a member",
        description="Their account stays; the workspace's last admin cannot be removed (400).",
        responses={204: None},
    )
    def delete(self, request, pk: int):
        member_remove(membership=self.member())
        return Response(status=status.HTTP_204_NO_CONTENT)
