"""Input fields shared by the apps' API serializers."""

from rest_framework import serializers


class DestinationURL:
    """A URL the server will call: the schema states the schemes `validate_url` admits
    (`omniflow.api.schema.DestinationURLRule`)."""


class DestinationURLField(DestinationURL, serializers.URLField):
    """A destination URL (a webhook endpoint's)."""


class DestinationURLTemplateField(DestinationURL, serializers.CharField):
    """A destination URL with {placeholders} (an agent tool's)."""
