from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pagination on the monotonic primary key: stable while rows are being added.

    `?limit=` picks the page size (default 50, at most `max_page_size`); responses carry
    `next` and `previous` cursor URLs.
    """

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, ValidationError) as error:
            # A cursor is opaque but only base64: a forged position must not become a 500.
            raise NotFound(self.invalid_cursor_message) from error
