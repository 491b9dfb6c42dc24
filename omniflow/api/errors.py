"""One JSON error shape for the whole API, modelled on RFC 9457 problem details.

    {"type": "validation_error", "title": "Invalid input.", "status": 400,
     "detail": "...", "errors": {"field": ["message", ...]}}

`type` is stable and meant for code; `title` and `detail` are for people.
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.views import exception_handler as drf_exception_handler

from omniflow import exceptions as domain
from omniflow.exceptions import RULE_ERROR_CODE

PROBLEM_CONTENT_TYPE = "application/problem+json"

# DRF exception class -> (stable type, title)
_TYPES: list[tuple[type[Exception], str, str]] = [
    (exceptions.ValidationError, "validation_error", "Invalid input."),
    (exceptions.ParseError, "parse_error", "Malformed request body."),
    (exceptions.NotAuthenticated, "authentication_required", "Authentication required."),
    (exceptions.AuthenticationFailed, "authentication_failed", "Authentication failed."),
    (exceptions.PermissionDenied, "permission_denied", "Permission denied."),
    (exceptions.NotFound, "not_found", "Not found."),
    (exceptions.MethodNotAllowed, "method_not_allowed", "Method not allowed."),
    (exceptions.NotAcceptable, "not_acceptable", "Not acceptable."),
    (exceptions.UnsupportedMediaType, "unsupported_media_type", "Unsupported media type."),
    (exceptions.Throttled, "rate_limited", "Too many requests."),
]


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


_TYPES += [
    (Conflict, "conflict", "Conflict."),
    (PayloadTooLarge, "payload_too_large", "Payload too large."),
]


# Refusals of a well-formed body for what the workspace holds now, not for the body's shape: a
# referenced object or member that does not exist, the last admin, an email already a member,
# invited or with an account (given a password), a revoked key, an end before the stored start,
# a name another object of the workspace has.
# The same body succeeds against another state, so they answer 409 (RFC 9110: a conflict with
# the current state) with the per-field `errors` of a 400; a body with any other error as well
# stays a 400. Services raise them with one of these codes (`ValidationError(..., code=...)`,
# DRF's `fail(key)`).
STATE_ERROR_CODES = frozenset(
    {
        "does_not_exist",
        "not_member",
        "unknown_tools",
        "already_member",
        "already_invited",
        "account_exists",
        "last_admin",
        "key_revoked",
        "ends_before_start",
        "name_taken",
    }
)


# Refusals of a well-formed body for a rule JSON Schema cannot state, whatever the workspace
# holds: one across fields (an action's required setting, email or external_id), a parser's (an
# OpenAPI document), the clock's (an expiry in the past), where a host resolves, a password
# validator's dictionary or likeness to the email. They answer 422 (RFC 9110: the content is
# understood and well-formed, but cannot be processed) with the per-field `errors` of a 400, so a
# client or fuzzer tells them from what the schema forbids; beside a state conflict too. Services
# raise them with `code=RULE_ERROR_CODE` (omniflow.exceptions).
RULE_ERROR_CODES = frozenset({RULE_ERROR_CODE, "password_too_common", "password_too_similar"})


def _error_codes(detail) -> set[str]:
    """Return every code in DRF's nested error detail."""
    if isinstance(detail, dict):
        return set().union(*(_error_codes(value) for value in detail.values()))
    if isinstance(detail, list):
        return set().union(*(_error_codes(item) for item in detail))
    return {getattr(detail, "code", None) or "invalid"}


def _well_formed_refusal(detail) -> tuple[int, str, str] | None:
    """Return the status, type and title of a body refused only for the workspace's state
    (409) or for rules no schema states (422); None for a 400."""
    codes = _error_codes(detail)
    if codes <= STATE_ERROR_CODES:
        return status.HTTP_409_CONFLICT, "conflict", "Conflict."
    if codes <= STATE_ERROR_CODES | RULE_ERROR_CODES:
        return status.HTTP_422_UNPROCESSABLE_ENTITY, "unprocessable", "Unprocessable content."
    return None


def problem(
    *, status_code: int, type_: str, title: str, detail: str, errors: dict | None = None
) -> dict:
    """Return a problem body."""
    body = {"type": type_, "title": title, "status": status_code, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def _flatten_errors(data, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into {"field.sub": ["message"]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                # A nested object's own errors belong to the field that holds it.
                name = prefix or "non_field_errors"
            flat.update(_flatten_errors(value, name))
    elif isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            flat[prefix or "non_field_errors"] = [str(item) for item in data]
        else:
            for index, item in enumerate(data):
                flat.update(_flatten_errors(item, f"{prefix}[{index}]" if prefix else str(index)))
    else:
        flat[prefix or "non_field_errors"] = [str(data)]
    return flat


def _type_for(exc: Exception) -> tuple[str, str]:
    for exc_class, type_, title in _TYPES:
        if isinstance(exc, exc_class):
            return type_, title
    code = getattr(exc, "default_code", "error")
    return str(code), "Error."


def exception_handler(exc, context):
    """DRF exception handler that answers every error in the problem shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        # Services validate with Django's exception; the API answers it per field (400, 409).
        # Django's codes are kept: they say which refusals are state conflicts.
        detail = get_error_detail(exc)
        exc = exceptions.ValidationError(
            detail if isinstance(detail, dict) else {"non_field_errors": detail}
        )
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    domain_error = exc if isinstance(exc, domain.DomainError) else None
    if isinstance(exc, domain.Conflict):
        exc = Conflict(exc.detail)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    type_, title = _type_for(exc)
    if domain_error is not None:
        # A service's refusal names its own stable type (e.g. `endpoint_deleted`).
        type_, title = domain_error.type_, domain_error.title
    if isinstance(exc, exceptions.ValidationError):
        refusal = _well_formed_refusal(exc.detail)
        if refusal is not None:
            response.status_code, type_, title = refusal
        errors = _flatten_errors(exc.detail)
        detail = "; ".join(
            f"{field}: {' '.join(messages)}" if field != "non_field_errors" else " ".join(messages)
            for field, messages in errors.items()
        )
        body = problem(
            status_code=response.status_code,
            type_=type_,
            title=title,
            detail=detail,
            errors=errors,
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = problem(
            status_code=response.status_code, type_=type_, title=title, detail=str(detail)
        )
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(
    *, status_code: int, type_: str, title: str, detail: str, errors: dict | None = None
) -> JsonResponse:
    """Return a problem response from plain Django code (404/500 handlers, middleware, hooks)."""
    return JsonResponse(
        problem(status_code=status_code, type_=type_, title=title, detail=detail, errors=errors),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def api_not_found(request, exception=None):
    return problem_response(
        status_code=404,
        type_="not_found",
        title="Not found.",
        detail=f"No API endpoint at {request.path}.",
    )


def api_server_error(request):
    return problem_response(
        status_code=500,
        type_="server_error",
        title="Server error.",
        detail="Something went wrong on our side. It has been logged.",
    )


__all__ = ["Conflict", "PayloadTooLarge", "exception_handler", "problem_response"]
