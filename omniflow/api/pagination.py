from django.core.exceptions import ValidationError
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pagination on the monotonic primary key: stable while rows are being added.

    `?limit=` picks the page size (default 50, larger values are cut to `max_page_size`); a
    `limit` that is not a positive integer answers 400, a `cursor` this API did not give 404.
    Responses carry `next` and `previous` cursor URLs.
    """

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    invalid_cursor_message = "Invalid cursor: use the `next` or `previous` link of a page."

    def get_page_size(self, request):
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return self.page_size
        # DRF falls back to the default for `?limit=null`; an API that documents an integer
        # says when it was not given one.
        if not given.isascii() or not given.isdigit() or int(given) < 1:
            raise serializers.ValidationError(
                {self.page_size_query_param: ["A positive integer, e.g. 50."]}
            )
        return min(int(given), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, ValidationError) as error:
            # A cursor is opaque but only base64: a forged position must not become a 500.
            raise NotFound(self.invalid_cursor_message) from error

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Rows per page: default {self.page_size}, at most {self.max_page_size} "
                    "(larger values are cut)."
                )
            else:
                parameter["description"] = (
                    "The `next` or `previous` link's cursor; any other value answers 404."
                )
        return parameters
