"""drf-spectacular: one serializer's schema outside an operation, a field's default schema
(see the package docstring)."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, build_mocked_view
from drf_spectacular.utils import extend_schema


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
