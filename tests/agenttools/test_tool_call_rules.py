"""Tool calls under their rules: rate and concurrency limits, published versions, availability,
and secrets kept out of payloads and logs."""

import datetime as dt
import json

import pytest

from agenttools import limits
from agenttools.models import ToolCall
from agenttools.services import tool_update
from tests.support.agent_tools import call_tool, make_tool, publish_with
from webhooks.models import WebhookEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_urls_allowed")]


def test_the_rate_limit_protects_the_customers_api(
    api_client, customer_api, workspace, agent, conversation
):
    publish_with(agent, make_tool(workspace, customer_api, rate_limit="2/m"))

    results = [
        call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"}).json()
        for _ in range(3)
    ]

    assert [result["ok"] for result in results] == [True, True, False]
    assert results[2]["error"]["type"] == "rate_limited"
    assert results[2]["error"]["retry_after_seconds"] >= 1
    assert len(customer_api.received()) == 2


def test_a_caller_that_waits_retry_after_seconds_is_served(
    api_client, customer_api, workspace, agent, conversation, time_machine
):
    # retry_after_seconds was one second early: a caller that obeyed it was refused again.
    publish_with(agent, make_tool(workspace, customer_api, rate_limit="1/m"))
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 17, 400000, tzinfo=dt.UTC), tick=False)

    def call():
        return call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"})

    assert call().json()["ok"] is True
    retry_after = call().json()["error"]["retry_after_seconds"]
    time_machine.shift(retry_after - 1)
    early = call().json()
    time_machine.shift(1)
    on_time = call().json()

    assert early["error"]["type"] == "rate_limited"
    assert on_time["ok"] is True
    assert len(customer_api.received()) == 2


def test_calls_beyond_the_concurrency_limit_are_refused_while_others_are_in_flight(
    api_client, customer_api, workspace, agent, conversation
):
    tool = make_tool(workspace, customer_api, max_concurrency=1)
    publish_with(agent, tool)

    with limits.concurrency_slot(tool_id=tool.pk, limit=1, hold_seconds=5) as taken:
        assert taken
        refused = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"})
    allowed = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"})

    assert refused.json()["error"]["type"] == "concurrency_limited"
    assert allowed.json()["ok"] is True
    assert len(customer_api.received()) == 1


def test_a_published_agent_keeps_its_tool_version_until_republished(
    api_client, customer_api, workspace, agent, conversation
):
    tool = make_tool(workspace, customer_api)
    publish_with(agent, tool)
    tool_update(tool=tool, url_template=f"{customer_api.base_url}/moved", description="Changed")

    kept = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"}).json()
    api_client.post(f"/api/v1/agents/{agent.pk}/publish", {}, format="json")
    republished = call_tool(
        api_client, agent, conversation, "lookup_order", {"order_id": "A-1"}
    ).json()

    assert (kept["ok"], kept["tool_version"]) == (True, 1)
    assert (republished["status"], republished["tool_version"]) == (302, 2)


def test_a_disabled_tool_is_unavailable_to_published_agents_at_once(
    api_client, customer_api, workspace, agent, conversation
):
    tool = make_tool(workspace, customer_api)
    publish_with(agent, tool)
    tool_update(tool=tool, enabled=False)

    result = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"}).json()

    assert result["error"]["type"] == "tool_unavailable"
    assert customer_api.received() == []


def test_unpublished_agents_and_unknown_tools_are_problems(
    api_client, customer_api, workspace, agent, conversation
):
    make_tool(workspace, customer_api)

    unpublished = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"})
    publish_with(agent)
    unknown = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"})
    bad_conversation = api_client.post(
        f"/api/v1/agents/{agent.pk}/tool-calls",
        {"tool": "lookup_order", "arguments": {}, "conversation": 10**9},
        format="json",
    )

    assert unpublished.status_code == 409
    assert unpublished.json()["type"] == "agent_not_published"
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "unknown_tool"
    assert bad_conversation.status_code == 409
    assert list(bad_conversation.json()["errors"]) == ["conversation"]


def test_agent_published_carries_the_tool_definitions_without_secrets(
    customer_api, workspace, agent
):
    tool = make_tool(workspace, customer_api, auth="bearer", secret="sk_live_very_secret_token")

    version = publish_with(agent, tool)

    event = WebhookEvent.objects.get(event_type="agent.published")
    [snapshot] = event.data["tools"]
    assert snapshot["name"] == "lookup_order"
    assert snapshot["auth"] == "bearer"
    assert snapshot == version.tools[0]
    assert "sk_live_very_secret_token" not in json.dumps(event.data)
    assert "secret" not in snapshot


def test_the_bearer_token_is_sent_and_masked_in_the_log(
    api_client, customer_api, workspace, agent, conversation
):
    publish_with(
        agent, make_tool(workspace, customer_api, auth="bearer", secret="sk_live_very_secret_token")
    )

    result = call_tool(api_client, agent, conversation, "lookup_order", {"order_id": "A-1"}).json()

    [seen] = customer_api.received()
    assert seen.headers["Authorization"] == "Bearer sk_live_very_secret_token"
    logged = ToolCall.objects.get(pk=result["call_id"])
    assert logged.request["headers"]["Authorization"] == "Bearer …oken"
    assert "sk_live_very_secret_token" not in json.dumps(logged.request)
