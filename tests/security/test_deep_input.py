"""Deep or out-of-range input is a clear error, never a 500: a public website form whose field
name nests 3,000 levels, and the Settings tool form with an input schema of 5,000 "[" or 1e999
(both answered 500 in the review)."""

from urllib.parse import urlencode

import pytest

from agenttools.models import AgentTool
from inbound.models import InboundReceipt
from tests.support.inbound_triggers import make_contact_trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact_form_trigger(workspace, admin_membership):
    return make_contact_trigger(workspace, admin_membership.user)


def test_a_form_field_name_nesting_3000_levels_is_a_400(client, contact_form_trigger):
    response = client.post(
        contact_form_trigger.receive_path,
        urlencode({".".join(["x"] * 3000): "deep", "email": "a@example.com"}),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert "nests deeper than 32" in response.content.decode()
    assert InboundReceipt.objects.get().status == "rejected"


def test_a_form_field_nesting_a_few_levels_still_works(client, contact_form_trigger):
    response = client.post(
        contact_form_trigger.receive_path,
        urlencode({"profile.name": "Ada", "email": "a@example.com"}),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code in (200, 303)


def _tool_form(schema: str) -> dict:
    return {
        "name": "lookup_order",
        "input_schema": schema,
        "method": "GET",
        "url_template": "https://api.example.com/orders",
        "auth": "none",
        "timeout_seconds": 5,
        "max_response_bytes": 16384,
        "rate_limit": "60/m",
        "max_concurrency": 4,
    }


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ("[" * 5000, "nested too deeply"),
        ('{"type": "object", "maximum": 1e999}', "out of range"),
        ('{"type": "object", "x": NaN}', "NaN"),
        ('{"type": "object", "x": ' + "[" * 200 + "]" * 200 + "}", "deeper than 32"),
    ],
)
def test_the_tool_form_explains_a_deep_or_out_of_range_schema(admin_client, schema, reason):
    response = admin_client.post("/settings/agent-tools/new/", _tool_form(schema))

    assert response.status_code == 200
    assert reason in " ".join(response.context["form"].errors["input_schema"])
    assert not AgentTool.objects.exists()
