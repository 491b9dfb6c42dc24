"""What every inbox API view shares: workspace scoping, the actor, input and pagination."""

from typing import Any

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from omniflow.api.idempotency import IdempotentAPIView
from omniflow.api.pagination import StableCursorPagination

from ...services import actor_for_api_key


class BulkCursorPagination(StableCursorPagination):
    """Cursor pages of up to 1000 rows, for pulling data in bulk."""

    max_page_size = 1000


class TracePagination(StableCursorPagination):
    """A conversation's trace in the order things happened."""

    ordering = ("occurred_at", "id")
    page_size = 100
    max_page_size = 1000


class InboxView(IdempotentAPIView, GenericAPIView):
    """Base of the inbox API views; each declares its `required_scope`."""

    pagination_class = StableCursorPagination
    required_scope: str

    @property
    def workspace(self):
        return self.request.auth.workspace

    @property
    def actor(self) -> str:
        return actor_for_api_key(self.request.auth)

    def validated(
        self, serializer_class: type[serializers.Serializer], *, partial: bool = False
    ) -> dict[str, Any]:
        """Return the request body validated (400 with per-field errors otherwise)."""
        serializer = serializer_class(
            data=self.request.data, partial=partial, context={"workspace": self.workspace}
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def filters(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """Return the query-string filters validated, without the ones not given."""
        serializer = serializer_class(
            data=self.request.query_params, context={"workspace": self.workspace}
        )
        serializer.is_valid(raise_exception=True)
        return {key: value for key, value in serializer.validated_data.items() if value != ""}

    def found(self, queryset):
        """Return the object of the URL's id in the queryset (already workspace-scoped) or 404."""
        return get_object_or_404(queryset, pk=self.kwargs["pk"])

    def page(self, queryset, representation: type[serializers.Serializer]) -> Response:
        """Return one cursor page of the queryset."""
        rows = self.paginate_queryset(queryset)
        return self.get_paginated_response(representation(rows, many=True).data)


def renamed(filters: dict[str, Any], **names: str) -> dict[str, Any]:
    """Return filters with query names mapped to selector argument names."""
    return {names.get(key, key): value for key, value in filters.items()}
