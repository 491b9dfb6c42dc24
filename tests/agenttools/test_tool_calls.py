"""The agent runtime's call_tool path, over real HTTP to a customer API on 127.0.0.1:
POST /api/v1/agents/{id}/tool-calls."""

import json

import pytest

from agenttools.models import ToolCall
from tests.support.agent_tools import SIGNING_SECRET, call_tool, make_tool, publish_with
from tests.support.customer_api import openapi_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_urls_allowed")]


def test_a_tool_built_from_an_openapi_document_is_attached_published_called_and_traced(
    api_client, customer_api, agent, conversation
):
    # Given tools imported from the customer's OpenAPI document, on an agent, published
    imported = api_client.post(
        "/api/v1/agent-tools/import",
        {
            "document": openapi_document(customer_api.base_url),
            "operations": ["GET /orders/{order_id}", "POST /orders/{order_id}/refunds"],
            "auth": "signature",
            "secret": SIGNING_SECRET,
        },
        format="json",
    )
    assert imported.status_code == 201, imported.json()
    names = [tool["name"] for tool in imported.json()["tools"]]
    assert names == ["getOrder", "refundOrder"]
    assert "X-Trace" in " ".join(imported.json()["notes"])
    attached = api_client.put(f"/api/v1/agents/{agent.pk}/tools", {"tools": names}, format="json")
    assert attached.json() == {"agent": agent.pk, "tools": ["getOrder", "refundOrder"]}
    published = api_client.post(f"/api/v1/agents/{agent.pk}/publish", {}, format="json")
    assert published.status_code == 200

    # When the agent calls one with valid arguments
    response = call_tool(
        api_client, agent, conversation, "getOrder", {"order_id": "A?1 2", "expand": ["lines"]}
    )

    # Then the customer's API got the request the mapping says, and the model reads its answer
    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["ok"] is True
    assert result["status"] == 200
    assert result["content_type"] == "application/json"
    assert result["body"] == {"id": "A%3F1%202", "status": "shipped", "expand": ["lines"]}
    assert result["error"] is None
    [seen] = customer_api.received()
    assert seen.method == "GET"
    assert seen.path == "/orders/A%3F1%202"  # one path segment (a "/" is refused)
    assert seen.query == {"expand": ["lines"]}
    assert seen.headers["X-Omniflow-Tool"] == "getOrder"

    # And the call_tool is recorded with the tool's and the agent's versions, and on the trace
    logged = ToolCall.objects.get(pk=result["call_id"])
    assert (logged.tool_name, logged.tool_version, logged.agent_version) == ("getOrder", 1, 1)
    assert logged.outcome == "ok" and logged.http_status == 200
    assert '"shipped"' in logged.response_excerpt
    trace = api_client.get(f"/api/v1/conversations/{conversation.pk}/trace").json()["results"]
    [entry] = [entry for entry in trace if entry["kind"] == "tool_call"]
    assert entry["details"]["tool"] == "getOrder"
    assert entry["details"]["call_id"] == result["call_id"]
    assert entry["details"]["arguments"] == {"order_id": "A?1 2", "expand": ["lines"]}
    assert entry["details"]["outcome"] == "ok"
    assert entry["details"]["agent_version"] == 1
    log = api_client.get(f"/api/v1/agent-tool-calls?conversation={conversation.pk}").json()
    assert [row["id"] for row in log["results"]] == [result["call_id"]]


def test_the_signature_over_the_body_verifies_on_the_receiving_side(
    api_client, customer_api, agent, conversation
):
    document = openapi_document(customer_api.base_url)
    imported = api_client.post(
        "/api/v1/agent-tools/import",
        {
            "document": json.dumps(document),
            "operations": ["POST /orders/{order_id}/refunds"],
            "auth": "signature",
            "secret": SIGNING_SECRET,
        },
        format="json",
    ).json()
    [tool] = imported["tools"]
    assert tool["body_arguments"] == ["amount", "reason", "lines"]
    assert tool["has_secret"] is True and "secret" not in tool
    api_client.put(f"/api/v1/agents/{agent.pk}/tools", {"tools": ["refundOrder"]}, format="json")
    api_client.post(f"/api/v1/agents/{agent.pk}/publish", {}, format="json")

    arguments = {"order_id": "A-7", "amount": 12.5, "reason": "late", "lines": [{"sku": "S1"}]}
    result = call_tool(api_client, agent, conversation, "refundOrder", arguments).json()

    # The receiver checks the HMAC with its own code and answers 401 when it does not match.
    assert result["ok"] is True, result
    assert result["status"] == 201
    assert result["body"]["refund"] == {"amount": 12.5, "reason": "late", "lines": [{"sku": "S1"}]}
    [seen] = customer_api.received("/orders/A-7/refunds")
    assert seen.headers["Content-Type"] == "application/json"
    assert "X-Omniflow-Timestamp" in seen.headers


def test_a_wrong_signing_secret_is_refused_by_the_receiver_as_an_http_error(
    api_client, customer_api, workspace, agent, conversation
):
    tool = make_tool(
        workspace,
        customer_api,
        name="refund",
        method="POST",
        url_template=f"{customer_api.base_url}/orders/{{order_id}}/refunds",
        input_schema={
            "type": "object",
            "required": ["order_id"],
            "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
        },
        body_arguments=["amount"],
        auth="signature",
        secret="not-the-shared-secret",
    )
    publish_with(agent, tool)

    result = call_tool(
        api_client, agent, conversation, "refund", {"order_id": "A-1", "amount": 3}
    ).json()

    assert result["ok"] is False
    assert result["status"] == 401
    assert result["error"]["type"] == "http_error"
    assert result["body"] == {"error": "bad signature"}


def test_invalid_arguments_are_answered_per_field_and_nothing_is_sent(
    api_client, customer_api, workspace, agent, conversation
):
    publish_with(agent, make_tool(workspace, customer_api))

    response = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": 42})

    assert response.status_code == 200
    result = response.json()
    assert result["ok"] is False
    assert result["status"] is None
    assert result["error"]["type"] == "invalid_arguments"
    assert result["error"]["errors"] == {"order_id": ["42 is not of type 'string'"]}
    assert customer_api.received() == []
    assert ToolCall.objects.get(pk=result["call_id"]).outcome == "invalid_arguments"


def test_a_slow_endpoint_hits_the_tools_timeout(
    api_client, customer_api, workspace, agent, conversation
):
    tool = make_tool(
        workspace,
        customer_api,
        name="slow",
        input_schema={"type": "object", "properties": {}},
        url_template=f"{customer_api.base_url}/slow",
        timeout_seconds=0.3,
    )
    publish_with(agent, tool)

    result = call_tool(api_client, agent, conversation, "slow", {}).json()

    assert result["ok"] is False
    assert result["error"] == {"type": "timeout", "message": "Timed out after 0.3 s."}
    assert len(customer_api.received("/slow")) == 1


def test_a_private_address_is_refused_when_private_urls_are_not_allowed(
    api_client, customer_api, workspace, agent, conversation, settings
):
    publish_with(agent, make_tool(workspace, customer_api, url_template="https://127.0.0.1:9/x"))
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = False

    result = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"}).json()

    assert result["ok"] is False
    assert result["error"]["type"] == "refused"
    assert "private" in result["error"]["message"]
    created = api_client.post(
        "/api/v1/agent-tools",
        {
            "name": "internal",
            "input_schema": {"type": "object"},
            "url_template": "https://10.0.0.7/admin",
        },
        format="json",
    )
    assert created.status_code == 422
    assert created.json()["errors"]["url_template"] == [
        "The URL's host resolves to a private, loopback, link-local or reserved address."
    ]


def test_a_name_resolving_to_a_private_address_is_refused_at_send_time(
    api_client, customer_api, workspace, agent, conversation, settings
):
    port = customer_api.base_url.rsplit(":", 1)[1]
    publish_with(
        agent,
        make_tool(
            workspace, customer_api, url_template=f"https://localhost:{port}/orders/{{order_id}}"
        ),
    )
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = False

    result = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"}).json()

    assert result["error"]["type"] == "refused"
    assert customer_api.received() == []


def test_non_2xx_answers_and_redirects_are_http_errors_with_the_body(
    api_client, customer_api, workspace, agent, conversation
):
    moved = make_tool(
        workspace,
        customer_api,
        name="moved",
        input_schema={"type": "object"},
        url_template=f"{customer_api.base_url}/moved",
    )
    publish_with(agent, make_tool(workspace, customer_api), moved)

    missing = call_tool(
        api_client, agent, conversation, "lookup_order", {"order_id": "missing"}
    ).json()
    redirected = call_tool(api_client, agent, conversation, "moved", {}).json()

    assert missing["error"]["type"] == "http_error"
    assert missing["status"] == 404
    assert missing["body"] == {"error": "no such order"}
    assert redirected["status"] == 302
    assert redirected["error"]["message"] == "The API answered 302. Redirects are not followed."
    assert customer_api.received("/orders/A-1") == []


def test_a_long_answer_is_cut_at_the_size_cap_with_a_marker(
    api_client, customer_api, workspace, agent, conversation
):
    tool = make_tool(
        workspace,
        customer_api,
        name="big",
        input_schema={"type": "object"},
        url_template=f"{customer_api.base_url}/big",
        max_response_bytes=100,
    )
    publish_with(agent, tool)

    result = call_tool(api_client, agent, conversation, "big", {}).json()

    assert result["ok"] is True
    assert result["truncated"] is True
    assert result["body"].startswith("x" * 100)
    assert result["body"].endswith("[truncated: the response was longer than 100 bytes]")
    assert "x" * 101 not in result["body"]
