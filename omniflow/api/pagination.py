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
