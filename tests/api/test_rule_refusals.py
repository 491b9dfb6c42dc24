"""Well-formed input refused for a rule no JSON Schema states answers 422 `unprocessable`, the
shape of a 400, on every operation that documents it; what the schema states stays a 400.
schemathesis sent each of these bodies as valid and met a 400 (issue #22)."""

import re

import pytest

from tests.factories import ConversationFactory

SEARCH_CONFLICT = "/api/v1/webhook-deliveries?search=ticket:1&resource_type=conversation"

RULES = [
    # across fields
    ("post", "/api/v1/contacts", {"external_id": ""}, {"email"}),
    (
        "post",
        "/api/v1/routing-rules",
        {"name": "r", "conditions": [], "actions": [{"type": "tag"}]},
        {"actions.0.tag"},
    ),
    (
        "post",
        "/api/v1/api-keys",
        {"name": "k", "scopes": ["tickets:read"], "tier": "default", "custom_rate": "10/m"},
        {"custom_rate"},
    ),
    (
        "post",
        "/api/v1/inbound-triggers",
        {"name": "t", "resource": "conversation", "action": "tag_conversation", "tags": []},
        {"conversation_path", "tags"},
    ),
    ("get", SEARCH_CONFLICT, None, {"search"}),
    # a parser's
    ("post", "/api/v1/agent-tools/import", {"document": "[]"}, {"document"}),
    (
        "post",
        "/api/v1/api-keys",
        {"name": "k", "scopes": ["tickets:read"], "tier": "custom", "custom_rate": "10/m,20/m"},
        {"custom_rate"},
    ),
    # the clock's
    (
        "post",
        "/api/v1/api-keys",
        {"name": "k", "scopes": ["tickets:read"], "expires_at": "2000-01-01T00:00:00Z"},
        {"expires_at"},
    ),
    # a password validator's dictionary
    (
        "post",
        "/api/v1/members",
        {"email": "new@example.com", "role": "support", "password": "password"},
        {"password"},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("method, url, body, fields", RULES)
def test_a_rule_no_schema_states_answers_422_with_its_fields(api_client, method, url, body, fields):
    response = getattr(api_client, method)(url, body, format="json")

    assert response.status_code == 422, response.content
    problem = response.json()
    assert (problem["type"], problem["title"], problem["status"]) == (
        "unprocessable",
        "Unprocessable content.",
        422,
    )
    assert set(problem["errors"]) == fields


@pytest.mark.django_db
def test_every_operation_that_can_refuse_for_such_a_rule_documents_its_422(api_client):
    document = api_client.get("/api/v1/schema?format=json").json()
    operations = {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }

    for method, url, _, _ in RULES:
        path = url.split("?")[0]
        response = operations[(method, path)]["responses"]["422"]
        assert response["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }


@pytest.mark.django_db
def test_a_rule_beside_an_error_the_schema_states_is_a_400(api_client):
    response = api_client.post(
        "/api/v1/routing-rules",
        {"name": "r", "conditions": [], "actions": [{"type": "tag"}], "position": -1},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"actions.0.tag", "position"}


@pytest.mark.django_db
def test_a_rule_beside_a_state_conflict_is_a_422(api_client, workspace):
    ConversationFactory(workspace=workspace)

    response = api_client.post(
        "/api/v1/routing-rules",
        {"name": "r", "conditions": [], "actions": [{"type": "tag"}], "inbound_trigger": 99999},
        format="json",
    )

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"actions.0.tag", "inbound_trigger"}


def _property(document: dict, component: str, *path: str) -> dict:
    schema = document["components"]["schemas"][component]
    for key in path:
        schema = schema[key] if key in schema else schema["properties"][key]
    return schema


# (component, path to the pattern's schema, operation, body for a value, field of its error)
STATED = [
    (
        ("ConditionInput", "field"),
        "/api/v1/routing-rules",
        lambda v: {
            "name": "r",
            "conditions": [{"field": v, "operator": "equals", "value": "a"}],
            "actions": [{"type": "tag", "tag": "t"}],
        },
        "conditions.0.field",
        ["channel", " tag ", "custom_attributes.", "custom_attributes.x", "payload.a. ", "nope"],
    ),
    (
        ("ToolInput", "headers", "propertyNames"),
        "/api/v1/agent-tools",
        lambda v: {
            "name": f"t{abs(hash(v))}",
            "input_schema": {"type": "object"},
            "url_template": "https://93.184.215.14/",
            "headers": {v: "x"},
        },
        "headers",
        ["X-Team", "Host", "cOOkie", "a b", "X-Omniflow-Tool"],
    ),
    (
        ("ToolInput", "auth_header_name"),
        "/api/v1/agent-tools",
        lambda v: {
            "name": f"t{abs(hash(v))}",
            "input_schema": {"type": "object"},
            "url_template": "https://93.184.215.14/",
            "auth": "bearer",
            "secret": "s",
            "auth_header_name": v,
        },
        "auth_header_name",
        ["", "X-Api-Key", " X-Api-Key ", "Host", "a b", "   "],
    ),
    (
        ("ToolInput", "secret"),
        "/api/v1/agent-tools",
        lambda v: {
            "name": f"t{abs(hash(v))}",
            "input_schema": {"type": "object"},
            "url_template": "https://93.184.215.14/",
            "auth": "bearer",
            "secret": v,
        },
        "secret",
        ["token", " token\x85", "tok\x85en", "tö"],
    ),
    (
        ("TriggerInput", "conversation_path"),
        "/api/v1/inbound-triggers",
        lambda v: {"name": "t", "resource": "conversation", "conversation_path": v, "tags": ["x"]},
        "conversation_path",
        ["", "order.id", "order..id", "   ", "order. "],
    ),
    (
        ("TriggerInput", "allowed_origins", "items"),
        "/api/v1/inbound-triggers",
        lambda v: {"name": "t", "resource": "contact", "allowed_origins": [v]},
        "allowed_origins",
        [
            "https://a.example",
            "https://a.example/",
            "ftp://a.example",
            "https://0.a",
            "http://[::1]:8",
        ],
    ),
    (
        ("MemberCreateInput", "password"),
        "/api/v1/members",
        lambda v: {"email": f"m{abs(hash(v))}@example.com", "role": "support", "password": v},
        "password",
        ["", "short", "a longer one", "        "],
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("where, url, body, field, values", STATED)
def test_a_rule_the_schema_states_refuses_what_the_server_refuses(
    api_client, where, url, body, field, values
):
    """What schemathesis sent as valid and the server refused with a 400 (an unknown condition
    field, a header the call sets itself, a secret no header can carry, a short password) is
    refused by the schema's pattern too, and only that."""
    schema = _property(api_client.get("/api/v1/schema?format=json").json(), *where)
    # A field that may be blank is `oneOf` its pattern and "" (drf-spectacular).
    patterns = [branch.get("pattern") for branch in schema.get("oneOf", [schema])]

    for value in values:
        response = api_client.post(url, body(value), format="json")
        errors = response.json().get("errors", {}) if response.status_code == 400 else {}
        refused = any(name == field or name.startswith(f"{field}.") for name in errors)
        matched = [
            p is None and value == "" or p is not None and bool(re.search(p, value))
            for p in patterns
        ]
        assert matched.count(True) == (0 if refused else 1), (value, response.content)
