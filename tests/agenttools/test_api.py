"""The agent-tools API: CRUD with schema validation, scopes, agents' tools and the exports."""

import pytest
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

from agenttools.models import AgentTool
from tests.factories import make_api_key
from tests.support.agent_tools import ORDER_SCHEMA, make_tool, publish_with

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_urls_allowed")]

FUNCTION_NAME = {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"}
OBJECT_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"const": "object"}},
}
# The documented shapes, field by field (no other fields at these levels).
OPENAI_TOOL = {  # Chat Completions `tools[]`
    "type": "object",
    "required": ["type", "function"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "function"},
        "function": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": FUNCTION_NAME,
                "description": {"type": "string"},
                "parameters": OBJECT_SCHEMA,
                "strict": {"type": ["boolean", "null"]},
            },
        },
    },
}
ANTHROPIC_TOOL = {  # Messages `tools[]` (client tools)
    "type": "object",
    "required": ["name", "input_schema"],
    "additionalProperties": False,
    "properties": {
        "name": FUNCTION_NAME,
        "description": {"type": "string"},
        "input_schema": OBJECT_SCHEMA,
        "cache_control": {"type": "object"},
    },
}
MCP_TOOL = {  # MCP `tools/list` result `tools[]`
    "type": "object",
    "required": ["name", "inputSchema"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "inputSchema": {
            **OBJECT_SCHEMA,
            "properties": {
                "type": {"const": "object"},
                "properties": {"type": "object"},
                "required": {"type": "array", "items": {"type": "string"}},
            },
        },
        "outputSchema": OBJECT_SCHEMA,
        "annotations": {"type": "object"},
    },
}


def test_create_read_update_delete_a_tool(api_client, customer_api):
    created = api_client.post(
        "/api/v1/agent-tools",
        {
            "name": "lookup_order",
            "description": "Look up an order.",
            "input_schema": ORDER_SCHEMA,
            "url_template": f"{customer_api.base_url}/orders/{{order_id}}",
            "auth": "header",
            "auth_header_name": "X-Api-Key",
            "secret": "key-123456789",
            "headers": {"X-Shop": "acme"},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    tool = created.json()
    assert tool["method"] == "GET"
    assert (tool["timeout_seconds"], tool["max_response_bytes"]) == (5.0, 16384)
    assert (tool["rate_limit"], tool["max_concurrency"], tool["version"]) == ("60/m", 4, 1)
    assert tool["has_secret"] is True
    assert "key-123456789" not in created.content.decode()
    assert AgentTool.objects.get(pk=tool["id"]).secret not in ("", "key-123456789")

    updated = api_client.patch(
        f"/api/v1/agent-tools/{tool['id']}",
        {"timeout_seconds": 10, "rate_limit": "100 / Minute"},
        format="json",
    )
    assert updated.json()["timeout_seconds"] == 10.0
    assert updated.json()["rate_limit"] == "100/m"
    assert updated.json()["version"] == 2
    assert updated.json()["has_secret"] is True
    listed = api_client.get("/api/v1/agent-tools").json()["results"]
    assert [row["name"] for row in listed] == ["lookup_order"]
    assert api_client.delete(f"/api/v1/agent-tools/{tool['id']}").status_code == 204
    assert api_client.get(f"/api/v1/agent-tools/{tool['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "look up"}, "name", "Use 1 to 64 letters"),
        ({"input_schema": {"type": "array"}}, "input_schema", "top level must be"),
        ({"input_schema": {"type": "object", "minProperties": -1}}, "input_schema", "-1"),
        (
            {"input_schema": {"type": "object", "$ref": "https://evil.example/s.json"}},
            "input_schema",
            "Only local references",
        ),
        (
            {"input_schema": {"type": "object", "$ref": "#/$defs/nowhere"}},
            "input_schema",
            "does not resolve",
        ),
        ({"url_template": "https://{host}/x"}, "url_template", "never the host"),
        # urlsplit raises on a bracketed host that is no IPv6 address: it was a 500.
        ({"url_template": "https://[0]/x"}, "url_template", "not an IPv6 address"),
        ({"url_template": "http://127.0.0.1/{other}"}, "url_template", "required property"),
        ({"timeout_seconds": 11}, "timeout_seconds", "less than or equal to 10"),
        ({"auth": "bearer"}, "secret", "needs a secret"),
        ({"rate_limit": "lots"}, "rate_limit", "is not a rate"),
        ({"headers": {"Authorization": "x"}}, "headers", "set by the call itself"),
        ({"body_arguments": ["order_id"]}, "body_arguments", "GET request has no body"),
    ],
)
def test_a_tool_that_cannot_work_is_refused_per_field(
    api_client, customer_api, change, field, message
):
    body = {
        "name": "lookup_order",
        "input_schema": ORDER_SCHEMA,
        "url_template": f"{customer_api.base_url}/orders/{{order_id}}",
        **change,
    }

    response = api_client.post("/api/v1/agent-tools", body, format="json")

    # A rule no JSON Schema states (the meta-schema's, the rates' parser, across fields): 422.
    unstated = {"-1", "Only local references", "does not resolve", "required property"}
    unstated |= {"needs a secret", "is not a rate", "GET request has no body"}
    expected = (422, "unprocessable") if message in unstated else (400, "validation_error")
    assert (response.status_code, response.json()["type"]) == expected, response.json()
    assert message in " ".join(response.json()["errors"][field])


def test_names_are_unique_per_workspace(api_client, customer_api, workspace):
    make_tool(workspace, customer_api)

    response = api_client.post(
        "/api/v1/agent-tools",
        {
            "name": "lookup_order",
            "input_schema": ORDER_SCHEMA,
            "url_template": "https://a.example/{order_id}",
        },
        format="json",
    )

    # The same body succeeds in another workspace: a conflict with what this one holds
    # (schemathesis sent a taken name as valid and met a 400).
    assert (response.status_code, response.json()["type"]) == (409, "conflict")
    assert "already has a tool" in response.json()["errors"]["name"][0]


def test_the_agent_tools_scope_is_needed(workspace, customer_api, other_workspace):
    tool = make_tool(workspace, customer_api)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace, scopes=['agents:write'])[1]}"
    )
    reader = APIClient()
    reader.credentials(
        HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace, scopes=['agent_tools:read'])[1]}"
    )
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(other_workspace)[1]}")

    refused = client.get("/api/v1/agent-tools")
    read = reader.get(f"/api/v1/agent-tools/{tool.pk}")
    write = reader.patch(f"/api/v1/agent-tools/{tool.pk}", {"enabled": False}, format="json")

    assert refused.status_code == 403
    assert "agent_tools:read" in refused.json()["detail"]
    assert read.status_code == 200
    assert write.status_code == 403
    assert outsider.get(f"/api/v1/agent-tools/{tool.pk}").status_code == 404


def test_exports_have_the_documented_shapes_of_openai_anthropic_and_mcp(
    api_client, customer_api, workspace, agent
):
    refund_schema = {
        "type": "object",
        "required": ["order_id", "amount"],
        "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
    }
    publish_with(
        agent,
        make_tool(workspace, customer_api),
        make_tool(
            workspace,
            customer_api,
            name="refund_order",
            description="Refund an order.",
            method="POST",
            input_schema=refund_schema,
            url_template=f"{customer_api.base_url}/orders/{{order_id}}/refunds",
            body_arguments=["amount"],
        ),
    )

    exports = {
        name: api_client.get(f"/api/v1/agents/{agent.pk}/tools?format={name}")
        for name in ("openai", "anthropic", "mcp")
    }

    for name, shape in (("openai", OPENAI_TOOL), ("anthropic", ANTHROPIC_TOOL), ("mcp", MCP_TOOL)):
        response = exports[name]
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["agent"], body["agent_version"], body["format"]) == (agent.pk, 1, name)
        assert len(body["tools"]) == 2
        for exported in body["tools"]:
            Draft202012Validator(shape).validate(exported)
    openai_refund = exports["openai"].json()["tools"][1]["function"]
    assert openai_refund["name"] == "refund_order"
    assert openai_refund["description"] == "Refund an order."
    assert openai_refund["parameters"] == refund_schema
    anthropic_refund = exports["anthropic"].json()["tools"][1]
    assert anthropic_refund["input_schema"] == refund_schema
    assert exports["mcp"].json()["tools"][1]["inputSchema"] == refund_schema
    for exported in exports["openai"].json()["tools"]:
        Draft202012Validator.check_schema(exported["function"]["parameters"])


def test_export_needs_a_published_version_and_a_known_format(api_client, agent):
    unpublished = api_client.get(f"/api/v1/agents/{agent.pk}/tools?format=openai")
    publish_with(agent)
    unknown = api_client.get(f"/api/v1/agents/{agent.pk}/tools?format=gemini")
    default = api_client.get(f"/api/v1/agents/{agent.pk}/tools")

    assert unpublished.status_code == 409
    assert unpublished.json()["type"] == "agent_not_published"
    assert unknown.status_code == 400
    assert list(unknown.json()["errors"]) == ["format"]
    assert default.json() == {
        "agent": agent.pk,
        "agent_version": 1,
        "format": "openai",
        "strict": False,
        "tools": [],
    }


def test_setting_an_agents_tools_refuses_unknown_names(api_client, agent, workspace, customer_api):
    make_tool(workspace, customer_api)

    response = api_client.put(
        f"/api/v1/agents/{agent.pk}/tools", {"tools": ["lookup_order", "nope"]}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["errors"]["tools"] == ["Unknown tools: nope."]


def test_try_shows_the_request_sent_and_the_result(api_client, customer_api, workspace):
    tool = make_tool(
        workspace, customer_api, auth="header", auth_header_name="X-Api-Key", secret="key-123456789"
    )

    response = api_client.post(
        f"/api/v1/agent-tools/{tool.pk}/try", {"arguments": {"order_id": "A-9"}}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["request"]["method"] == "GET"
    assert body["request"]["url"] == f"{customer_api.base_url}/orders/A-9"
    assert body["request"]["headers"]["X-Api-Key"] == "…6789"
    assert body["result"]["body"]["id"] == "A-9"
    [seen] = customer_api.received()
    assert seen.headers["X-Api-Key"] == "key-123456789"
    log = api_client.get(f"/api/v1/agent-tool-calls?tool={tool.pk}&source=try_it").json()
    assert [row["outcome"] for row in log["results"]] == ["ok"]


def test_the_schema_documents_the_agent_tool_endpoints(client, db):
    paths = client.get("/api/v1/schema?format=json").json()["paths"]

    assert {
        "/api/v1/agent-tools": {"get", "post"},
        "/api/v1/agent-tools/{id}": {"get", "patch", "delete"},
        "/api/v1/agent-tools/import": {"post"},
        "/api/v1/agent-tools/{id}/try": {"post"},
        "/api/v1/agent-tool-calls": {"get"},
        "/api/v1/agents/{id}/tools": {"get", "put"},
        "/api/v1/agents/{id}/tool-calls": {"post"},
    } == {
        path: set(operations) - {"parameters"}
        for path, operations in paths.items()
        if "agent-tool" in path or path.startswith("/api/v1/agents/{id}/tool")
    }
    export = paths["/api/v1/agents/{id}/tools"]["get"]
    [format_parameter] = [p for p in export["parameters"] if p["name"] == "format"]
    assert format_parameter["schema"]["enum"] == ["openai", "openai-responses", "anthropic", "mcp"]
