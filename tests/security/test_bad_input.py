"""Bad input is a 4xx (or a form shown again with a message), never a 5xx: at the inbound
receiver, the API, the Settings forms and the exports, with examples and property-based input."""

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from inbound.models import InboundReceipt
from inbound.services import trigger_update
from inbox.models import Ticket
from omniflow.crypto import body_signature
from tests.support.fuzzing import FUZZ, JSON_VALUES
from tests.support.inbound_triggers import ORDER_SCHEMA, SHIPPED, post_json

pytestmark = pytest.mark.django_db

# --- The inbound receiver -------------------------------------------------------------------


def test_a_non_ascii_signature_is_a_401(client, tag_trigger):
    trigger = trigger_update(trigger=tag_trigger, secret="s3cret")

    response = post_json(client, trigger, SHIPPED, HTTP_X_OMNIFLOW_SIGNATURE="sïgnatüre")

    assert response.status_code == 401
    assert response.json()["type"] == "signature_invalid"


def test_a_nul_byte_in_the_body_is_a_400_and_its_receipt_is_kept(client, tag_trigger):
    response = post_json(client, tag_trigger, b'{"order": "\x00"}')

    assert response.status_code == 400
    receipt = InboundReceipt.objects.get()
    assert "\x00" not in receipt.payload_excerpt
    assert receipt.http_status == 400


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ('{"order": {"conversation_id": "a\\u0000b"}}', "order.conversation_id"),
        ('{"order": {"tags": ["ok", "\\u0000"]}}', "order.tags.1"),
        ('{"ord\\u0000er": 1}', ""),
    ],
)
def test_a_nul_inside_json_strings_is_a_400_naming_where(client, tag_trigger, body, path):
    response = post_json(client, tag_trigger, body)

    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"
    assert f"(at {path})" in response.json()["detail"] if path else True
    assert InboundReceipt.objects.get().http_status == 400


def test_a_self_referencing_shape_is_a_422_not_a_crash(client, tag_trigger):
    trigger = trigger_update(
        trigger=tag_trigger,
        # `order` declared, as the trigger's path into it must be (the rest refers to itself).
        payload_schema={
            "properties": {"a": {"$ref": "#"}, "order": {"type": "object"}},
            "$ref": "#",
        },
    )

    response = post_json(client, trigger, {"a": {"a": {"a": {}}}})

    assert response.status_code == 422


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=200),
        JSON_VALUES.map(lambda value: json.dumps(value).encode("utf-8", "surrogatepass")),
    ),
    signature=st.text(max_size=60),
    idempotency_key=st.text(max_size=40),
    content_type=st.sampled_from(["application/json", "application/vnd.x+json", "text/plain"]),
)
def test_no_input_to_the_receiver_is_a_server_error(
    tag_trigger, body, signature, idempotency_key, content_type
):
    # A signing secret: every POST is checked against the signature header, and refused ones
    # keep a receipt of their body too.
    shape = {**ORDER_SCHEMA, "properties": {**ORDER_SCHEMA["properties"], "event_id": {}}}
    trigger = trigger_update(
        trigger=tag_trigger, idempotency_path="event_id", payload_schema=shape, secret="s3cret"
    )
    headers = {"HTTP_X_OMNIFLOW_SIGNATURE": signature or body_signature(secret="s3cret", body=body)}
    if idempotency_key:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key

    response = Client(raise_request_exception=False).post(
        trigger.receive_path, body, content_type=content_type, **headers
    )

    assert response.status_code < 500, response.content


# --- The API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"subject": "nul\\u0000"}', "subject"),
        ('{"subject": "ok", "custom_attributes": {"a": ["\\u0000"]}}', "custom_attributes"),
    ],
)
def test_a_nul_in_api_json_is_a_400_naming_the_field(api_client, body, field):
    response = api_client.post("/api/v1/tickets", body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(api_client):
    response = api_client.post(
        "/api/v1/tickets", '{"subject": "C:\\\\u0000"}', content_type="application/json"
    )

    assert response.status_code == 201
    assert Ticket.objects.get().subject == "C:\\u0000"


def test_a_trigger_shape_too_deep_for_the_api_is_a_400(api_client):
    deep: dict = {"type": "object"}
    for _ in range(40):
        deep = {"type": "object", "properties": {"x": deep}}

    response = api_client.post(
        "/api/v1/inbound-triggers",
        {"name": "x", "resource": "custom_event", "payload_schema": deep},
        format="json",
    )

    assert response.status_code == 400
    assert "payload_schema" in response.json()["errors"]


# --- Settings pages -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "", "²", "1" * 30, "-1", "1.5", "\x00"])
def test_switching_to_a_workspace_that_is_not_a_number_is_a_404(admin_client, value):
    assert admin_client.post("/settings/workspace/switch/", {"workspace": value}).status_code in (
        400,
        404,
    )
