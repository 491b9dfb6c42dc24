"""The one request body size limit (OMNIFLOW_API_MAX_BODY_BYTES): the API's and the hooks'.

`body_over_limit` is the check; the API answers it in `BodySizeLimitMiddleware` with a JSON 413
rather than Django's HTML 400, and the inbound receiver calls it too (it records a receipt).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from .errors import problem_response

API_PREFIX = "/api/"


def body_over_limit(request: HttpRequest) -> int | None:
    """Return the byte limit the request's body is over, or None when it is within it.

    Checked from Content-Length first (without reading anything), then by reading the body,
    which also turns Django's own DATA_UPLOAD_MAX_MEMORY_SIZE refusal into the same answer.
    """
    limit = settings.OMNIFLOW_API_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return limit
    if declared or request.method in ("POST", "PUT", "PATCH"):
        try:
            if len(request.body) > limit:
                return limit
        except RequestDataTooBig:
            return min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or limit)
    return None


def payload_too_large(limit: int) -> JsonResponse:
    """Return the API's 413 for a body over `limit` bytes."""
    return problem_response(
        status_code=413,
        type_="payload_too_large",
        title="Payload too large.",
        detail=f"The request body is over the limit of {limit} bytes.",
    )


class BodySizeLimitMiddleware:
    """Refuse API request bodies over OMNIFLOW_API_MAX_BODY_BYTES with a JSON 413."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            limit = body_over_limit(request)
            if limit is not None:
                return payload_too_large(limit)
        return self.get_response(request)
