"""Endpoint health with a real Celery worker (and beat), a real receiver and PostgreSQL."""

import time

import pytest

from tests.support.processes import wait_for
from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEndpointHistoryEntry
from webhooks.services import endpoint_create

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _state(endpoint) -> str:
    return WebhookEndpoint.objects.get(id=endpoint.id).state


def _statuses(endpoint) -> set[str]:
    return set(endpoint.deliveries.values_list("status", flat=True))


def test_a_worker_disables_on_410_probes_until_recovery_and_holds_while_paused(
    start_worker, receiver, workspace, admin_membership, api_client, allow_private_urls
):
    # Given an endpoint that answers 410 Gone until it is fixed.
    fixed = {"at": None}
    receiver.behaviour = lambda number, request: (200, {}) if fixed["at"] else (410, {})
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.status_changed"]
    )
    worker = start_worker(OMNIFLOW_WEBHOOK_PROBE_SECONDS="1")

    # When events for two resources are emitted, the first answer disables it at once...
    for n, resource_id in enumerate([1, 2, 1, 1, 2]):
        emit_committed(
            workspace=workspace,
            event_type="ticket.status_changed",
            resource_id=resource_id,
            step=n,
        )
    wait_for(lambda: _state(endpoint) == "disabled", timeout=30)
    # ...and everything is held: nothing failed, nothing dropped.
    wait_for(lambda: _statuses(endpoint) == {"held"}, timeout=10)
    assert endpoint.deliveries.count() == 5
    sent_before_probes = len(receiver.received())
    assert sent_before_probes <= 2  # the heads of the two resources, at most

    # The probe (the oldest held delivery) comes after about a second, the next after two.
    wait_for(lambda: len(receiver.received()) >= sent_before_probes + 1, timeout=15)
    first_probe = receiver.received()[-1]
    oldest = endpoint.deliveries.order_by("id").first()
    assert first_probe.delivery_id == str(oldest.id) and first_probe.status == 410
    fixed["at"] = time.monotonic()
    wait_for(lambda: _state(endpoint) == "active", timeout=20)
    second_probe = next(r for r in receiver.received() if r.status == 200)
    assert second_probe.at - first_probe.at >= 1.8  # the wait doubled
    assert second_probe.delivery_id == str(oldest.id)

    # Then the backlog flows, in order per resource.
    wait_for(lambda: _statuses(endpoint) == {"succeeded"}, timeout=30)
    accepted = [r.json["data"] for r in receiver.received() if r.status == 200]
    for resource_id in (1, 2):
        steps = [data["step"] for data in accepted if data["id"] == resource_id]
        assert steps == sorted(steps) and len(steps) == len(set(steps))
    kinds = WebhookEndpointHistoryEntry.objects.filter(endpoint=endpoint).order_by("id")
    assert [entry.kind for entry in kinds] == ["disabled", "recovered"]
    # The admin was told, through Django's email framework (the console backend by default).
    wait_for(lambda: "Subject: [Omniflow] Webhook endpoint recovered" in worker.log(), timeout=10)
    log = worker.log()
    assert "Subject: [Omniflow] Webhook endpoint disabled" in log
    assert f"To: {admin_membership.user.email}" in log

    # When an admin pauses it through the API, new events are held, not sent...
    received = len(receiver.received())
    assert api_client.post(f"/api/v1/webhook-endpoints/{endpoint.id}/pause").status_code == 200
    for n in range(5, 9):
        emit_committed(
            workspace=workspace, event_type="ticket.status_changed", resource_id=3, step=n
        )
    time.sleep(1.0)  # several sweeps (0.2 s each) and nudges
    assert len(receiver.received()) == received
    assert WebhookDelivery.objects.filter(endpoint=endpoint, status="held").count() == 4

    # ...and on resume they go out, in order.
    assert api_client.post(f"/api/v1/webhook-endpoints/{endpoint.id}/resume").status_code == 200
    wait_for(lambda: _statuses(endpoint) == {"succeeded"}, timeout=30)
    steps = [r.json["data"]["step"] for r in receiver.received()[received:]]
    assert steps == [5, 6, 7, 8]
