"""The API reference reads as a guide: an introduction per topic, the webhooks by event name
with schema and example, and a curl and a Python sample on every operation."""

import ast

import pytest

pytestmark = pytest.mark.django_db

TOPICS = (
    "Authentication",
    "Rate limits",
    "Errors",
    "Idempotency",
    "Webhooks and verifying them",
)


@pytest.fixture
def document(client):
    return client.get("/api/v1/schema?format=json").json()


def test_the_introduction_has_a_section_per_topic(document):
    description = document["info"]["description"]
    headings = [line[2:] for line in description.splitlines() if line.startswith("# ")]
    assert [topic for topic in TOPICS if topic in headings] == list(TOPICS)
    assert "Authorization: Bearer omf_live_" in description
    assert "RateLimit-Remaining" in description and "Retry-After" in description
    assert "Idempotency-Key" in description and "idempotency_key_reused" in description


def test_the_webhooks_are_listed_by_event_name_with_schema_and_example(document):
    for name, entry in document["webhooks"].items():
        post = entry["post"]
        assert post["summary"] == name
        body = post["requestBody"]["content"]["application/json"]
        assert body["schema"]["properties"] and body["example"]["type"] == name


def test_every_operation_has_a_curl_and_a_python_sample(document):
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 20
    for path, method, operation in operations:
        samples = {sample["label"]: sample["source"] for sample in operation["x-codeSamples"]}
        assert f"curl -X {method.upper()} 'https://omniflow.example.com{path}'" in samples["curl"]
        assert "Authorization: Bearer $OMNIFLOW_API_KEY" in samples["curl"]
        ast.parse(samples["Python"])  # runnable Python, not a sketch
        assert f"requests.{method}(" in samples["Python"]
        if "requestBody" in operation and method != "delete":
            assert "-d '" in samples["curl"] and "json=" in samples["Python"]
