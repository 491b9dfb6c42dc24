"""Tool lists in the function-calling shapes of model runtimes, to hand over unchanged.

- `openai` (Chat Completions `tools`): {"type": "function", "function": {name, description,
  parameters[, strict]}}
- `openai-responses` (Responses API `tools`, `FunctionToolParam`): {"type": "function", name,
  description, parameters, strict}
- `anthropic` (Messages `tools`): {name, description, input_schema}
- `mcp` (`tools/list` result items): {name, title, description, inputSchema, annotations}, the
  annotations read from the HTTP method (a GET reads and may be repeated, a DELETE destroys).

`strict` (OpenAI only) asks for OpenAI's strict mode where the schema allows it
(`strict_parameters`); a tool whose schema does not is exported as it is, `strict` false.
"""

from copy import deepcopy
from typing import Any

FORMATS = ("openai", "openai-responses", "anthropic", "mcp")

# JSON Schema keywords OpenAI's strict mode does not take: a schema using one stays non-strict.
_NOT_STRICT = {
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "not",
    "minProperties",
    "maxProperties",
}

# MCP tool annotations per HTTP method: GET reads only; PUT and DELETE may be repeated with
# the same effect; DELETE destroys. Every tool calls an outside API: open world.
_MCP_HINTS = {
    "GET": {"readOnlyHint": True, "idempotentHint": True, "destructiveHint": False},
    "PUT": {"readOnlyHint": False, "idempotentHint": True, "destructiveHint": False},
    "DELETE": {"readOnlyHint": False, "idempotentHint": True, "destructiveHint": True},
    "POST": {"readOnlyHint": False, "idempotentHint": False, "destructiveHint": False},
    "PATCH": {"readOnlyHint": False, "idempotentHint": False, "destructiveHint": False},
}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]} if kind != "null" else schema
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _strict_object(schema: dict[str, Any], *, top: bool) -> dict[str, Any] | None:
    properties = schema.get("properties", {})
    if schema.get("additionalProperties", False) is not False or not isinstance(properties, dict):
        return None
    required = set(schema.get("required", []))
    if not top and required != set(properties):
        # Optional fields become nullable at the top only, where a call drops their nulls.
        return None
    shaped = {}
    for name, sub in properties.items():
        strict_sub = _strict(sub, top=False)
        if strict_sub is None:
            return None
        shaped[name] = strict_sub if name in required else _nullable(strict_sub)
    return {
        **schema,
        "properties": shaped,
        "required": list(properties),
        "additionalProperties": False,
    }


def _strict_parts(schema: dict[str, Any]) -> dict[str, Any] | None:
    """Return the subschemas of a non-object schema made strict, or None if one cannot be."""
    shaped: dict[str, Any] = {}
    if "items" in schema:
        shaped["items"] = _strict(schema["items"], top=False)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        if key in schema:
            shaped[key] = [_strict(part, top=False) for part in schema[key]]
    for key in ("$defs", "definitions"):
        if key in schema:
            shaped[key] = {name: _strict(part, top=False) for name, part in schema[key].items()}
    for value in shaped.values():
        parts = value.values() if isinstance(value, dict) else value
        if value is None or (isinstance(value, list | dict) and None in list(parts)):
            return None
    return shaped


def _strict(schema: Any, *, top: bool) -> Any:
    if not isinstance(schema, dict):
        return schema if schema is True else None
    if _NOT_STRICT & set(schema):
        return None
    if schema.get("type") == "object" or "properties" in schema:
        return _strict_object(schema, top=top)
    parts = _strict_parts(schema)
    return None if parts is None else {**schema, **parts}


def strict_parameters(schema: dict[str, Any]) -> dict[str, Any] | None:
    """Return the schema in OpenAI's strict form, or None where it cannot have it.

    Strict mode wants every object closed (`additionalProperties: false`) and every property
    required. Top-level optional arguments become required and nullable: a call drops the nulls
    the model gives for them (`arguments_without_strict_nulls`). Nested objects must already
    require all their properties, and no keyword strict mode lacks may appear.
    """
    return _strict(deepcopy(schema), top=True)


def arguments_without_strict_nulls(
    *, schema: dict[str, Any], arguments: dict[str, Any]
) -> dict[str, Any]:
    """Return the arguments without the nulls a strict-mode model gives for optional arguments
    whose own schema takes no null."""
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    required = set(schema.get("required", [])) if isinstance(schema, dict) else set()

    def takes_null(sub: Any) -> bool:
        kind = sub.get("type") if isinstance(sub, dict) else None
        return kind == "null" or (isinstance(kind, list) and "null" in kind) or kind is None

    return {
        name: value
        for name, value in arguments.items()
        if not (
            value is None
            and name in properties
            and name not in required
            and not takes_null(properties[name])
        )
    }


def _title(definition: dict[str, Any]) -> str:
    return definition["name"].replace("_", " ").replace("-", " ").strip().capitalize()


def _openai(definition: dict[str, Any], strict: bool) -> dict[str, Any]:
    function = {
        "name": definition["name"],
        "description": definition["description"],
        "parameters": definition["input_schema"],
    }
    if strict:
        parameters = strict_parameters(definition["input_schema"])
        function["strict"] = parameters is not None
        if parameters is not None:
            function["parameters"] = parameters
    return {"type": "function", "function": function}


def _openai_responses(definition: dict[str, Any], strict: bool) -> dict[str, Any]:
    chat = _openai(definition, strict)["function"]
    return {"type": "function", **chat, "strict": chat.get("strict", False)}


def _anthropic(definition: dict[str, Any], strict: bool) -> dict[str, Any]:  # noqa: ARG001
    return {
        "name": definition["name"],
        "description": definition["description"],
        "input_schema": definition["input_schema"],
    }


def _mcp(definition: dict[str, Any], strict: bool) -> dict[str, Any]:  # noqa: ARG001
    title = _title(definition)
    return {
        "name": definition["name"],
        "title": title,
        "description": definition["description"],
        "inputSchema": definition["input_schema"],
        "annotations": {
            "title": title,
            **_MCP_HINTS.get(definition["method"], _MCP_HINTS["POST"]),
            "openWorldHint": True,
        },
    }


_SHAPERS = {
    "openai": _openai,
    "openai-responses": _openai_responses,
    "anthropic": _anthropic,
    "mcp": _mcp,
}


def tools_exported(
    *, definitions: list[dict[str, Any]], format: str, strict: bool = False
) -> list[dict[str, Any]]:
    """Return the definitions in one runtime's function-calling shape."""
    shape = _SHAPERS[format]
    return [shape(definition, strict) for definition in definitions]
