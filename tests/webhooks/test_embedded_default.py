"""The engine on the embedded default (`make run`): SQLite, no SKIP LOCKED, ORM writes."""

import json
import os
import subprocess
import sys

from tests.support.checkout import ROOT

SCRIPT = r"""
import json, random, time
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
assert connection.vendor == "sqlite"
call_command("migrate", verbosity=0)
from tests.support.receiver import Receiver
from webhooks.engine import dispatch as delivery
from webhooks.engine import transport
from webhooks.events import emit
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create
from workspaces.models import Workspace

chance = random.Random(3)
receiver = Receiver()
receiver.behaviour = lambda n, r: (500, {}) if chance.random() < 0.3 else (200, {})
workspace = Workspace.objects.create(name="Embedded", slug="embedded")
endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.status_changed"])
for sequence in range(3):
    with transaction.atomic():
        for resource in range(10):
            emit(workspace=workspace, event_type="ticket.status_changed", resource_id=resource,
                 data={"id": resource, "sequence": sequence})
deadline = time.monotonic() + 60
while WebhookDelivery.objects.filter(status="succeeded").count() < 30:
    assert time.monotonic() < deadline, "not delivered"
    delivery.deliveries_dispatch()
    time.sleep(0.02)
sequences = {}
for request in receiver.received():
    sequences.setdefault(request.json["data"]["id"], []).append(request.json["data"]["sequence"])
failures = sum(r.status == 500 for r in receiver.received())
print(json.dumps({"sequences": sequences, "failures": failures}))
transport.close()
receiver.close()
"""


def test_sqlite_delivers_everything_in_order_per_resource(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'omniflow.sqlite3'}",
        "REDIS_URL": "",
        "OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS": "0.01",
        "DJANGO_SETTINGS_MODULE": "omniflow.settings",
        "PYTHONPATH": str(ROOT),
    }

    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["failures"] > 0
    assert len(result["sequences"]) == 10
    for sequences in result["sequences"].values():
        assert sequences == sorted(sequences)
        assert sorted(set(sequences)) == [0, 1, 2]
