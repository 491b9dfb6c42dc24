"""A Python client generated from /api/v1/schema by `openapi-python-client` (the generator
integrators use) reads every answer of the seed's five resources, an agent tool call and the
deliveries log: no schema dropped at generation, no `UnexpectedStatus`, every body parsed into
its model. It talks to the app in-process (httpx's WSGI transport) with a real key."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from omniflow.wsgi import application
from tests.factories import make_api_key
from tests.support.customer_api import CustomerApi

PACKAGE = "omniflow_api_client"


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """Generate the client into a temporary directory once and import it."""
    where = tmp_path_factory.mktemp("client")
    schema = where / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    config = where / "config.json"
    config.write_text(json.dumps({"post_hooks": []}))  # no formatter needed to import it
    generator = Path(sys.executable).parent / "openapi-python-client"
    finished = subprocess.run(
        [str(generator), "generate", "--path", str(schema), "--meta", "none"]
        + ["--config", str(config), "--output-path", str(where / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    # Any warning means a schema or a response the generator dropped: a client that cannot
    # read what the server answers.
    assert "Warning" not in finished.stdout, finished.stdout
    sys.path.insert(0, str(where))
    package = importlib.import_module(PACKAGE)
    importlib.import_module(f"{PACKAGE}.models")
    yield package
    sys.path.remove(str(where))
    for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
        del sys.modules[name]


def _module(generated, path: str):
    return importlib.import_module(f"{PACKAGE}.{path}")


@pytest.fixture
def client(generated, wsgi_in_test_transaction, workspace):
    key = make_api_key(workspace)[1]
    return generated.AuthenticatedClient(
        base_url="http://testserver",
        token=key,
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.WSGITransport(app=application)},
    )


@pytest.fixture
def customer_api(settings):
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True
    api = CustomerApi()
    yield api
    api.close()


def _ok(response, status: int, model):
    assert response.status_code == status, response.content
    assert isinstance(response.parsed, model), response.parsed
    return response.parsed


def test_the_generated_client_drives_the_seed_resources(generated, client, workspace):
    models = generated.models
    api = "api"

    endpoint = _ok(
        _module(generated, f"{api}.webhook_endpoints.webhook_endpoints_create").sync_detailed(
            client=client,
            body=models.EndpointInput(
                url="https://93.184.215.14/hooks",
                event_types=[models.WebhookEventTypeEnum.TICKET_CREATED],
            ),
        ),
        201,
        models.EndpointRepresentation,
    )

    conversation = _ok(
        _module(generated, f"{api}.conversations.conversations_ingest").sync_detailed(
            client=client,
            body=models.ConversationCreateInput(subject="Order late", tags=["vip"]),
            idempotency_key="conv-1",
        ),
        201,
        models.ConversationRepresentation,
    )
    contact = _module(generated, f"{api}.contacts.contacts_upsert").sync_detailed(
        client=client, body=models.ContactInput(email="ann@example.com", name="Ann")
    )
    assert contact.status_code in (200, 201) and contact.parsed.email == "ann@example.com"
    ticket = _ok(
        _module(generated, f"{api}.tickets.tickets_create").sync_detailed(
            client=client,
            body=models.TicketInput(subject="Refund", conversation=conversation.id),
        ),
        201,
        models.TicketRepresentation,
    )
    scorecard = _ok(
        _module(generated, f"{api}.scorecards.scorecards_create").sync_detailed(
            client=client,
            body=models.ScorecardInput(conversation=conversation.id, grader="qa", total_score=9),
        ),
        201,
        models.ScorecardRepresentation,
    )
    listed = {
        "conversations": _module(generated, f"{api}.conversations.conversations_list"),
        "contacts": _module(generated, f"{api}.contacts.contacts_list"),
        "tickets": _module(generated, f"{api}.tickets.tickets_list"),
        "scorecards": _module(generated, f"{api}.scorecards.scorecards_list"),
        "webhook_endpoints": _module(generated, f"{api}.webhook_endpoints.webhook_endpoints_list"),
    }
    ids = {
        name: [row.id for row in module.sync(client=client, limit=10).results]
        for name, module in listed.items()
    }
    assert ids["conversations"] == [conversation.id]
    assert ids["contacts"] == [contact.parsed.id]
    assert ids["tickets"] == [ticket.id]
    assert ids["scorecards"] == [scorecard.id]
    assert ids["webhook_endpoints"] == [endpoint.id]
    assert endpoint.secret_rotation_advised is False

    deliveries = _module(generated, f"{api}.webhook_deliveries.webhook_deliveries_list").sync(
        client=client, endpoint=endpoint.id
    )
    assert [delivery.event_type for delivery in deliveries.results] == ["ticket.created"]
    assert deliveries.results[0].resource_id == str(ticket.id)

    # Bad input answers the documented problem, parsed as such.
    refused = _module(generated, f"{api}.tickets.tickets_list").sync_detailed(
        client=client, cursor="not-a-cursor"
    )
    assert refused.status_code == 404 and isinstance(refused.parsed, models.Problem)


def test_the_generated_client_makes_a_tool_call_and_reads_its_result(
    generated, client, workspace, customer_api
):
    models = generated.models
    tool = _ok(
        _module(generated, "api.agent_tools.agent_tools_create").sync_detailed(
            client=client,
            body=models.ToolInput(
                name="lookup_order",
                input_schema=models.ToolInputInputSchema.from_dict(
                    {
                        "type": "object",
                        "required": ["order_id"],
                        "properties": {"order_id": {"type": "string"}},
                    }
                ),
                url_template=f"{customer_api.base_url}/orders/{{order_id}}",
            ),
        ),
        201,
        models.ToolRepresentation,
    )
    agent = _ok(
        _module(generated, "api.agents.agents_create").sync_detailed(
            client=client, body=models.AgentInput(name="Support bot")
        ),
        201,
        models.AgentRepresentation,
    )
    not_published = _module(generated, "api.agent_tools.agents_tools_export").sync_detailed(
        agent.id, client=client
    )
    assert not_published.status_code == 409 and not_published.parsed.type_ == (
        "agent_not_published"
    )
    _module(generated, "api.agent_tools.agents_tools_set").sync(
        agent.id, client=client, body=models.AgentToolsInput(tools=[tool.name])
    )
    _module(generated, "api.agents.agents_publish").sync(agent.id, client=client)
    conversation = _module(generated, "api.conversations.conversations_ingest").sync(
        client=client, body=models.ConversationCreateInput(subject="Where is A-1?")
    )

    result = _ok(
        _module(generated, "api.agent_tools.agents_tool_calls_create").sync_detailed(
            agent.id,
            client=client,
            body=models.ToolCallInput(
                tool="lookup_order",
                arguments=models.ToolCallInputArguments.from_dict({"order_id": "A-1"}),
                conversation=conversation.id,
            ),
        ),
        200,
        models.ToolCallResult,
    )

    assert result.ok is True and result.status == 200
    assert result.body["id"] == "A-1" and result.error is None
    exported = _module(generated, "api.agent_tools.agents_tools_export").sync(
        agent.id, client=client, format_=models.AgentsToolsExportFormat.MCP
    )
    assert exported.tools[0]["annotations"]["readOnlyHint"] is True


def test_the_generated_client_reads_members_and_key_usage(generated, client, workspace):
    from tests.factories import MembershipFactory
    from workspaces.models import Membership

    member = MembershipFactory(workspace=workspace, role="support")
    members = _module(generated, "api.members.members_list").sync(client=client)
    key_id = _module(generated, "api.api_keys.api_keys_list").sync(client=client).results[0].id
    usage = _module(generated, "api.api_keys.api_keys_usage").sync_detailed(key_id, client=client)

    assert [m.id for m in members.results] == [member.user_id]
    assert Membership.objects.get(workspace=workspace).user_id == members.results[0].id
    assert usage.status_code == 200 and isinstance(usage.parsed, list)
    assert all(isinstance(day, generated.models.UsageDayRepresentation) for day in usage.parsed)
