"""Building tools from an OpenAPI 3 document: the mapping filled in, only local $refs followed."""

import json

import pytest
import yaml
from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator

from agenttools import openapi
from agenttools.services import tools_import_openapi
from tests.support.customer_api import openapi_document

pytestmark = pytest.mark.django_db

BASE = "https://shop.example.com/api"


def _import(workspace, document, keys, **extra):
    return tools_import_openapi(
        workspace=workspace, created_by=None, document=document, operation_keys=keys, **extra
    )


def test_operations_become_tools_with_schema_and_http_mapping(workspace):
    document = openapi_document(BASE)

    (get_order, refund), notes = _import(
        workspace, document, ["GET /orders/{order_id}", "POST /orders/{order_id}/refunds"]
    )

    assert get_order.name == "getOrder"
    assert get_order.description == "Look up an order\n\nReturns the order's status."
    assert get_order.url_template == f"{BASE}/orders/{{order_id}}"
    assert get_order.query_arguments == ["expand"]
    assert get_order.input_schema == {
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "minLength": 1, "description": "The order number."},
            "expand": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["order_id"],
    }
    assert refund.method == "POST"
    assert refund.body_arguments == ["amount", "reason", "lines"]
    assert refund.input_schema["required"] == ["order_id", "amount", "reason"]
    # The recursive Line schema travels along under $defs and still validates arguments.
    assert refund.input_schema["properties"]["lines"] == {
        "type": "array",
        "items": {"$ref": "#/$defs/Line"},
    }
    validator = Draft202012Validator(refund.input_schema)
    assert validator.is_valid(
        {"order_id": "A", "amount": 1, "reason": "r", "lines": [{"parts": [{"sku": "S"}]}]}
    )
    assert not validator.is_valid(
        {"order_id": "A", "amount": 1, "reason": "r", "lines": [{"parts": [{"sku": 5}]}]}
    )
    assert notes == [
        "getOrder: The header parameter 'X-Trace' is not sent; add it as a static header."
    ]


def test_a_yaml_document_reads_the_same(workspace):
    text = yaml.safe_dump(openapi_document(BASE))

    assert openapi.document_parse(text) == openapi_document(BASE)
    assert [op.key for op in openapi.operations(openapi.document_parse(text))] == [
        "GET /orders/{order_id}",
        "POST /orders/{order_id}/refunds",
        "GET /slow",
    ]


def test_a_reference_outside_the_document_is_not_fetched_but_refused(workspace):
    document = openapi_document(BASE)
    document["components"]["schemas"]["Refund"]["properties"]["amount"] = {
        "$ref": "https://evil.example/amount.json"
    }

    with pytest.raises(ValidationError) as refused:
        _import(workspace, document, ["POST /orders/{order_id}/refunds"])

    assert "Only references inside the document" in str(refused.value)


def test_a_document_without_a_server_needs_a_base_url(workspace):
    document = {**openapi_document(BASE), "servers": [{"url": "/relative"}]}

    with pytest.raises(ValidationError) as refused:
        _import(workspace, document, ["GET /slow"])
    [tool], _ = _import(workspace, document, ["GET /slow"], base_url="https://api.example.com/v2")

    assert "base URL" in str(refused.value)
    assert tool.url_template == "https://api.example.com/v2/slow"


@pytest.mark.parametrize(
    "text",
    ["not: [valid", json.dumps({"swagger": "2.0", "paths": {}}), "[1, 2]", "openapi: 3.1.0"],
)
def test_what_is_not_an_openapi_3_document_is_refused(text):
    with pytest.raises(openapi.OpenAPIInvalid):
        openapi.document_parse(text)


def test_yaml_aliases_cannot_blow_a_small_document_up(workspace):
    layers = ["a0: &a0 {type: string}"]
    for n in range(1, 25):
        layers.append(f"a{n}: &a{n} {{allOf: [*a{n - 1}, *a{n - 1}]}}")
    text = (
        "openapi: 3.0.0\ncomponents:\n  x:\n"
        + "\n".join(f"    {layer}" for layer in layers)
        + "\npaths:\n  /x:\n    get:\n      parameters:\n"
        + "        - {name: q, in: query, schema: *a24}\n"
    )
    # Refused while reading, before anything is built (tests/security/test_openapi_import.py).
    with pytest.raises(openapi.OpenAPIInvalid, match="aliases"):
        openapi.document_parse(text)
