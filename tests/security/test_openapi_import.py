"""An OpenAPI import cannot be turned against us: every input of the review that answered 500
(or held a worker for seconds) is a 400 problem with the reason, in the API and in Settings."""

import json

import pytest

from agenttools.models import AgentTool

pytestmark = pytest.mark.django_db

HEAD_JSON = '{"openapi": "3.0.0", "paths": {}, "x": '
HEAD_YAML = 'openapi: "3.0.0"\npaths: {}\nx: '
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)

HOSTILE = {
    "json nested 5,000 deep": HEAD_JSON + "[" * 5000 + "]" * 5000 + "}",
    "yaml nested 5,000 deep": HEAD_YAML + "[" * 5000 + "]" * 5000 + "\n",
    "yaml nested 100 deep": HEAD_YAML + "[" * 100 + "]" * 100 + "\n",
    "json NaN": HEAD_JSON + "NaN}",
    "json 1e400": HEAD_JSON + "1e400}",
    "json -Infinity": HEAD_JSON + "-Infinity}",
    "yaml .nan": HEAD_YAML + ".nan\n",
    "yaml .inf": HEAD_YAML + ".inf\n",
    "json lone surrogate": HEAD_JSON + '"\\ud800"}',
    "yaml lone surrogate": HEAD_YAML + '"\\ud800"\n',
    "json 5,000-digit integer": HEAD_JSON + "9" * 5000 + "}",
    "yaml 5,000-digit integer": HEAD_YAML + "9" * 5000 + "\n",
    "yaml binary": HEAD_YAML + "!!binary aGVsbG8=\n",
    "yaml alias bomb": BOMB,
    "json NUL": HEAD_JSON + '"a\\u0000b"}',
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_documents_are_422_with_the_reason_in_the_api(api_client, text):
    response = api_client.post(
        "/api/v1/agent-tools/import", {"document": text, "operations": []}, format="json"
    )

    # What the OpenAPI parser refuses is no pattern's rule: 422.
    assert response.status_code == 422, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"]["document"][0]
    assert not AgentTool.objects.exists()


def test_a_yaml_date_is_kept_as_text(api_client):
    document = (
        'openapi: "3.0.0"\nservers: [{url: "https://api.example.com"}]\npaths:\n'
        "  /orders:\n    get:\n      operationId: listOrders\n      parameters:\n"
        "        - {name: since, in: query, schema: {type: string, example: 2024-01-01}}\n"
    )

    response = api_client.post("/api/v1/agent-tools/import", {"document": document}, format="json")

    assert response.status_code == 201, response.json()
    schema = response.json()["tools"][0]["input_schema"]
    assert schema["properties"]["since"]["example"] == "2024-01-01"


def test_a_document_as_a_deep_json_object_is_422(api_client):
    nested: dict = {}
    for _ in range(500):
        nested = {"x": nested}
    document = {"openapi": "3.0.0", "paths": {}, "x": nested}

    response = api_client.post(
        "/api/v1/agent-tools/import",
        json.dumps({"document": document}),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert "deeper" in response.json()["errors"]["document"][0]


def _operations(count: int) -> dict:
    return {
        "openapi": "3.0.0",
        "servers": [{"url": "https://api.example.com"}],
        "paths": {f"/p{i}": {"get": {"operationId": f"op{i}"}} for i in range(count)},
    }


def test_too_many_operations_are_refused_before_any_work(api_client):
    document = api_client.post(
        "/api/v1/agent-tools/import", {"document": _operations(3000)}, format="json"
    )
    import_all = api_client.post(
        "/api/v1/agent-tools/import", {"document": _operations(300)}, format="json"
    )

    assert document.status_code == 422 and "3000 operations" in document.json()["detail"]
    assert import_all.status_code == 400 and "at most 200" in import_all.json()["detail"]
    assert not AgentTool.objects.exists()


@pytest.mark.parametrize(
    "name",
    ["json nested 5,000 deep", "yaml .nan", "yaml alias bomb", "json 5,000-digit integer"],
)
def test_the_settings_import_form_shows_the_reason(admin_client, name):
    response = admin_client.post("/settings/agent-tools/import/", {"document": HOSTILE[name]})

    assert response.status_code == 200
    errors = response.context["document_form"].non_field_errors()
    assert errors and not AgentTool.objects.exists()
    assert str(errors[0]) in response.content.decode().replace("&#x27;", "'")
