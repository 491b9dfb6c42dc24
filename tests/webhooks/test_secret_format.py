"""Endpoint secrets are in the form consumers' libraries take: `whsec_` + base64 of 24-64
bytes. A chosen secret in another form is refused (API and Settings); one set before the rule
keeps signing and is flagged "rotate"."""

import base64

import pytest
import standardwebhooks

from omniflow.crypto import body_signature
from tests.support.webhook_events import emit_committed
from webhooks.engine import dispatch as engine
from webhooks.models import WebhookEndpoint
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhook-endpoints"
CHOSEN = "whsec_" + base64.b64encode(b"a secret of thirty-two bytes....").decode()


@pytest.mark.parametrize(
    "secret",
    [
        "my-shared-secret",
        "whsec_my-shared-secret-that-is-long-enough",
        "whsec_" + base64.b64encode(b"23 bytes is too short!!").decode(),
        "whsec_" + base64.b64encode(b"x" * 65).decode(),
        "whsec_" + base64.urlsafe_b64encode(b"\xff" * 32).decode(),  # not standard base64
    ],
)
def test_the_api_refuses_a_chosen_secret_libraries_cannot_use(api_client, secret):
    response = api_client.post(
        ENDPOINTS,
        {"url": "https://93.184.215.14/h", "event_types": ["ticket.created"], "secret": secret},
        format="json",
    )

    assert response.status_code == 400
    assert "whsec_" in response.json()["errors"]["secret"][0]
    assert not WebhookEndpoint.objects.exists()


def test_a_chosen_standard_secret_signs_what_standardwebhooks_verifies(
    api_client, workspace, receiver, allow_private_urls
):
    created = api_client.post(
        ENDPOINTS,
        {"url": receiver.url(), "event_types": ["ticket.created"], "secret": CHOSEN},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["secret_rotation_advised"] is False

    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=3)
    engine.deliveries_dispatch()
    [request] = receiver.received()

    assert standardwebhooks.Webhook(CHOSEN).verify(request.body, request.headers)["type"] == (
        "ticket.created"
    )


def test_a_secret_set_before_the_rule_keeps_signing_and_is_flagged_rotate(
    api_client, admin_client, workspace, receiver, allow_private_urls
):
    legacy = endpoint_create(
        workspace=workspace,
        url=receiver.url(),
        event_types=["ticket.created"],
        secret="my-shared-secret",
    )

    shown = api_client.get(f"{ENDPOINTS}/{legacy.id}").json()
    page = admin_client.get(f"/settings/webhooks/{legacy.id}/").content.decode()
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=4)
    engine.deliveries_dispatch()
    [request] = receiver.received()

    assert shown["secret_rotation_advised"] is True
    assert 'id="secret-rotate-advised"' in page and "Rotate this secret" in page
    assert request.headers["X-Omniflow-Signature"] == body_signature(
        secret="my-shared-secret", body=request.body
    )
    api_client.post(f"{ENDPOINTS}/{legacy.id}/rotate-secret", {}, format="json")
    assert api_client.get(f"{ENDPOINTS}/{legacy.id}").json()["secret_rotation_advised"] is False
