"""Standard Webhooks headers on real deliveries, verified with the maintained consumer libraries.

The PyPI `standardwebhooks` package runs here; the npm one runs in Node (installed by
`scripts/ensure-services.sh` into tests/webhooks/node/node_modules).
"""

import base64
import json
import subprocess
from pathlib import Path

import pytest
import standardwebhooks
from django.db import transaction

from omniflow.crypto import body_signature as sign
from tests.support.webhook_events import emit_committed
from webhooks.engine import dispatch as engine
from webhooks.models import WebhookEvent
from webhooks.replays import delivery_replay
from webhooks.services import endpoint_create, endpoint_secret

pytestmark = pytest.mark.django_db

NODE_DIR = Path(__file__).parent / "node"
# A body a shell `echo` or a careless decode would change: a JSON `\n`, quotes, non-ASCII.
AWKWARD_SUBJECT = 'Line one\nline "two" — café, 日本語, emoji 🚀, back\\slash'


def node_verify(
    *, secret: str, headers: dict[str, str], body: bytes
) -> subprocess.CompletedProcess:
    """Run the npm `standardwebhooks` verifier on one request; return the finished process."""
    request = {
        "secret": secret,
        "headers": headers,
        "body_base64": base64.b64encode(body).decode(),
    }
    return subprocess.run(
        ["node", str(NODE_DIR / "verify-standard.js")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _deliver_awkward_event(workspace, receiver):
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    emit_committed(
        workspace=workspace, event_type="ticket.created", resource_id=7, subject=AWKWARD_SUBJECT
    )
    engine.deliveries_dispatch()
    [request] = receiver.received()
    return endpoint, request


def test_a_delivery_verifies_with_the_python_standardwebhooks_library(
    workspace, receiver, allow_private_urls
):
    endpoint, request = _deliver_awkward_event(workspace, receiver)
    secret = endpoint_secret(endpoint=endpoint)

    payload = standardwebhooks.Webhook(secret).verify(request.body, request.headers)

    assert payload["data"]["subject"] == AWKWARD_SUBJECT
    assert "\\n" in request.body.decode() and "café" in request.body.decode()
    event = WebhookEvent.objects.get()
    assert request.headers["webhook-id"] == event.public_id
    assert request.headers["webhook-timestamp"] == request.headers["X-Omniflow-Timestamp"]
    # Our own header is unchanged: base64 HMAC-SHA256 of the raw body with the secret string.
    assert request.headers["X-Omniflow-Signature"] == sign(secret=secret, body=request.body)


def test_a_delivery_verifies_with_the_npm_standardwebhooks_library(
    workspace, receiver, allow_private_urls
):
    endpoint, request = _deliver_awkward_event(workspace, receiver)
    secret = endpoint_secret(endpoint=endpoint)

    verified = node_verify(secret=secret, headers=request.headers, body=request.body)

    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["data"]["subject"] == AWKWARD_SUBJECT


def test_a_tampered_body_or_another_secret_fails_both_libraries(
    workspace, receiver, allow_private_urls
):
    endpoint, request = _deliver_awkward_event(workspace, receiver)
    secret = endpoint_secret(endpoint=endpoint)
    tampered = request.body.replace(b"caf\xc3\xa9", b"cafe")
    other_secret = "whsec_" + base64.b64encode(b"x" * 32).decode()

    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(tampered, request.headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(other_secret).verify(request.body, request.headers)
    assert node_verify(secret=secret, headers=request.headers, body=tampered).returncode == 1
    assert (
        node_verify(secret=other_secret, headers=request.headers, body=request.body).returncode == 1
    )


def test_webhook_id_is_the_event_id_on_retries_and_replays(workspace, receiver, allow_private_urls):
    receiver.behaviour = lambda number, request: (500 if number == 1 else 200, {})
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    event = emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)
    engine.deliveries_dispatch()
    delivery = event.deliveries.get()
    delivery.next_attempt_at = delivery.created_at
    delivery.save(update_fields=["next_attempt_at"])
    engine.deliveries_dispatch()
    with transaction.atomic():
        delivery_replay(delivery=delivery)
    engine.deliveries_dispatch()

    received = receiver.received()
    assert len(received) == 3
    assert {r.headers["webhook-id"] for r in received} == {event.public_id}
    # Each attempt is a distinct delivery attempt: the delivery id changes on a replay.
    assert received[0].delivery_id == received[1].delivery_id != received[2].delivery_id
