"""Settings forms and pages under bad input: never a server error, always a message."""

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import ConversationFactory, ScorecardFactory
from tests.inbound.test_settings_pages import CREATE_URL, _form
from tests.support.fuzzing import EDGY_TEXT, FUZZ

pytestmark = pytest.mark.django_db


# What a browser can send in a form: UTF-8 text, so no lone surrogate (JSON escapes can be).
FORM_TEXT = st.text(
    alphabet=st.sampled_from(["a", "0", " ", "\x00", "\t", "é", "\u2028", "\\", '"']),
    max_size=12,
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
