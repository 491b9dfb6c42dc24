"""Schemathesis over the OpenAPI schema, in-process against the WSGI app, with every check:
each operation (valid and invalid input) and stateful sequences along the links it infers
(create, then read, update, delete what was created). The server may not answer 5xx, answer
anything undocumented or shaped otherwise, accept what the document forbids, or refuse what it
allows. A rule no JSON Schema states answers 422, which schemathesis.toml (read here too) counts
as the refusal of valid input it is. `FUZZ_EXAMPLES` bounds the examples per operation (`make
fuzz` runs many more, with random seeds)."""

import os
import re
from unittest.mock import ANY

import pytest
import requests
import schemathesis
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from omniflow.wsgi import application
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    MembershipFactory,
    RoutingRuleFactory,
    ScorecardFactory,
    TicketFactory,
    TrainingAttemptFactory,
    make_api_key,
)
from tests.http.gunicorn import running_gunicorn
from webhooks.services import endpoint_create

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"

# Run last: they can revoke the very key the fuzzer uses.
KEY_ENDING = re.compile(r"/api-keys/\{id\}/(revoke|roll)$")


@pytest.fixture
def api_schema(wsgi_in_test_transaction, settings):
    # Requests without a key are counted per client IP: with a real limit the "no key" checks
    # would see 429, not the 401 they test.
    settings.OMNIFLOW_API_UNAUTHENTICATED_RATE = "100000/m"
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema", application)
    # PostgreSQL cannot store NUL characters: every text input refuses them, a rule stated in
    # the README rather than as a pattern on every string.
    schema.config.generation.update(allow_x00=False)
    return schema


@pytest.fixture
def fuzz_headers(workspace):
    """A full-access key with a rate no fuzzing reaches."""
    key = make_api_key(workspace, tier="custom", custom_rate="100000/m")[1]
    return {"Authorization": f"Bearer {key}"}


def _validate(case, response, headers) -> None:
    """Run every check; a 400's messages are added to its failure."""
    try:
        case.validate_response(response, headers=headers)
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - said, then re-raised
        if response.status_code == 400:
            failure.add_note("Answered: " + response.text[:600])
        raise


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
    endpoint_create(
        workspace=workspace, url="https://93.184.215.14/hooks", event_types=["ticket.created"]
    )


def test_the_schema_documents_every_endpoint(client, db):
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
        "/api/v1/webhook-event-types",
        "/api/v1/webhook-endpoints",
        "/api/v1/webhook-endpoints/{endpoint_id}",
        "/api/v1/webhook-endpoints/{endpoint_id}/secret",
        "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
        "/api/v1/webhook-deliveries",
        "/api/v1/webhook-deliveries/{delivery_id}",
        "/api/v1/webhook-deliveries/{delivery_id}/replay",
        "/api/v1/webhook-deliveries/replay",
    } <= set(paths)
    assert set(paths["/api/v1/webhook-endpoints/{endpoint_id}/secret"]) == {"post"}
    create = paths["/api/v1/tickets"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    problem = create["responses"]["413"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}


@pytest.mark.django_db
def test_every_api_operation_documents_the_problem_answers():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operations = [
        operation
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/")
        for operation in methods.values()
    ]
    assert operations
    for operation in operations:
        unauthorized = operation["responses"]["401"]
        assert "application/problem+json" in unauthorized["content"]
        assert unauthorized["description"].startswith("Missing, invalid")


def _hypothesis_settings(examples: int, **extra) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=not RANDOM,
        database=None,
        **extra,
    )


def test_every_operation_passes_every_check(api_schema, fuzz_headers, seeded):
    """Valid and invalid requests to every operation; each failure is reported with its
    request."""
    failures: list[str] = []
    operations = sorted(
        (result.ok() for result in api_schema.get_all_operations()),
        key=lambda operation: bool(KEY_ENDING.search(operation.path)),
    )
    assert len(operations) >= 70

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @_hypothesis_settings(EXAMPLES)
            def call(case):
                response = case.call(headers=fuzz_headers)
                _validate(case, response, fuzz_headers)

            try:
                call()
            except Unsatisfiable:
                continue  # nothing to make invalid: an operation without parameters or body
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - collect all
                notes = " ".join(getattr(failure, "__notes__", []))
                failures.append(f"{operation.label} ({mode.value}): {failure} {notes}")

    assert not failures, "\n\n".join(failures)


def test_stateful_sequences_pass_every_check(api_schema, fuzz_headers, seeded):
    """Sequences along the links schemathesis infers: what one answer created, the next
    operation reads, changes or deletes."""
    machine = api_schema.exclude(path_regex=KEY_ENDING.pattern).as_state_machine()

    class Sequences(machine):
        def get_call_kwargs(self, case):
            return {"headers": fuzz_headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            _validate(case, response, fuzz_headers)

    Sequences.run(settings=_hypothesis_settings(max(EXAMPLES // 2, 3), stateful_step_count=6))


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))

    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3")


def test_options_answers_every_path_without_a_server_error(api_client):
    """OPTIONS gives the view's name and media types on every path (the document describes
    the inputs): DRF's default metadata needed a serializer_class these views lack (500)."""
    paths = api_client.get("/api/v1/schema?format=json").json()["paths"]

    answers = {path: api_client.options(re.sub(r"\{[^}]+\}", "1", path)) for path in paths}

    assert {path: r.status_code for path, r in answers.items() if r.status_code >= 500} == {}
    tickets = answers["/api/v1/tickets"]
    assert tickets.status_code == 200 and tickets.json()["parses"] == ["application/json"]
    assert "actions" not in tickets.json()


@pytest.mark.django_db
def test_a_url_too_long_for_the_web_server_is_a_documented_414(tmp_path):
    """gunicorn refuses a request line over 4094 bytes itself (414, HTML): the document says so on
    every operation, promising no problem body there (schemathesis found it undocumented)."""
    with running_gunicorn(tmp_path / "gunicorn.log") as base:
        schema = requests.get(f"{base}/api/v1/schema?format=json", timeout=5).json()
        answer = requests.get(f"{base}/api/v1/webhook-endpoints?limit={'9' * 5000}", timeout=5)

    assert answer.status_code == 414
    operations = [op for methods in schema["paths"].values() for op in methods.values()]
    assert all(op["responses"]["414"] == {"description": ANY} for op in operations)


URLS = (
    "https://93.184.215.14/hooks",
    "HTTPS://93.184.215.14:8443?a=1",
    "http://93.184.215.14/",
    "https://",
    "https://user:pass@93.184.215.14/",
    "https://@93.184.215.14/",
    "https://93.184.215.14:99999/",
    "https://93.184.215.14:00080/",
    "https://93.184.215.14:/",
    "http://[::1]:8080/",
    "http://[::ffff:93.184.215.14]/",
    "https://[0]/",
    "HTTP://[0]?",
    "https://a[::1]/",
    "https://[::1]x/",
    "https://0.a",
    "https://example.com",
    "https://example.com.",
    "https://-a.example.com/",
    "https://a_b.example.com/",
    "https://xn--bcher-kva.example/",
    "https://bücher.example/",
    "https://localhost:8000/",
    "https://256.1.1.1/",
    "https://example.com/a b",
    " https://example.com/ ",
    "https://example.com/\u00e9",
    "https://example.com/{id}",
)


def _url_admitted(api_client, kind: str, url: str) -> bool:
    """Tell whether the API takes `url` as a webhook endpoint's or a tool's URL."""
    if kind == "endpoint":
        body, path, field = (
            {"url": url, "event_types": ["ticket.created"]},
            "webhook-endpoints",
            "url",
        )
    else:
        name = f"t{abs(hash(url))}"  # a name of its own: a taken one is a 400 of its own
        body = {"name": name, "input_schema": {"type": "object"}, "url_template": url}
        path, field = "agent-tools", "url_template"
    response = api_client.post(f"/api/v1/{path}", body, format="json")
    return response.status_code != 400 or field not in response.json().get("errors", {})


@pytest.mark.parametrize("private_allowed", [False, True])
def test_destination_urls_state_what_the_server_admits(api_client, settings, private_allowed):
    """A webhook or tool URL the server refuses for its text is refused by the schema too
    (schemathesis sent `http://…`, `https://0.a` to an endpoint and `HTTP://[0]?` to a tool as
    schema-valid): https, and http where private URLs are; an endpoint's host as Django's
    URLValidator admits it; a tool's URL characters and a bracketed host that is IPv6."""
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = private_allowed
    schemas = api_client.get("/api/v1/schema?format=json").json()["components"]["schemas"]
    endpoint_patterns = {
        schemas["EndpointInput"]["properties"]["url"]["pattern"],
        schemas["PatchedEndpointInput"]["properties"]["url"]["pattern"],
    }
    tool_pattern = schemas["ToolInput"]["properties"]["url_template"]["pattern"]

    assert len(endpoint_patterns) == 1
    (endpoint_pattern,) = endpoint_patterns
    for url in URLS:
        # A host that resolves to a private address is the 422 of a rule, not the pattern's.
        with override_settings(OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS=True):
            http_admitted = [_url_admitted(api_client, kind, url) for kind in ("endpoint", "tool")]
        https_only = private_allowed or not url.lower().lstrip().startswith("http:")
        assert bool(re.search(endpoint_pattern, url)) == (http_admitted[0] and https_only), url
        assert bool(re.search(tool_pattern, url)) == (http_admitted[1] and https_only), url


@pytest.mark.parametrize("name", ["\x1f", " \x85 ", "\u3000", "a"])
def test_a_stripped_string_states_that_only_spaces_are_blank(api_client, name):
    """DRF strips a CharField before refusing it blank, with Python's whitespace (which has
    \\x1c-\\x1f and \\x85, unlike JSON Schema's \\s): the pattern says the same (schemathesis
    sent `"name": "\\x1f"` as valid)."""
    document = api_client.get("/api/v1/schema?format=json").json()
    name_schema = document["components"]["schemas"]["AgentInput"]["properties"]["name"]

    response = api_client.post("/api/v1/agents", {"name": name}, format="json")

    assert bool(re.search(name_schema["pattern"], name)) == (response.status_code == 201)
