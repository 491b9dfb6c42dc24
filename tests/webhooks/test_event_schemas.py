"""The event catalogue as a contract: every type's JSON Schema validates the payloads the
domain really emits, and is published in the catalogue API and the OpenAPI `webhooks`."""

import json

import pytest
from jsonschema import Draft202012Validator, ValidationError

from tests.webhooks.test_catalogue_examples import _emit_every_event_type
from webhooks.event_schemas import event_schema
from webhooks.events import CATALOGUE
from webhooks.models import WebhookEvent
from webhooks.payloads import example_body

pytestmark = pytest.mark.django_db


def _validator(event_type: str) -> Draft202012Validator:
    schema = event_schema(event_type=event_type)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_every_emitted_payload_is_valid_under_its_type_schema(workspace):
    _emit_every_event_type(workspace)
    events = list(WebhookEvent.objects.order_by("id"))

    assert {event.event_type for event in events} == set(CATALOGUE)
    for event in events:
        _validator(event.event_type).validate(json.loads(event.body))


def test_every_example_is_valid_and_a_payload_missing_data_is_not(workspace):
    for event_type in CATALOGUE:
        validator = _validator(event_type)
        example = example_body(event_type=event_type)
        validator.validate(example)
        broken = {key: value for key, value in example.items() if key != "data"}
        with pytest.raises(ValidationError):
            validator.validate(broken)
        with pytest.raises(ValidationError):
            validator.validate({**example, "type": "something.else"})


def test_the_catalogue_api_and_the_openapi_document_publish_each_schema(api_client, workspace):
    catalogue = api_client.get("/api/v1/webhook-event-types").json()["results"]
    document = api_client.get("/api/v1/schema?format=json").json()

    assert [entry["type"] for entry in catalogue] == list(CATALOGUE)
    assert document["openapi"].startswith("3.1")
    assert list(document["webhooks"]) == list(CATALOGUE)
    for entry in catalogue:
        assert entry["schema"] == event_schema(event_type=entry["type"])
        body = document["webhooks"][entry["type"]]["post"]["requestBody"]["content"]
        published = body["application/json"]
        assert published["example"] == entry["example"]
        assert published["schema"]["properties"] == entry["schema"]["properties"]


def _closed(schema):
    """`schema` with `additionalProperties: false` on every object that does not say otherwise,
    so a field a payload carries that the schema does not describe fails validation."""
    if isinstance(schema, dict):
        closed = {key: _closed(value) for key, value in schema.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


def _emit_with_every_optional_part(workspace):
    """Events whose payloads carry their optional parts: a published agent with a tool, an
    attempt that changed, a rule whose changes have from/to."""
    from inbox import services
    from tests.factories import (
        AgentFactory,
        ConversationFactory,
        RoutingRuleFactory,
        TrainingAttemptFactory,
    )

    agent = AgentFactory(workspace=workspace)
    from agenttools.services import agent_tools_set, tool_create

    tool = tool_create(
        workspace=workspace,
        created_by=None,
        name="lookup_order",
        input_schema={"type": "object", "properties": {}},
        url_template="https://93.184.215.14/orders",
    )
    agent_tools_set(agent=agent, tools=[tool])
    services.agent_publish(agent=agent, actor="t")
    services.agent_publish(agent=agent, actor="t")  # a republish says the version before
    services.training_attempt_complete(
        attempt=TrainingAttemptFactory(workspace=workspace), score=80
    )
    conversation = ConversationFactory(workspace=workspace)
    RoutingRuleFactory(
        workspace=workspace,
        conditions=[],
        trigger="updated",
        actions=[{"type": "set_priority", "priority": "urgent"}, {"type": "tag", "tag": "vip"}],
    )
    services.conversation_update(conversation=conversation, actor="t", subject="Changed")


def test_every_emitted_payload_is_valid_under_its_closed_schema(workspace):
    """No field of a real payload is missing from its type's schema (a typed consumer generated
    from the schemas would silently drop it)."""
    _emit_every_event_type(workspace)
    _emit_with_every_optional_part(workspace)
    events = list(WebhookEvent.objects.order_by("id"))

    failures = []
    for event in events:
        schema = _closed(event_schema(event_type=event.event_type))
        validator = Draft202012Validator(schema)
        failures += [
            f"{event.event_type}: {error.json_path}: {error.message}"
            for error in validator.iter_errors(json.loads(event.body))
        ]
    for event_type in CATALOGUE:
        validator = Draft202012Validator(_closed(event_schema(event_type=event_type)))
        failures += [
            f"{event_type} example: {error.json_path}: {error.message}"
            for error in validator.iter_errors(example_body(event_type=event_type))
        ]
    assert not failures, "\n".join(failures)
