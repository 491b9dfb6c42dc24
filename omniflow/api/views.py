"""The one base of every API view: workspace scoping, the actor, input, lookup and pages."""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from omniflow.actors import actor_for_api_key

from .idempotency import IdempotentAPIView
from .pagination import StableCursorPagination


class WorkspaceAPIView(IdempotentAPIView, GenericAPIView):
    """Base of the API views; each declares its `required_scope` (see apikeys.permissions)."""

    pagination_class = StableCursorPagination
    required_scope: str

    @property
    def workspace(self):
        return self.request.auth.workspace

    @property
    def actor(self) -> str:
        """Return the trace label of the API key making the request."""
        return actor_for_api_key(self.request.auth)

    def validated(
        self,
        serializer_class: type[serializers.Serializer],
        *,
        partial: bool = False,
        data: Any = None,
    ) -> dict[str, Any]:
        """Return the request body (or `data`) validated: 400 with per-field errors otherwise."""
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            partial=partial,
            context={"workspace": self.workspace},
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

    def page(
        self,
        queryset,
        representation: type[serializers.Serializer],
        *,
        context: dict | Callable[[list], dict] | None = None,
    ) -> Response:
        """Return one cursor page of the queryset (`context` may be built from the page's rows)."""
        rows = self.paginate_queryset(queryset)
        if callable(context):
            context = context(rows)
        if context:
            data = representation(rows, many=True, context=context).data
        else:
            shared = _shared_representation(representation)
            data = [shared.to_representation(row) for row in rows]
        return self.get_paginated_response(data)


@cache
def _shared_representation(representation: type[serializers.Serializer]):
    # A serializer builds its fields (a ModelSerializer from the model) when first used: once per
    # process, not per page. Safe to share without a context: the representations of the API are
    # read-only and keep no state between `to_representation` calls.
    return representation()
