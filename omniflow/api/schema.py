"""OpenAPI generation shared by every API view: the API-key scheme, the problem shape on
every operation and the `Idempotency-Key` header on every POST."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from ..vendor_adapters.spectacular import ResponseBodiesHook
from .errors import PROBLEM_CONTENT_TYPE


class ProblemSerializer(serializers.Serializer):
    """The one error shape of the API (RFC 9457 problem details)."""

    type = serializers.CharField(help_text="Stable machine-readable error type.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per input field (validation errors only).",
    )

    class Meta:
        ref_name = "Problem"


_WRITE_METHODS = ("POST", "PUT", "PATCH")
_ERROR_DESCRIPTIONS = {
    "400": "Invalid input (see `errors` per field) or malformed JSON.",
    "401": "Missing, invalid, revoked or expired API key.",
    "403": "The API key lacks the scope this request needs.",
    "404": "No such object in this workspace.",
    "409": "Conflict with the current state, or an Idempotency-Key reused or in use.",
    "413": "Request body over the limit (setting OMNIFLOW_API_MAX_BODY_BYTES, default 1 MiB).",
    "415": "Request body is not JSON.",
    "429": "Rate limit reached; Retry-After says when to try again.",
}

# Structured fields of draft-ietf-httpapi-ratelimit-headers, on every response of the API.
_RATE_LIMIT_HEADERS = {
    "RateLimit": {
        "description": (
            "Where each limit stands after this request: a list of policy names, each with "
            "`r` (requests remaining) and `t` (seconds until its window resets)."
        ),
        "schema": {"type": "string"},
        "example": '"default";r=42;t=18',
    },
    "RateLimit-Policy": {
        "description": (
            "Every limit that applies: a list of policy names, each with `q` (requests per "
            "window) and `w` (the window, in seconds)."
        ),
        "schema": {"type": "string"},
        "example": '"burstable-minute";q=120;w=60, "burstable-hour";q=1000;w=3600',
    },
}
_RETRY_AFTER_HEADER = {
    "description": "Whole seconds after which a retry is admitted (never early).",
    "schema": {"type": "integer", "minimum": 1},
}


class ApiAutoSchema(ResponseBodiesHook):
    """AutoSchema that documents the API's shared behaviour on each operation."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=(
                        "Retry-safe POST: the same key with the same body within 24 hours "
                        "replays the first response (header `Idempotent-Replayed: true`) and "
                        "creates nothing; a different body answers 409. At most 255 printable "
                        "ASCII characters."
                    ),
                )
            )
        return parameters

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in _WRITE_METHODS:
            codes += ["409", "413", "415"]
        return sorted(codes)

    def response_bodies_extend(self, responses: dict, direction: str) -> dict:
        if direction != "response" or not self.path.startswith("/api/v1/"):
            return responses
        problem = OpenApiResponse(response=ProblemSerializer)
        for code in self._error_codes():
            if code not in responses:
                body = self.response_body_for_code(
                    problem, code, media_types=[PROBLEM_CONTENT_TYPE], direction=direction
                )
                body["description"] = _ERROR_DESCRIPTIONS[code]
                responses[code] = body
        for code, body in responses.items():
            headers = body.setdefault("headers", {})
            headers.update(_RATE_LIMIT_HEADERS)
            if code == "429":
                headers["Retry-After"] = _RETRY_AFTER_HEADER
        return responses


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace API key: `Authorization: Bearer omf_live_…`.",
        }
