"""Input fields shared by the apps' API serializers."""

import re

from rest_framework import serializers


class DestinationURL:
    """A URL the server will call: the schema states the schemes `validate_url` admits
    (`omniflow.api.schema.DestinationURLRule`)."""


# Python's whitespace (what str.strip() and DRF's trim_whitespace remove), in a character class of
# a pattern: unlike JSON Schema's \s, it has \x1c-\x1f and \x85, and no \ufeff.
PYTHON_SPACES = (
    "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
URI_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
URI_CHARACTERS_RULE = "Use only URL characters (percent-encode others; punycode for a host)."


def validate_uri_text(url: str) -> None:
    """Refuse a URL that is no RFC 3986 URI, though Django's URLValidator admits it (any
    non-space after the host, a name in any script): the API shows it as `format: uri`."""
    authority_end = url.find("/", url.find("://") + 3) if "://" in url else -1
    rest = "" if authority_end < 0 else url[authority_end:]
    for mark in "?#":  # a query or fragment with no path starts the rest too
        at = url.find(mark, url.find("://") + 3)
        if at >= 0 and (authority_end < 0 or at < authority_end):
            rest = url[at:]
            break
    if (
        not URI_CHARACTERS.match(url)
        or re.search("%(?![0-9A-Fa-f]{2})", url)
        or "[" in rest
        or "]" in rest
        or rest.count("#") > 1
    ):
        raise serializers.ValidationError(URI_CHARACTERS_RULE)


class DestinationURLField(DestinationURL, serializers.URLField):
    """A destination URL (a webhook endpoint's): a URI as Django's URLValidator admits it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_uri_text)


class DestinationURLTemplateField(DestinationURL, serializers.CharField):
    """A destination URL with {placeholders} (an agent tool's)."""


class WholeItem(serializers.Serializer):
    """An item of a list a PATCH replaces whole (a rule's actions, its conditions): its
    required fields stay required when the body is partial. DRF passes the root's `partial` to
    every nested field, so an action without its `type` reached `validate()` (a 500)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        missing = {
            name: [field.error_messages["required"]]
            for name, field in self.fields.items()
            if field.required and not field.read_only and field.source not in value
        }
        if missing:
            raise serializers.ValidationError(missing, code="required")
        return value
