"""Tool lists in the function-calling shapes of model runtimes.

- OpenAI (Chat Completions `tools`): {"type": "function", "function": {name, description,
  parameters}}
- Anthropic (Messages `tools`): {name, description, input_schema}
- MCP (`tools/list` result items): {name, description, inputSchema}
"""

from typing import Any

FORMATS = ("openai", "anthropic", "mcp")


def _openai(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": definition["name"],
            "description": definition["description"],
            "parameters": definition["input_schema"],
        },
    }


def _anthropic(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": definition["name"],
        "description": definition["description"],
        "input_schema": definition["input_schema"],
    }


def _mcp(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": definition["name"],
        "description": definition["description"],
        "inputSchema": definition["input_schema"],
    }


_SHAPERS = {"openai": _openai, "anthropic": _anthropic, "mcp": _mcp}


def tools_exported(*, definitions: list[dict[str, Any]], format: str) -> list[dict[str, Any]]:
    """Return the definitions in one runtime's function-calling shape."""
    shape = _SHAPERS[format]
    return [shape(definition) for definition in definitions]
