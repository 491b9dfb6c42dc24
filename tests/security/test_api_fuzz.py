"""Schemathesis over the API with stateful links: sequences of calls (create, then read,
change, reveal, replay what was created) with generated input; any 5xx fails.

Links come from schemathesis' dependency analysis of the schema (a POST's response `id` feeds
the `{id}` of the operations on that resource). The stateless run over every operation is
tests/api/test_schema_fuzz.py; `make fuzz` runs both with many more examples.
"""

import os

import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from omniflow.wsgi import application
from tests.api.test_schema_fuzz import seeded  # noqa: F401 - fixture

STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "10"))
SCENARIOS = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def test_no_sequence_of_api_calls_gets_a_server_error(db, api_key, seeded):  # noqa: F811
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema", application)
        machine = schema.as_state_machine()
        headers = {"Authorization": f"Bearer {api_key[1]}"}
        linked = schema.operations_with_incoming_links()
        calls: list[tuple[str, int]] = []

        class Scenario(machine):
            def get_call_kwargs(self, case):
                return {"headers": headers}

            def validate_response(self, response, case, **kwargs):
                calls.append((case.operation.label, response.status_code))
                case.validate_response(response, checks=[not_a_server_error])

        Scenario.run(
            settings=settings(
                max_examples=SCENARIOS,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=os.environ.get("FUZZ_RANDOM") != "1",
                database=None,
            )
        )
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)

    # The links that make the run stateful: created objects are read, changed and acted on.
    assert {
        "GET /api/v1/tickets/{id}",
        "PATCH /api/v1/tickets/{id}",
        "POST /api/v1/webhook-endpoints/{endpoint_id}/secret",
        "PATCH /api/v1/inbound-triggers/{id}",
    } <= linked, sorted(linked)
    reached = {label for label, status in calls if label in linked and status < 300}
    assert reached, f"no linked operation reached an object in {len(calls)} calls"
