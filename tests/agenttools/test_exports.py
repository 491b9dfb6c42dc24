"""Exports the runtimes take as they are, checked with the runtimes' own SDK types: OpenAI
Chat Completions and Responses (and their strict variant), Anthropic Messages, MCP with
annotations from the HTTP method."""

import pytest
from anthropic.types import ToolParam as AnthropicToolParam
from jsonschema import Draft202012Validator
from mcp.types import Tool as McpTool
from openai.types.chat import ChatCompletionFunctionTool, ChatCompletionFunctionToolParam
from openai.types.responses import FunctionTool, FunctionToolParam
from pydantic import BaseModel, TypeAdapter

from agenttools.exports import strict_parameters
from tests.support.agent_tools import call_tool, make_tool, publish_with

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_urls_allowed")]

LOOKUP_SCHEMA = {
    "type": "object",
    "required": ["order_id"],
    "properties": {
        "order_id": {"type": "string", "minLength": 1},
        "expand": {"type": "string", "description": "Optional: what to include."},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku", "qty"],
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
            },
        },
    },
}
FREE_FORM_SCHEMA = {
    "type": "object",
    "properties": {"metadata": {"type": "object", "additionalProperties": {"type": "string"}}},
}


def _no_extras(model: BaseModel, path: str = "") -> list[str]:
    """Return the fields a model did not know (an export's typo or invention)."""
    found = [f"{path}{name}" for name in (model.model_extra or {})]
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found += _no_extras(value, f"{path}{name}.")
    return found


@pytest.fixture
def exported(api_client, workspace, customer_api, agent):
    """GET (lookup_order), PUT, DELETE and POST tools published; the export in every format."""
    tools = [
        make_tool(workspace, customer_api, input_schema=LOOKUP_SCHEMA, query_arguments=["expand"]),
        make_tool(workspace, customer_api, name="replace_order", method="PUT"),
        make_tool(workspace, customer_api, name="cancel-order", method="DELETE"),
        make_tool(
            workspace,
            customer_api,
            name="tag_order",
            method="POST",
            input_schema=FREE_FORM_SCHEMA,
            url_template=f"{customer_api.base_url}/orders",
        ),
    ]
    publish_with(agent, *tools)

    def get(query: str) -> dict:
        response = api_client.get(f"/api/v1/agents/{agent.pk}/tools?{query}")
        assert response.status_code == 200, response.content
        return {
            tool.get("name") or tool["function"]["name"]: tool for tool in response.json()["tools"]
        }

    return get


@pytest.mark.parametrize("strict", ["false", "true"])
@pytest.mark.parametrize(
    "export_format, param_type, model_type",
    [
        ("openai", ChatCompletionFunctionToolParam, ChatCompletionFunctionTool),
        ("openai-responses", FunctionToolParam, FunctionTool),
    ],
)
def test_openai_tools_are_sdk_tools(exported, export_format, param_type, model_type, strict):
    tools = exported(f"format={export_format}&strict={strict}")

    for tool in tools.values():
        TypeAdapter(param_type).validate_python(tool)
        model = model_type.model_validate(tool)
        assert not _no_extras(model)
        assert model.model_dump(exclude_unset=True) == tool
    if export_format == "openai-responses":
        assert tools["lookup_order"]["strict"] is (strict == "true")


def test_the_strict_variant_closes_objects_and_requires_every_property(exported):
    tools = exported("format=openai-responses&strict=true")

    lookup = tools["lookup_order"]["parameters"]
    assert lookup["additionalProperties"] is False
    assert sorted(lookup["required"]) == ["expand", "lines", "order_id"]
    assert lookup["properties"]["expand"]["type"] == ["string", "null"]
    assert lookup["properties"]["lines"]["items"]["additionalProperties"] is False
    Draft202012Validator.check_schema(lookup)
    # A free-form map cannot be strict: exported as it is, strict false.
    assert tools["tag_order"]["strict"] is False
    assert tools["tag_order"]["parameters"] == FREE_FORM_SCHEMA
    assert strict_parameters(FREE_FORM_SCHEMA) is None


def test_a_strict_models_null_for_an_optional_argument_is_dropped_on_call(
    api_client, exported, agent, conversation, customer_api
):
    exported("format=openai&strict=true")

    result = call_tool(
        api_client,
        agent,
        conversation,
        "lookup_order",
        {"order_id": "A-1", "expand": None, "lines": None},
    ).json()

    assert result["ok"] is True, result
    [seen] = customer_api.received("/orders/A-1")
    assert seen.query == {}


def test_anthropic_tools_are_sdk_tool_params(exported):
    for tool in exported("format=anthropic").values():
        # The SDK has the request type only (a TypedDict): every key must be one it declares.
        assert TypeAdapter(AnthropicToolParam).validate_python(tool) == tool
        assert set(tool) <= set(AnthropicToolParam.__annotations__)
        assert tool["input_schema"]["type"] == "object"


def test_mcp_tools_carry_title_and_annotations_from_the_http_method(exported):
    tools = exported("format=mcp")

    for tool in tools.values():
        model = McpTool.model_validate(tool)
        assert not _no_extras(model)
        assert model.model_dump(by_alias=True, exclude_unset=True) == tool
        assert model.title and model.annotations.title == model.title
    hints = {
        name: (
            McpTool.model_validate(tool).annotations.read_only_hint,
            McpTool.model_validate(tool).annotations.idempotent_hint,
            McpTool.model_validate(tool).annotations.destructive_hint,
        )
        for name, tool in tools.items()
    }
    assert hints == {
        "lookup_order": (True, True, False),
        "replace_order": (False, True, False),
        "cancel-order": (False, True, True),
        "tag_order": (False, False, False),
    }
    assert tools["lookup_order"]["title"] == "Lookup order"
