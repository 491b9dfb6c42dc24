"""The one base of every API view: workspace scoping, the actor, input, lookup and pages."""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from omniflow.actors import actor_for_api_key

from .idempotency import IdempotentAPIView
from .pagination import StableCursorPagination
from .strict_types import type_errors


def query_values(data: Any) -> Any:
    """Return a query string as a plain dict (the last value of each name), else `data`.

    DRF reads a QueryDict as an HTML form, where an empty value of an optional field means "not
    given"; the API documents its query values by type, so `?status=` is refused like any
    other value outside the enum.
    """
    return data.dict() if isinstance(data, QueryDict) else data


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
            data=self.request.data if data is None else query_values(data),
            partial=partial,
            context={"workspace": self.workspace},
        )
        if data is None:
            return dict(self.checked(serializer).validated_data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def checked(self, serializer: serializers.Serializer) -> serializers.Serializer:
        """Return a serializer of the request body validated, its JSON types first (400)."""
        mistyped = type_errors(serializer, serializer.initial_data)
        valid = serializer.is_valid()
        if mistyped:
            # Every field's problem at once; a mistyped one says so rather than what DRF
            # made of the coerced value.
            errors = serializer.errors if isinstance(serializer.errors, dict) else {}
            raise serializers.ValidationError({**errors, **mistyped})
        if not valid:
            raise serializers.ValidationError(serializer.errors)
        return serializer

    def filters(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """Return the query-string filters validated (`?status=` is a value, and refused)."""
        serializer = serializer_class(
            data=query_values(self.request.query_params), context={"workspace": self.workspace}
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

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
