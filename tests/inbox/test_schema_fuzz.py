"""Schemathesis over the OpenAPI schema, in-process against the WSGI app: no input, valid or
not, may make the API answer 5xx. `make fuzz` runs it with many more examples."""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from omniflow.wsgi import application
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    MembershipFactory,
    RoutingRuleFactory,
    ScorecardFactory,
    TicketFactory,
    TrainingAttemptFactory,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


@pytest.fixture
def api_schema(db):
    # As Django's test client does: the end of each request must not close the test's
    # connection, which holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema", application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(workspace):
    """Objects with low ids in the key's workspace, so generated paths sometimes hit them."""
    MembershipFactory(workspace=workspace)
    conversation = ConversationFactory(workspace=workspace)
    TicketFactory(workspace=workspace, conversation=conversation)
    ScorecardFactory(workspace=workspace, conversation=conversation)
    AgentFactory(workspace=workspace)
    TrainingAttemptFactory(workspace=workspace)
    RoutingRuleFactory(workspace=workspace)


def test_the_schema_documents_every_inbox_endpoint(client, db):
    paths = client.get("/api/v1/schema?format=json").json()["paths"]

    assert {
        "/api/v1/conversations",
        "/api/v1/conversations/{id}",
        "/api/v1/conversations/{id}/trace",
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/tickets",
        "/api/v1/tickets/{id}",
        "/api/v1/scorecards",
        "/api/v1/scorecards/export",
        "/api/v1/agents",
        "/api/v1/agents/{id}",
        "/api/v1/agents/{id}/publish",
        "/api/v1/training-attempts",
        "/api/v1/training-attempts/{id}",
        "/api/v1/training-attempts/{id}/complete",
        "/api/v1/routing-rules",
        "/api/v1/routing-rules/{id}",
    } <= set(paths)
    create = paths["/api/v1/tickets"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    problem = create["responses"]["413"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}


def test_no_generated_request_gets_a_server_error(api_schema, api_key, seeded):
    """Valid and invalid requests to every operation; any 5xx is reported with its request."""
    headers = {"Authorization": f"Bearer {api_key[1]}"}
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=os.environ.get("FUZZ_RANDOM") != "1",
                database=None,
            )
            def call(case):
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error])

            try:
                call()
            except Exception as failure:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.label} ({mode.value}): {failure}")

    assert not failures, "\n\n".join(failures)


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))

    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3")
