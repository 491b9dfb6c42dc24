"""Send test event: a signed example goes out now to a real receiver, marked as a test in the
body and the log, and what came back is answered at once (API) or shown on the page."""

import pytest
import standardwebhooks

from omniflow.crypto import body_signature
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create, endpoint_secret

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhook-endpoints"


def test_the_api_sends_a_signed_test_event_and_answers_with_the_response(
    api_client, workspace, receiver, allow_private_urls
):
    receiver.behaviour = lambda number, request: (202, {"X-Consumer": "seen"})
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    secret = endpoint_secret(endpoint=endpoint)

    response = api_client.post(
        f"{ENDPOINTS}/{endpoint.id}/test", {"event_type": "automation.triggered"}, format="json"
    )

    assert response.status_code == 200, response.json()
    answer = response.json()
    [request] = receiver.received()
    body = request.json
    assert body["test"] is True and body["type"] == "automation.triggered"
    assert standardwebhooks.Webhook(secret).verify(request.body, request.headers)["test"] is True
    assert request.headers["X-Omniflow-Signature"] == body_signature(
        secret=secret, body=request.body
    )
    assert answer["test"] is True and answer["succeeded"] is True
    assert answer["status_code"] == 202
    assert answer["response_headers"]["X-Consumer"] == "seen"
    assert answer["event_id"] == body["id"] == request.headers["webhook-id"]
    assert answer["duration_ms"] >= 0
    delivery = WebhookDelivery.objects.get(id=answer["delivery_id"])
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 1)
    logged = api_client.get(f"/api/v1/webhook-deliveries/{delivery.id}").json()
    assert logged["test"] is True and logged["attempts"][0]["response_status_code"] == 202


def test_a_failing_test_event_is_reported_and_not_retried(
    api_client, workspace, receiver, allow_private_urls
):
    receiver.behaviour = lambda number, request: (500, {})
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )

    answer = api_client.post(
        f"{ENDPOINTS}/{endpoint.id}/test", {"event_type": "ticket.created"}, format="json"
    ).json()

    assert (answer["succeeded"], answer["status_code"]) == (False, 500)
    assert WebhookDelivery.objects.get(id=answer["delivery_id"]).status == "failed"
    assert len(receiver.received()) == 1


def test_a_test_event_to_a_private_address_is_refused_by_the_ssrf_guard(
    api_client, workspace, receiver, settings
):
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = False

    answer = api_client.post(
        f"{ENDPOINTS}/{endpoint.id}/test", {"event_type": "ticket.created"}, format="json"
    ).json()

    assert answer["succeeded"] is False and answer["status_code"] is None
    assert "not public" in answer["error"]
    assert receiver.received() == []


def test_an_unknown_event_type_is_a_400_problem(api_client, workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://93.184.215.14/", event_types=["ticket.created"]
    )

    response = api_client.post(
        f"{ENDPOINTS}/{endpoint.id}/test", {"event_type": "ticket.deleted"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert "event_type" in response.json()["errors"]


def test_the_page_sends_a_test_event_and_shows_the_response_at_once(
    admin_client, workspace, receiver, allow_private_urls
):
    receiver.behaviour = lambda number, request: (200, {"X-Consumer": "page"})
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )

    response = admin_client.post(
        f"/settings/webhooks/{endpoint.id}/test/",
        {"event_type": "ticket.status_changed"},
        follow=True,
    )

    page = response.content.decode()
    [request] = receiver.received()
    assert request.json["test"] is True and request.json["type"] == "ticket.status_changed"
    assert '<strong id="test-result-status">200</strong>' in page
    assert "X-Consumer: page" in page
    delivery = WebhookDelivery.objects.get()
    log = admin_client.get("/settings/deliveries/").content.decode()
    assert 'class="badge test-event">Test<' in log
    # Shown once: a later view of the page no longer shows it.
    later = admin_client.get(f"/settings/webhooks/{endpoint.id}/").content.decode()
    assert 'id="test-result"' not in later
    assert delivery.event.is_test
