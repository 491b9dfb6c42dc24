"""OpenAPI generation shared by every API view: the API-key scheme, the problem shape on
every operation, the `Idempotency-Key` header on every POST, and the input rules DRF enforces
that drf-spectacular does not state (a blank string or an empty list refused)."""

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from ..http.destinations import private_urls_allowed
from ..idempotency import MAX_KEY_LENGTH
from ..vendor_adapters.spectacular import field_schema_default
from .errors import PROBLEM_CONTENT_TYPE
from .fields import PYTHON_SPACES


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
    "404": "No such object in this workspace, or an invalid `cursor`.",
    "409": (
        "Conflict with the current state (see `errors` per field where the body names what "
        "does not exist, such as an unknown id or member), or an Idempotency-Key reused or in "
        "use."
    ),
    "422": (
        "Well-formed input refused for a rule no JSON Schema here states (see `errors` per "
        "field): one across fields (what an action, a trigger or an auth needs; an email or an "
        "external_id; a search that names another value than a filter), a parser's (rates, an "
        "OpenAPI document, a JSON Schema), the clock's (an expiry in the past), where a URL's "
        "host resolves, a common password. The same shape as a 400."
    ),
    "413": "Request body over the limit (setting OMNIFLOW_API_MAX_BODY_BYTES, default 1 MiB).",
    "414": (
        "URL too long: refused by the HTTP server before the API sees it (gunicorn: a request "
        "line over 4094 bytes), in that server's own format, not a problem body."
    ),
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


class ApiAutoSchema(AutoSchema):
    """AutoSchema that documents the API's shared behaviour on each operation."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    # What omniflow.api.idempotency accepts; anything else answers 400.
                    {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_KEY_LENGTH,
                        "pattern": "^[ -~]+$",
                    },
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
        # A GET either reads one object or lists with a `cursor` that may be invalid.
        if "{" in self.path or self.method == "GET":
            codes.append("404")
        if self.method in _WRITE_METHODS:
            codes += ["409", "413", "415", "422"]
        elif getattr(self.view, "query_rules_unstated", False):
            codes.append("422")
        return sorted(codes)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None and path.startswith("/api/v1/"):
            self._add_shared_responses(operation["responses"])
        return operation

    def _add_shared_responses(self, responses: dict) -> None:
        """Add the problem answers the operation does not declare itself, the web server's 414,
        and the rate-limit headers (Retry-After on a 429) to every answer of the API's own."""
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        for code in self._error_codes():
            responses.setdefault(
                code,
                {
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": problem}},
                    "description": _ERROR_DESCRIPTIONS[code],
                },
            )
        # The web server's own refusal: no body or header of the API's is promised on it.
        responses["414"] = {"description": _ERROR_DESCRIPTIONS["414"]}
        for code, body in responses.items():
            if code == "414":
                continue
            headers = body.setdefault("headers", {})
            headers.update(_RATE_LIMIT_HEADERS)
            if code == "429":
                headers["Retry-After"] = _RETRY_AFTER_HEADER


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace API key: `Authorization: Bearer omf_live_…`.",
        }


class _InputRule(OpenApiSerializerFieldExtension):
    """A field extension that adds to a request field's default schema what DRF enforces."""

    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = field_schema_default(auto_schema, self.target, direction)
        return {**schema, **self.rules(schema)} if direction == "request" else schema

    def rules(self, schema: dict) -> dict:
        raise NotImplementedError


# A character Python's str.strip() keeps (its whitespace is not JSON Schema's \s: it has
# \x1c-\x1f and \x85 too, and no \ufeff).
_PYTHON_SPACES = PYTHON_SPACES
_NOT_PYTHON_SPACE = f"[^{_PYTHON_SPACES}]"
_PYTHON_SPACE = f"[{_PYTHON_SPACES}]"


class NonBlankStringField(_InputRule):
    """A string field that refuses "" says so: `minLength: 1` (DRF's `allow_blank=False`), and,
    as DRF strips it first (`trim_whitespace`), a character that is not a space."""

    target_class = "rest_framework.fields.CharField"

    def rules(self, schema):
        if getattr(self.target, "allow_blank", True):
            return {}
        rules = {} if "minLength" in schema else {"minLength": 1}
        # A regex validator of its own is its pattern (drf-spectacular adds it after this).
        has_regex = any(hasattr(v, "regex") for v in getattr(self.target, "validators", []))
        if getattr(self.target, "trim_whitespace", False) and not has_regex:
            rules["pattern"] = _NOT_PYTHON_SPACE
        return rules


class DestinationURLRule(NonBlankStringField):
    """A URL the server will call states what the server admits of it: a scheme `validate_url`
    admits (https, and http only where private URLs are allowed, a development setting), a host
    (an IPv6 address in brackets is one) and a valid port, no credentials. A webhook endpoint's
    URL is a URLField, so its host is also one Django's URLValidator admits (a name with a
    top-level domain of two letters or more, an IPv4 address, localhost); a tool's URL template
    holds URL characters only, and its placeholders fill the path and query only."""

    target_class = "omniflow.api.fields.DestinationURL"
    priority = 1  # before NonBlankStringField, whose rule it keeps

    def rules(self, schema):
        # `urlsplit` lowercases the scheme, so HTTPS:// is https too.
        scheme = "[Hh][Tt][Tt][Pp][Ss]?" if private_urls_allowed() else "[Hh][Tt][Tt][Pp][Ss]"
        if isinstance(self.target, serializers.URLField):
            url = f"{scheme}://{_URL_VALIDATOR_HOST_PORT}{_URI_REST}"
        else:
            url = f"(?=[{_URL_CHARACTERS}]*{_PYTHON_SPACE}*$){scheme}://{_URL_HOST_PORT}"
            url += f"(?:[/?#][{_URL_CHARACTERS}]*)?"
        # DRF strips the value before it checks it.
        return {**super().rules(schema), "pattern": f"^{_PYTHON_SPACE}*{url}{_PYTHON_SPACE}*$"}


def _ipv6_pattern() -> str:
    """Return a pattern of the addresses Python's ipaddress.IPv6Address admits (no zone): eight
    groups, or fewer around one `::`, the last two of them maybe an IPv4 address."""
    group = "[0-9A-Fa-f]{1,4}"
    alternatives = []
    for tail, total in (("", 8), (f":{_IPV4}", 6)):
        alternatives.append(f"{group}(?::{group}){{{total - 1}}}{tail}")
        for left in range(total):
            before = f"{group}(?::{group}){{{left - 1}}}" if left else ""
            room = total - 1 - left
            if tail:
                after = f"(?:{group}:){{0,{room}}}{_IPV4}"
            else:
                after = f"(?:{group}(?::{group}){{0,{room - 1}}})?" if room else ""
            alternatives.append(f"{before}::{after}")
    return "(?:" + "|".join(alternatives) + ")"


_IPV4_OCTET = "(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)"  # Django's: no leading 0
_IPV4 = f"{_IPV4_OCTET}(?:\\.{_IPV4_OCTET}){{3}}"
_IPV6 = _ipv6_pattern()
_PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
# What agenttools.services.tools.URL_CHARACTERS admits (in a character class).
_URL_CHARACTERS = r"A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%{}"
# A host (a name, or an IPv6 address in brackets; no credentials, no placeholder) and a valid
# port, if any, as `urlsplit` and `validate_url` read them.
_URL_HOST_PORT = f"(?:\\[{_IPV6}\\]|[^/?#@:\\s\\[\\]{{}}]+)(?::(?:0*{_PORT})?)?"
# Django's URLValidator host (DomainNameValidator's name, IPv4, IPv6, localhost), case-blind
# as it is; a name of at most 253 characters; a port of at most five digits, at most 65535.
# Its names in ASCII only: the URL is an RFC 3986 URI too (omniflow.api.fields.validate_uri_text).
_DJANGO_NAME = (
    "(?=[^:/?#]{1,253}(?:[:/?#]|$))"
    "[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    "(?:\\.(?!-)[a-zA-Z0-9-]{1,63}(?<!-))*"
    "\\.(?!-)(?:[a-zA-Z-]{2,63}|[Xx][Nn]--[a-zA-Z0-9]{1,59})(?<!-)\\.?"
)
# A URI's path, query and fragment (RFC 3986 pchar, percent-encodings whole).
_PCHAR = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_URI_REST = f"(?:/{_PCHAR}*)*(?:\\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"


def http_url_pattern(*, origin: bool = False) -> str:
    """Return the pattern of an http(s) URL as a URLField with `validate_uri_text` admits it
    (credentials and any port of five digits included), or of an origin (no path but slashes,
    no query or fragment): a form trigger's redirect URLs and allowed origins."""
    userinfo = f"(?:{_USERINFO_CHAR}+(?::{_USERINFO_CHAR}*)?@)?"
    rest = "/*" if origin else _URI_REST  # an origin's trailing slashes are dropped
    url = f"[Hh][Tt][Tt][Pp][Ss]?://{userinfo}{_URL_VALIDATOR_HOST}(?::[0-9]{{1,5}})?{rest}"
    return f"^{_PYTHON_SPACE}*{url}{_PYTHON_SPACE}*$"


_URL_VALIDATOR_HOST = (
    f"(?:{_IPV4}|\\[{_IPV6}\\]|{_DJANGO_NAME}|[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt])"
)
_URL_VALIDATOR_HOST_PORT = f"{_URL_VALIDATOR_HOST}(?::(?=[0-9]{{1,5}}(?![0-9]))0*{_PORT})?"
_USERINFO_CHAR = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})"


class NonEmptyListField(_InputRule):
    """A list field that refuses [] says so: `minItems: 1` (DRF's `allow_empty=False`)."""

    target_class = "rest_framework.fields.ListField"

    def rules(self, schema):
        return {"minItems": 1} if not self.target.allow_empty and "minItems" not in schema else {}


# Any JSON value but null, as alternatives every generator reads (a list of types with
# "array" and no `items` makes openapi-python-client drop the whole schema).
NON_NULL_JSON = {
    "oneOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {}},
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
    ]
}


class NonNullJSONField(_InputRule):
    """A free JSON input that refuses null says so (DRF's `allow_null=False`)."""

    target_class = "rest_framework.fields.JSONField"

    def rules(self, schema):
        shaped = {"type", "oneOf", "anyOf", "$ref"} & set(schema)
        return NON_NULL_JSON if not self.target.allow_null and not shaped else {}


class BoundedNestedList(_InputRule):
    """A list of nested objects (`many=True`) states its bounds: minItems and maxItems."""

    target_class = "rest_framework.serializers.ListSerializer"

    def rules(self, schema):
        if schema.get("type") != "array":
            return {}
        bounds = {}
        if self.target.min_length is not None:
            bounds["minItems"] = self.target.min_length
        elif not self.target.allow_empty:
            bounds["minItems"] = 1
        if self.target.max_length is not None:
            bounds["maxItems"] = self.target.max_length
        return bounds
