"""drf-spectacular: an operation's response bodies (see the package docstring)."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, build_mocked_view
from drf_spectacular.utils import extend_schema


class ResponseBodiesHook(AutoSchema):
    """An AutoSchema whose `response_bodies_extend` may add responses to every operation."""

    def _get_response_bodies(self, direction="response"):
        return self.response_bodies_extend(super()._get_response_bodies(direction), direction)

    def response_bodies_extend(self, responses: dict, direction: str) -> dict:
        return responses

    def response_body_for_code(self, serializer, code: str, *, media_types, direction: str):
        """The response object drf-spectacular builds for `serializer` under `code`."""
        return self._get_response_for_code(
            serializer, code, media_types=media_types, direction=direction
        )


def serializer_schema(serializer: Any, *, direction: str = "response") -> tuple[dict, dict]:
    """Return (schema, component schemas it refers to) of `serializer`, outside any operation.

    drf-spectacular builds schemas only for an operation of a view; `build_mocked_view` is the
    view it builds itself for the `WEBHOOKS` setting, here used for one serializer alone.
    """
    registry = ComponentRegistry()
    view = build_mocked_view(
        method="POST", path="/", extend_schema_decorator=extend_schema(), registry=registry
    )
    component = view.schema.resolve_serializer(serializer, direction)
    return component.ref, registry.build({}).get("schemas", {})


def field_schema_default(auto_schema: AutoSchema, field: Any, direction: str) -> dict:
    """Return the schema drf-spectacular makes for `field` itself, for an
    `OpenApiSerializerFieldExtension` that only adds to it.

    The extension's public hook replaces the field's schema; its documented way to start from
    the default one is `_map_serializer_field(..., bypass_extensions=True)`.
    """
    return auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
