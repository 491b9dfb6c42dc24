"""Attempts: the signed request a claimed delivery sends, and the record of what came back."""

import time
from datetime import datetime
from typing import Any

from omniflow.crypto import body_signature as sign
from omniflow.crypto import decrypt_secret

from . import transport
from .claims import Claim

USER_AGENT = "Omniflow-Webhooks/1.0"


def request_build(*, delivery: Claim, secrets: dict[int, str]) -> transport.Request:
    """Return the signed request of `delivery`.

    `secrets` caches each endpoint's decrypted secret for the batch (a batch often holds
    hundreds of deliveries to one endpoint). Raises `SecretUnavailable`.
    """
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Omniflow-Event": delivery.event_type,
        "X-Omniflow-Delivery": str(delivery.id),
        "X-Omniflow-Timestamp": str(int(time.time())),
    }
    endpoint_id = delivery.endpoint_id
    if endpoint_id not in secrets:
        secrets[endpoint_id] = decrypt_secret(token=delivery.secret_encrypted)
    if secrets[endpoint_id]:
        headers["X-Omniflow-Signature"] = sign(secret=secrets[endpoint_id], body=body)
    return transport.Request(delivery_id=delivery.id, url=delivery.url, headers=headers, body=body)


def attempt_record(
    *, request: transport.Request, result: transport.Result, error: str, now: datetime
) -> dict[str, Any]:
    """Return the attempt row of one request, keyed by WebhookDeliveryAttempt field.

    It has no request body: that is the event's, which the write copies in the database.
    """
    return dict(
        delivery_id=request.delivery_id,
        request_headers=request.headers,
        response_status_code=result.status_code,
        response_headers=result.headers,
        response_body=result.body,
        duration_ms=result.duration_ms,
        error=error,
        created_at=now,
    )
