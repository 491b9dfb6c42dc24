"""Attempts: the signed request a claimed delivery sends, and the record of what came back."""

import time
from datetime import datetime
from typing import Any

from omniflow.crypto import body_signature as sign
from omniflow.crypto import decrypt_secret

from ..signing import standard_signature
from . import transport
from .claims import Claim

USER_AGENT = "Omniflow-Webhooks/1.0"


def _signing_secrets(*, delivery: Claim, now: datetime) -> tuple[str, str]:
    """Return the endpoint's (current, previous) secrets; previous is '' outside its overlap."""
    current = decrypt_secret(token=delivery.secret_encrypted)
    previous = ""
    expires_at = delivery.previous_secret_expires_at
    if current and delivery.previous_secret_encrypted and expires_at and now < expires_at:
        previous = decrypt_secret(token=delivery.previous_secret_encrypted)
    return current, previous


def signed_headers(
    *, event_id: str, body: bytes, timestamp: int, current: str, previous: str = ""
) -> dict[str, str]:
    """Return the signature headers of a request: ours over the body, the standard one over
    `{event_id}.{timestamp}.{body}`; during a rotation's overlap, one more of each with the
    previous secret. Empty when the endpoint has no secret (the request goes unsigned)."""
    if not current:
        return {}
    headers = {"X-Omniflow-Signature": sign(secret=current, body=body)}
    standard = [
        standard_signature(secret=current, message_id=event_id, timestamp=timestamp, body=body)
    ]
    if previous:
        # The new secret's signature stays in X-Omniflow-Signature, so a consumer already on
        # the new secret needs no change; one still on the old secret reads this header.
        headers["X-Omniflow-Signature-Previous"] = sign(secret=previous, body=body)
        standard.append(
            standard_signature(secret=previous, message_id=event_id, timestamp=timestamp, body=body)
        )
    headers["webhook-signature"] = " ".join(standard)
    return headers


def request_build(
    *, delivery: Claim, secrets: dict[int, tuple[str, str]], now: datetime
) -> transport.Request:
    """Return the signed request of `delivery`.

    `secrets` caches each endpoint's decrypted secrets for the batch (a batch often holds
    hundreds of deliveries to one endpoint). Raises `SecretUnavailable`.
    """
    endpoint_id = delivery.endpoint_id
    if endpoint_id not in secrets:
        secrets[endpoint_id] = _signing_secrets(delivery=delivery, now=now)
    current, previous = secrets[endpoint_id]
    return signed_request(
        delivery_id=delivery.id,
        url=delivery.url,
        event_type=delivery.event_type,
        event_id=delivery.event_public_id,
        body=delivery.body.encode(),
        current=current,
        previous=previous,
    )


def signed_request(
    *,
    delivery_id: int,
    url: str,
    event_type: str,
    event_id: str,
    body: bytes,
    current: str,
    previous: str = "",
) -> transport.Request:
    """Return the request of one delivery with every header, signed with the given secrets."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Omniflow-Event": event_type,
        "X-Omniflow-Delivery": str(delivery_id),
        "X-Omniflow-Timestamp": str(timestamp),
        # Standard Webhooks: the event id is the same on every retry and replay of the event,
        # so consumers dedupe on it.
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
    }
    headers.update(
        signed_headers(
            event_id=event_id, body=body, timestamp=timestamp, current=current, previous=previous
        )
    )
    return transport.Request(delivery_id=delivery_id, url=url, headers=headers, body=body)


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
