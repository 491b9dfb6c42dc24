"""Settings → Agent tools with a signed-in client: admins only."""

import json

import pytest

from agenttools.models import AgentTool, AgentToolGrant, ToolCall
from omniflow.crypto import decrypt_secret
from tests.support.agent_tools import ORDER_SCHEMA, make_tool, publish_with
from tests.support.customer_api import openapi_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_urls_allowed")]

LIST_URL = "/settings/agent-tools/"


def _form(customer_api, **overrides) -> dict:
    form = {
        "name": "lookup_order",
        "description": "Look up an order.",
        "input_schema": json.dumps(ORDER_SCHEMA),
        "method": "GET",
        "url_template": f"{customer_api.base_url}/orders/{{order_id}}",
        "query_arguments": "",
        "body_arguments": "",
        "body_argument": "",
        "headers": "",
        "auth": "bearer",
        "auth_header_name": "",
        "secret": "sk_test_123456789",
        "timeout_seconds": "5",
        "max_response_bytes": "16384",
        "rate_limit": "60/m",
        "max_concurrency": "4",
        "enabled": "on",
    }
    form.update(overrides)
    return form


def test_admin_creates_a_tool_and_edits_it_keeping_the_secret(admin_client, customer_api):
    created = admin_client.post(f"{LIST_URL}new/", _form(customer_api))

    tool = AgentTool.objects.get()
    assert created.status_code == 302
    assert created["Location"] == tool.get_absolute_url()
    assert decrypt_secret(token=tool.secret) == "sk_test_123456789"
    listing = admin_client.get(LIST_URL).content.decode()
    assert "lookup_order" in listing

    edited = admin_client.post(
        f"{LIST_URL}{tool.pk}/edit/", _form(customer_api, secret="", timeout_seconds="2")
    )
    tool.refresh_from_db()
    assert edited.status_code == 302
    assert (tool.timeout_seconds, tool.version) == (2.0, 2)
    assert decrypt_secret(token=tool.secret) == "sk_test_123456789"


def test_an_invalid_schema_re_renders_the_form_with_the_reason(admin_client, customer_api):
    response = admin_client.post(
        f"{LIST_URL}new/", _form(customer_api, input_schema='{"type": "object", "required": 5}')
    )

    assert response.status_code == 200
    assert "5 is not of type" in response.content.decode()
    assert not AgentTool.objects.exists()


def test_a_service_refusal_lands_on_the_form(admin_client, customer_api):
    response = admin_client.post(
        f"{LIST_URL}new/", _form(customer_api, url_template=f"{customer_api.base_url}/{{nope}}")
    )

    assert response.status_code == 200
    assert "must be a required property of the schema" in response.content.decode()


def test_every_error_of_the_tool_form_shows_at_the_first_submit(admin_client, customer_api):
    response = admin_client.post(
        f"{LIST_URL}new/",
        _form(
            customer_api,
            input_schema="{not json",
            url_template="ftp://example.com/orders",
            rate_limit="fast",
            auth="bearer",
            secret="",
        ),
    )

    assert response.status_code == 200
    form = response.context["form"]
    # The schema did not parse; the URL, the rate and the missing secret are refused with it.
    assert {"input_schema", "url_template", "rate_limit", "secret"} <= form.errors.keys()
    page = response.content.decode()
    assert 'id="error-summary"' in page and "things to fix" in page
    assert page.count('aria-invalid="true"') >= 4
    assert not AgentTool.objects.exists()


def test_support_staff_and_strangers_get_no_access(support_client, customer_api, workspace):
    tool = make_tool(workspace, customer_api)

    for url in (LIST_URL, f"{LIST_URL}{tool.pk}/", f"{LIST_URL}calls/", f"{LIST_URL}agents/"):
        assert support_client.get(url).status_code == 403
    assert "Agent tools" not in support_client.get("/settings/").content.decode()


def test_another_workspaces_tool_is_not_found(admin_client, customer_api, other_workspace):
    tool = make_tool(other_workspace, customer_api)

    assert admin_client.get(f"{LIST_URL}{tool.pk}/").status_code == 404


def test_try_it_shows_the_request_sent_and_the_response(admin_client, customer_api, workspace):
    tool = make_tool(
        workspace,
        customer_api,
        auth="header",
        auth_header_name="X-Api-Key",
        secret="key-123456789",
        query_arguments=["verbose"],
        input_schema={
            **ORDER_SCHEMA,
            "properties": {**ORDER_SCHEMA["properties"], "verbose": {"type": "boolean"}},
        },
    )
    page = admin_client.get(f"{LIST_URL}{tool.pk}/").content.decode()
    assert "&quot;order_id&quot;: &quot;&quot;" in page  # sample arguments from the schema

    response = admin_client.post(
        f"{LIST_URL}{tool.pk}/", {"arguments": json.dumps({"order_id": "A-5", "verbose": True})}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f"GET {customer_api.base_url}/orders/A-5?verbose=true" in html
    assert "X-Api-Key: …6789" in html
    assert "key-123456789" not in html
    assert "HTTP 200" in html
    assert "&quot;status&quot;: &quot;shipped&quot;" in html
    assert ToolCall.objects.get().source == "try_it"


def test_try_it_with_invalid_arguments_says_why_and_sends_nothing(
    admin_client, customer_api, workspace
):
    tool = make_tool(workspace, customer_api)

    response = admin_client.post(f"{LIST_URL}{tool.pk}/", {"arguments": '{"order_id": ""}'})

    html = response.content.decode()
    assert "invalid_arguments" in html
    assert "should be non-empty" in html
    assert customer_api.received() == []


def test_import_from_an_openapi_document_in_two_steps(admin_client, customer_api):
    document = json.dumps(openapi_document(customer_api.base_url))

    picking = admin_client.post(f"{LIST_URL}import/", {"document": document})
    created = admin_client.post(
        f"{LIST_URL}import/",
        {
            "step": "import",
            "document": document,
            "operations": ["GET /orders/{order_id}"],
            "base_url": customer_api.base_url,
            "auth": "none",
            "auth_header_name": "",
            "secret": "",
        },
    )

    assert "POST /orders/{order_id}/refunds — Refund an order" in picking.content.decode()
    tool = AgentTool.objects.get()
    assert tool.name == "getOrder"
    assert created.status_code == 302
    assert created["Location"] == tool.get_absolute_url()


def test_import_of_something_else_says_why(admin_client):
    response = admin_client.post(f"{LIST_URL}import/", {"document": '{"swagger": "2.0"}'})

    assert "Only OpenAPI 3 documents are read" in response.content.decode()


def test_the_call_log_filters_by_tool_and_outcome(
    admin_client, customer_api, workspace, agent, conversation
):
    from agenttools.services import agent_tool_call

    first = make_tool(workspace, customer_api)
    second = make_tool(workspace, customer_api, name="other")
    publish_with(agent, first, second)
    agent.refresh_from_db()
    for tool, arguments in ((first, {"order_id": "A-1"}), (first, {}), (second, {"order_id": "B"})):
        agent_tool_call(
            agent=agent,
            tool_name=tool.name,
            arguments=arguments,
            conversation=conversation,
            actor="t",
        )

    page = admin_client.get(f"{LIST_URL}calls/?tool={first.pk}&outcome=invalid_arguments")

    rows = page.context["calls"]
    assert [(call.tool_name, call.outcome) for call in rows] == [
        ("lookup_order", "invalid_arguments")
    ]
    assert admin_client.get(f"{LIST_URL}calls/").context["calls"].count() == 3


def test_the_agents_page_lists_and_sets_its_tools(admin_client, customer_api, workspace, agent):
    tool = make_tool(workspace, customer_api)
    publish_with(agent, tool)
    other = make_tool(workspace, customer_api, name="other")

    page = admin_client.get(f"{LIST_URL}agents/{agent.pk}/").content.decode()
    saved = admin_client.post(f"{LIST_URL}agents/{agent.pk}/", {"tools": [tool.pk, other.pk]})

    assert "Tools of the published version" in page and "lookup_order" in page
    assert saved.status_code == 302
    assert set(AgentToolGrant.objects.values_list("tool__name", flat=True)) == {
        "lookup_order",
        "other",
    }
    assert "lookup_order, other" in admin_client.get(f"{LIST_URL}agents/").content.decode()


def test_no_agents_yet_says_how_to_get_one_and_links_the_way(admin_client):
    page = admin_client.get(f"{LIST_URL}agents/").content.decode()

    assert 'id="no-agents"' in page
    assert "POST /api/v1/agents" in page and 'href="/api/docs' in page
    assert f'href="{LIST_URL}new/"' in page and f'href="{LIST_URL}import/"' in page
