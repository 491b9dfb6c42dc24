"""Tool calls cannot starve the web tier: each is bounded well under the web worker's timeout,
one workspace's calls in flight are bounded, and the web serves requests from threads (the
review: three concurrent "Try it" calls of a slow tool made `/healthz` wait 9.9 s).

`bench/tool_calls.py` measures `/healthz` during 20 concurrent slow calls."""

import importlib.util
from pathlib import Path

import pytest

from agenttools import limits
from agenttools.models import MAX_TIMEOUT_SECONDS, AgentTool
from agenttools.services import tool_try
from tests.factories import WorkspaceFactory
from tests.support.agent_tools import make_tool
from tests.support.customer_api import CustomerApi

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_urls_allowed")]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def customer_api():
    api = CustomerApi(slow_seconds=3.0)
    yield api
    api.close()


def _gunicorn_config():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_web_serves_from_threads_and_a_call_stays_well_under_its_timeout():
    config = _gunicorn_config()

    assert config.worker_class == "gthread" and config.threads >= 4
    assert config.timeout >= MAX_TIMEOUT_SECONDS * 3


def test_a_timeout_saved_before_the_bound_is_cut_to_it(workspace, customer_api, monkeypatch):
    tool = make_tool(workspace, customer_api, url_template=f"{customer_api.base_url}/slow")
    # Saved by an older version, when 30 s were allowed.
    AgentTool.objects.filter(pk=tool.pk).update(timeout_seconds=30)
    tool.refresh_from_db()
    monkeypatch.setattr("agenttools.services.calls.MAX_TIMEOUT_SECONDS", 0.3)

    outcome = tool_try(tool=tool, arguments={"order_id": "A-1"}, actor="test")

    assert outcome.result["error"] == {"type": "timeout", "message": "Timed out after 0.3 s."}


def test_a_workspace_has_a_bounded_number_of_calls_in_flight(workspace, customer_api, settings):
    settings.OMNIFLOW_TOOL_CALLS_PER_WORKSPACE = 2
    tool = make_tool(workspace, customer_api)
    other_workspace = WorkspaceFactory()
    other_tool = make_tool(other_workspace, customer_api)

    with (
        limits.workspace_slot(workspace_id=workspace.pk, limit=2, hold_seconds=5),
        limits.workspace_slot(workspace_id=workspace.pk, limit=2, hold_seconds=5),
    ):
        refused = tool_try(tool=tool, arguments={"order_id": "A-1"}, actor="test")
        other = tool_try(tool=other_tool, arguments={"order_id": "A-1"}, actor="test")
    after = tool_try(tool=tool, arguments={"order_id": "A-1"}, actor="test")

    assert refused.result["error"]["type"] == "concurrency_limited"
    assert "2 tool calls of this workspace" in refused.result["error"]["message"]
    assert other.result["ok"] and after.result["ok"]
    assert len(customer_api.received()) == 2
