"""Agent tools on the embedded default (`make run`): SQLite and the local-memory cache, where
the rate counter (omniflow.ratelimits) is in local memory and the concurrency limit is per
process."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json
import django
django.setup()
from django.core.management import call_command
from django.db import connection
assert connection.vendor == "sqlite"
call_command("migrate", verbosity=0)
from agenttools import limits
from agenttools.services import agent_tool_call, agent_tools_set, tool_create
from inbox.models import Agent, Conversation
from inbox.services import agent_publish
from tests.support.customer_api import CustomerApi
from workspaces.models import Workspace

api = CustomerApi()
workspace = Workspace.objects.create(name="Embedded", slug="embedded")
tool = tool_create(
    workspace=workspace, created_by=None, name="lookup_order", rate_limit="2/m", max_concurrency=1,
    input_schema={"type": "object", "required": ["order_id"],
                  "properties": {"order_id": {"type": "string"}}},
    url_template=api.base_url + "/orders/{order_id}",
)
agent = Agent.objects.create(workspace=workspace, name="Shop assistant")
agent_tools_set(agent=agent, tools=[tool])
agent_publish(agent=agent, actor="embedded")
agent.refresh_from_db()
conversation = Conversation.objects.create(workspace=workspace, subject="Where is my order?")
def call():
    outcome = agent_tool_call(agent=agent, tool_name="lookup_order",
                              arguments={"order_id": "A-1"}, conversation=conversation,
                              actor="embedded")
    return outcome.result["error"]["type"] if outcome.result["error"] else "ok"

outcomes = [call()]
with limits.concurrency_slot(tool_id=tool.pk, limit=1, hold_seconds=5):
    outcomes.append(call())  # the one slot is held
outcomes.append(call())  # the third call of the minute
print(json.dumps({"outcomes": outcomes, "received": len(api.received())}))
api.close()
"""


def test_tool_calls_work_and_are_limited_without_redis(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'omniflow.sqlite3'}",
        "REDIS_URL": "",
        "OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "DJANGO_SETTINGS_MODULE": "omniflow.settings",
        "PYTHONPATH": str(ROOT),
    }

    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"outcomes": ["ok", "concurrency_limited", "rate_limited"], "received": 1}
