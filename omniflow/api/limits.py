"""Request body size limit of the API: a JSON 413 rather than Django's HTML 400."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from .errors import problem_response

API_PREFIX = "/api/"


def _too_large(limit: int):
    return problem_response(
        status_code=413,
        type_="payload_too_large",
        title="Payload too large.",
        detail=f"The request body is over the limit of {limit} bytes.",
    )


class BodySizeLimitMiddleware:
    """Refuse API request bodies over OMNIFLOW_API_MAX_BODY_BYTES with a JSON 413.

    Checked from Content-Length first (without reading anything), then by reading the body,
    which also turns Django's own DATA_UPLOAD_MAX_MEMORY_SIZE refusal into the same 413.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.OMNIFLOW_API_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return _too_large(limit)
        if declared or request.method in ("POST", "PUT", "PATCH"):
            try:
                if len(request.body) > limit:
                    return _too_large(limit)
            except RequestDataTooBig:
                return _too_large(min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or limit))
        return self.get_response(request)
