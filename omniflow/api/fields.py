"""Input fields shared by the apps' API serializers."""

from rest_framework import serializers


class DestinationURL:
    """A URL the server will call: the schema states the schemes `validate_url` admits
    (`omniflow.api.schema.DestinationURLRule`)."""


class DestinationURLField(DestinationURL, serializers.URLField):
    """A destination URL (a webhook endpoint's)."""


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
