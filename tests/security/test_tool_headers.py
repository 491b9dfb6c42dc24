"""Hop-by-hop and credential headers are never a tool's to send: refused as static headers and
as the header that carries the secret (the review set Cookie, Proxy-Authorization, Upgrade, TE
and Expect as static headers, and Cookie as `auth_header_name`)."""

import pytest

from agenttools.models import AgentTool

pytestmark = pytest.mark.django_db

FORBIDDEN = [
    "Cookie",
    "Proxy-Authorization",
    "Upgrade",
    "TE",
    "Expect",
    "Connection",
    "Keep-Alive",
    "Trailer",
    "Transfer-Encoding",
    "Content-Length",
    "Host",
    "Proxy-Connection",
]


def _tool(**config):
    return {
        "name": "lookup_order",
        "input_schema": {"type": "object", "properties": {}},
        "url_template": "https://api.example.com/orders",
        **config,
    }


@pytest.mark.parametrize("name", FORBIDDEN)
def test_forbidden_headers_are_refused_as_static_headers_and_as_auth_header_name(api_client, name):
    static = api_client.post("/api/v1/agent-tools", _tool(headers={name: "x"}), format="json")
    secret_header = api_client.post(
        "/api/v1/agent-tools",
        _tool(auth="header", auth_header_name=name.lower(), secret="a-secret-value"),
        format="json",
    )

    assert static.status_code == 400 and "headers" in static.json()["errors"]
    assert secret_header.status_code == 400
    assert "auth_header_name" in secret_header.json()["errors"]
    assert not AgentTool.objects.exists()


def test_ordinary_headers_are_still_allowed(api_client):
    response = api_client.post(
        "/api/v1/agent-tools",
        _tool(
            headers={"X-Trace": "1"}, auth="header", auth_header_name="X-Api-Key", secret="s" * 12
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
