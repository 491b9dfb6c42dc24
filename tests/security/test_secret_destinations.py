"""A secret is bound to its destination: a tool's (or an endpoint's) new host never gets the old
one. The review's finding: `PATCH /agent-tools/{id}` with a new `url_template` host kept the
bearer secret, and the next call sent it to the new host."""

import pytest

from agenttools.services import tool_create, tool_try
from omniflow.crypto import decrypt_secret
from tests.support.agent_tools import ORDER_SCHEMA
from tests.support.customer_api import CustomerApi
from webhooks.models import WebhookEndpoint
from webhooks.services import endpoint_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_urls_allowed")]

OLD_SECRET = "old-bearer-secret-123"


@pytest.fixture
def servers():
    apis = CustomerApi(), CustomerApi()
    yield apis
    for api in apis:
        api.close()


def _tool(workspace, api):
    return tool_create(
        workspace=workspace,
        created_by=None,
        name="lookup_order",
        input_schema=ORDER_SCHEMA,
        url_template=f"{api.base_url}/orders/{{order_id}}",
        auth="bearer",
        secret=OLD_SECRET,
    )


def _elsewhere(api) -> str:
    # The other server, named by another host (localhost, not 127.0.0.1).
    return api.base_url.replace("127.0.0.1", "localhost") + "/orders/{order_id}"


def test_a_new_host_clears_the_tools_secret_and_the_old_one_is_never_sent_there(
    api_client, workspace, servers
):
    home, elsewhere = servers
    tool = _tool(workspace, home)

    moved = api_client.patch(
        f"/api/v1/agent-tools/{tool.pk}", {"url_template": _elsewhere(elsewhere)}, format="json"
    )
    tool.refresh_from_db()
    outcome = tool_try(tool=tool, arguments={"order_id": "A-1"}, actor="test")

    assert moved.status_code == 200, moved.json()
    assert moved.json()["has_secret"] is False
    assert "secret was cleared" in moved.json()["notes"][0]
    assert outcome.result["error"]["type"] == "tool_unavailable"
    assert elsewhere.received() == []


def test_a_secret_given_with_the_new_host_is_the_one_sent(api_client, workspace, servers):
    home, elsewhere = servers
    tool = _tool(workspace, home)

    moved = api_client.patch(
        f"/api/v1/agent-tools/{tool.pk}",
        {"url_template": _elsewhere(elsewhere), "secret": "new-host-secret-456"},
        format="json",
    )
    same_host = api_client.patch(
        f"/api/v1/agent-tools/{tool.pk}", {"description": "Changed"}, format="json"
    )
    tool.refresh_from_db()
    tool_try(tool=tool, arguments={"order_id": "A-1"}, actor="test")

    assert moved.json()["has_secret"] is True and moved.json()["notes"] == []
    assert same_host.json()["has_secret"] is True and same_host.json()["notes"] == []
    [seen] = elsewhere.received()
    assert seen.headers["Authorization"] == "Bearer new-host-secret-456"


def test_the_settings_form_says_the_secret_was_cleared(admin_client, workspace, servers):
    home, elsewhere = servers
    tool = _tool(workspace, home)
    form = admin_client.get(f"/settings/agent-tools/{tool.pk}/edit/").context["form"]
    data = {**{k: v for k, v in form.initial.items() if v is not None}}
    data.update(url_template=_elsewhere(elsewhere), secret="")
    data = {k: v for k, v in data.items() if v is not False}

    page = admin_client.post(f"/settings/agent-tools/{tool.pk}/edit/", data, follow=True)

    tool.refresh_from_db()
    assert tool.url_template == _elsewhere(elsewhere), page.context.get("form").errors
    assert tool.secret == ""
    assert "secret was cleared" in page.content.decode()


def test_a_new_host_gives_a_webhook_endpoint_a_new_secret_unless_one_is_given(
    api_client, workspace
):
    endpoint = endpoint_create(
        workspace=workspace, url="https://hooks.example.com/in", event_types=["ticket.created"]
    )
    old = decrypt_secret(token=endpoint.secret_encrypted)

    path = api_client.patch(
        f"/api/v1/webhook-endpoints/{endpoint.pk}",
        {"url": "https://hooks.example.com/other"},
        format="json",
    )
    assert decrypt_secret(token=WebhookEndpoint.objects.get().secret_encrypted) == old
    moved = api_client.patch(
        f"/api/v1/webhook-endpoints/{endpoint.pk}",
        {"url": "https://attacker.example.net/in"},
        format="json",
    )
    new = decrypt_secret(token=WebhookEndpoint.objects.get().secret_encrypted)
    given = api_client.patch(
        f"/api/v1/webhook-endpoints/{endpoint.pk}",
        {"url": "https://hooks.example.org/in", "secret": "whsec_" + "A" * 43 + "="},
        format="json",
    )

    assert path.json()["notes"] == []
    assert moved.status_code == 200 and new != old and new.startswith("whsec_")
    assert "new signing secret" in moved.json()["notes"][0]
    assert given.json()["notes"] == []
    assert decrypt_secret(token=WebhookEndpoint.objects.get().secret_encrypted).endswith("A=")


def test_the_endpoint_form_says_a_new_secret_was_made(admin_client, workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://hooks.example.com/in", event_types=["ticket.created"]
    )
    old = decrypt_secret(token=endpoint.secret_encrypted)

    page = admin_client.post(
        f"/settings/webhooks/{endpoint.pk}/edit/",
        {"url": "https://elsewhere.example.net/in", "event_types": ["ticket.created"]},
        follow=True,
    ).content.decode()

    assert "new signing secret" in page
    assert decrypt_secret(token=WebhookEndpoint.objects.get().secret_encrypted) != old
