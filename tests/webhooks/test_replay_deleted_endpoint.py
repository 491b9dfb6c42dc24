"""A deleted endpoint's deliveries stay in the log but are not replayed: every way of asking
(API and Settings, one delivery or in bulk) is refused with a clear answer, and nothing is
created that could only fail."""

import pytest

from tests.webhooks.pages import make_delivery, make_endpoint
from webhooks.models import WebhookDelivery, WebhookReplayJob
from webhooks.services import endpoint_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def deleted_delivery(workspace):
    endpoint = make_endpoint(workspace)
    delivery = make_delivery(endpoint, status="failed")
    endpoint_delete(endpoint=endpoint)
    return delivery


def test_the_api_refuses_to_replay_a_deleted_endpoints_delivery(api_client, deleted_delivery):
    response = api_client.post(f"/api/v1/webhook-deliveries/{deleted_delivery.id}/replay")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "endpoint_deleted"
    assert "deleted" in response.json()["detail"]
    assert not WebhookDelivery.objects.filter(replay_of=deleted_delivery).exists()


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_api_refuses_a_bulk_replay_naming_a_deleted_endpoint(
    api_client, deleted_delivery, dry_run
):
    response = api_client.post(
        "/api/v1/webhook-deliveries/replay",
        {"endpoint": deleted_delivery.endpoint_id, "dry_run": dry_run},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["type"] == "endpoint_deleted"
    assert not WebhookReplayJob.objects.exists()


def test_a_bulk_replay_of_everything_leaves_deleted_endpoints_out(api_client, deleted_delivery):
    response = api_client.post("/api/v1/webhook-deliveries/replay", {}, format="json")

    assert response.status_code == 202 and response.json()["total"] == 0


def test_settings_refuses_to_replay_a_deleted_endpoints_delivery(admin_client, deleted_delivery):
    response = admin_client.post(f"/settings/deliveries/{deleted_delivery.id}/replay/", follow=True)

    assert "Not replayed." in response.content.decode()
    assert "was deleted" in response.content.decode()
    assert not WebhookDelivery.objects.filter(replay_of=deleted_delivery).exists()
