"""Agent tools as the tests make and call them: a tool on the customer API, a published agent."""

import base64

from agenttools.services import agent_tools_set, tool_create
from inbox import services as inbox_services

# The Standard Webhooks form (whsec_ + base64 of 32 bytes), as the README asks of signing secrets.
SIGNING_SECRET = "whsec_" + base64.b64encode(b"shop signing secret, 32 bytes...").decode()

ORDER_SCHEMA = {
    "type": "object",
    "required": ["order_id"],
    "properties": {"order_id": {"type": "string", "minLength": 1}},
}


def make_tool(workspace, customer_api, **config):
    """A GET /orders/{order_id} tool of `workspace` on the customer API (private URLs allowed)."""
    defaults = {
        "name": "lookup_order",
        "description": "Look up an order by its number.",
        "input_schema": ORDER_SCHEMA,
        "method": "GET",
        "url_template": f"{customer_api.base_url}/orders/{{order_id}}",
    }
    return tool_create(workspace=workspace, created_by=None, **{**defaults, **config})


def publish_with(agent, *tools):
    """Let the agent call `tools` and publish it; return the version."""
    agent_tools_set(agent=agent, tools=list(tools))
    return inbox_services.agent_publish(agent=agent, actor="test")


def call_tool(api_client, agent, conversation, tool, arguments):
    return api_client.post(
        f"/api/v1/agents/{agent.pk}/tool-calls",
        {"tool": tool, "arguments": arguments, "conversation": conversation.pk},
        format="json",
    )
