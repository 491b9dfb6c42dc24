"""Bad input is a 4xx (or a form shown again with a message), never a 5xx: at the inbound
receiver, the API, the Settings forms and the exports, with examples and property-based input."""

import csv
import io
import json
import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbound.models import InboundReceipt
from inbound.services import trigger_update
from inbox.models import Ticket
from omniflow.crypto import body_signature
from tests.factories import ConversationFactory, ScorecardFactory
from tests.inbound.conftest import ORDER_SCHEMA
from tests.inbound.test_settings_pages import CREATE_URL, _form
from tests.security.conftest import SHIPPED, post_json

pytestmark = pytest.mark.django_db

# Bounded and derandomized: the same examples every run in CI (FUZZ_RANDOM=1 explores).
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
)


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


# Text that reaches the edges: NUL, control characters, non-ASCII, lone surrogates.
EDGY_TEXT = st.text(
    alphabet=st.sampled_from(["a", "0", " ", "\x00", "\t", "é", "\u2028", "\ud800", "\\", '"']),
    max_size=12,
)
# What a browser can send in a form: UTF-8 text, so no lone surrogate (JSON escapes can be).
FORM_TEXT = st.text(
    alphabet=st.sampled_from(["a", "0", " ", "\x00", "\t", "é", "\u2028", "\\", '"']),
    max_size=12,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | EDGY_TEXT,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["order", "event_id", "x"]) | EDGY_TEXT, children, max_size=4
        )
    ),
    max_leaves=20,
)


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


def _nested(depth: int) -> str:
    return '{"type": "object", "properties": {"x": ' * depth + "{}" + "}}" * depth


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (_nested(5000), "nested too deeply"),
        (_nested(40), "nested deeper than 32 levels"),
        ('{"type": "object", "description": "a\\u0000b"}', "Null characters"),
        ('{"type": "object", "properties": {"\\u0000": {}}}', "Null characters"),
        ('{"type": "string", "maxLength": 1e400}', "out of range"),
        ('"\\ud800"', "surrogate"),
        ("[" * 100000, "nested too deeply"),
    ],
)
def test_the_inbound_form_shows_a_bad_schema_again_with_a_message(admin_client, schema, message):
    response = admin_client.post(CREATE_URL, _form(payload_schema=schema))

    assert response.status_code == 200
    assert message in response.content.decode()


@FUZZ
@given(
    schema=st.one_of(
        FORM_TEXT,
        # Objects at the top, as a JSON Schema is one: they get past the first check.
        st.dictionaries(
            st.sampled_from(["type", "$ref", "properties", "items", "pattern"]) | EDGY_TEXT,
            st.recursive(
                st.none() | st.booleans() | st.integers() | EDGY_TEXT,
                lambda children: (
                    st.lists(children, max_size=3)
                    | st.dictionaries(EDGY_TEXT, children, max_size=3)
                ),
                max_leaves=10,
            ),
            min_size=1,
            max_size=3,
        ).map(json.dumps),
    )
)
def test_no_shape_in_the_inbound_form_is_a_server_error(admin_client, schema):
    response = admin_client.post(CREATE_URL, _form(payload_schema=schema))

    assert response.status_code in (200, 302)


@FUZZ
@given(
    name=FORM_TEXT,
    path=FORM_TEXT,
    tags=FORM_TEXT,
    secret=FORM_TEXT,
    resource=st.sampled_from(["conversation", "ticket", "contact", "custom_event", "nope"]),
)
def test_no_field_of_the_inbound_form_is_a_server_error(
    admin_client, name, path, tags, secret, resource
):
    form = _form(
        name=name or "x",
        conversation_path=path,
        idempotency_path=path,
        contact_email_path=path,
        tags=tags,
        resource=resource,
        event_name=name,
        secret=secret,
    )

    response = admin_client.post(CREATE_URL, form)

    assert response.status_code in (200, 302)


@FUZZ
@given(
    name=FORM_TEXT,
    tier=st.sampled_from(["default", "burstable", "custom", "nope"]),
    custom_rate=st.text(alphabet="0123456789/,smhd x\x00", max_size=30),
    expires_at=st.text(alphabet="0123456789-T: x", max_size=25),
    scopes=st.lists(st.sampled_from(["tickets:read", "inbound:write", "nope:read", ""])),
)
def test_no_input_to_the_api_key_form_is_a_server_error(
    admin_client, name, tier, custom_rate, expires_at, scopes
):
    response = admin_client.post(
        "/settings/api-keys/new/",
        {
            "name": name,
            "tier": tier,
            "custom_rate": custom_rate,
            "expires_at": expires_at,
            "scopes": scopes,
        },
    )

    assert response.status_code in (200, 302)


@FUZZ
@given(
    url=st.one_of(
        FORM_TEXT,
        st.sampled_from(["https://", "http://", "https://[", "https://a:99999/", "ftp://"]).flatmap(
            lambda scheme: FORM_TEXT.map(lambda rest: scheme + rest)
        ),
        st.sampled_from(
            ["https://[2002:7f00:1::1]/", "https://[fec0::1]/x", "https://0x7f.1/", "https://%00/"]
        ),
    ),
    description=FORM_TEXT,
    secret=FORM_TEXT,
    secret_mode=st.sampled_from(["generate", "own", "nope"]),
)
def test_no_input_to_the_webhook_endpoint_form_is_a_server_error(
    admin_client, url, description, secret, secret_mode
):
    response = admin_client.post(
        "/settings/webhooks/new/",
        {
            "url": url,
            "event_types": ["ticket.created"],
            "description": description,
            "secret": secret,
            "secret_mode": secret_mode,
            "enabled": "on",
        },
    )

    assert response.status_code in (200, 302)


@FUZZ
@given(workspace=st.text(max_size=30), next_url=st.text(max_size=60))
def test_no_input_to_the_workspace_switch_is_a_server_error(admin_client, workspace, next_url):
    response = admin_client.post(
        "/settings/workspace/switch/", {"workspace": workspace, "next": next_url}
    )

    assert response.status_code in (302, 400, 404)


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["before", "after", "status", "endpoint", "event_type", "since"]),
        st.text(max_size=30),
        max_size=4,
    )
)
def test_no_filter_of_the_delivery_log_is_a_server_error(admin_client, query):
    assert admin_client.get("/settings/deliveries/", query).status_code == 200


def test_a_cursor_beyond_the_id_range_is_no_cursor(admin_client):
    assert admin_client.get("/settings/deliveries/", {"before": "9" * 30}).status_code == 200


# --- Exports --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grader", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_csv_export_cells_cannot_run_as_formulas(api_client, workspace, grader):
    conversation = ConversationFactory(workspace=workspace)
    ScorecardFactory(workspace=workspace, conversation=conversation, grader=grader, total_score=-3)

    response = api_client.get("/api/v1/scorecards/export?format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert rows[0]["grader"] == "'" + grader
    assert float(rows[0]["total_score"]) == -3, "numbers stay numbers"
