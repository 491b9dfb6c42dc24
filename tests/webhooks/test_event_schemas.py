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
