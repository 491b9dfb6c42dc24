"""What every inbox API view shares: workspace scoping, the actor, input and pagination."""

from typing import Any

from omniflow.api.pagination import StableCursorPagination
from omniflow.api.views import WorkspaceAPIView


class BulkCursorPagination(StableCursorPagination):
    """Cursor pages of up to 1000 rows, for pulling data in bulk."""

    max_page_size = 1000


class TracePagination(StableCursorPagination):
    """A conversation's trace in the order things happened."""

    ordering = ("occurred_at", "id")
    page_size = 100
    max_page_size = 1000


class InboxView(WorkspaceAPIView):
    """Base of the inbox API views; each declares its `required_scope`."""


def renamed(filters: dict[str, Any], **names: str) -> dict[str, Any]:
    """Return filters with query names mapped to selector argument names."""
    return {names.get(key, key): value for key, value in filters.items()}
