"""API of the workspace's members (scope `members`): read-only for now."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView

from omniflow.api.pagination import StableCursorPagination

from ..selectors import members_for_workspace
from .serializers import MemberRepresentation

TAG = ["Members"]


class MemberListView(GenericAPIView):
    """List the workspace's members and their roles."""

    required_scope = "members"
    pagination_class = StableCursorPagination

    @extend_schema(
        tags=TAG,
        operation_id="members_list",
        summary="List members",
        responses=MemberRepresentation(many=True),
    )
    def get(self, request):
        members = members_for_workspace(workspace=request.auth.workspace).order_by()
        rows = self.paginate_queryset(members)
        return self.get_paginated_response(MemberRepresentation(rows, many=True).data)
