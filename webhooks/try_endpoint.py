"""Try an endpoint: send a signed example of an event type now and show what came back.

The example goes through the same signing, transport and SSRF guard as real traffic, and is
kept in the deliveries log like any delivery, marked as a test (the event's `is_test`, and
`"test": true` in the body). It is sent once, never retried: a person is waiting on it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from omniflow.crypto import decrypt_secret

from .engine import transport
from .engine.attempts import signed_request
from .events import CATALOGUE
from .models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint, WebhookEvent
from .payloads import EXAMPLES, event_body

Status = WebhookDelivery.Status


@dataclass(frozen=True)
class TestSend:
    delivery: WebhookDelivery
    attempt: WebhookDeliveryAttempt


def endpoint_send_test_event(*, endpoint: WebhookEndpoint, event_type: str) -> TestSend:
    """Send a signed example `event_type` event to `endpoint` now; return its logged delivery.

    Raises `ValidationError` for an unknown event type and `SecretUnavailable` when the
    endpoint's secret cannot be decrypted.
    """
    if event_type not in CATALOGUE:
        raise ValidationError({"event_type": [f"Unknown event type '{event_type}'."]})
    current = decrypt_secret(token=endpoint.secret_encrypted)
    previous = ""
    now = timezone.now()
    if current and endpoint.previous_secret_valid_at(now):
        previous = decrypt_secret(token=endpoint.previous_secret_encrypted)
    delivery = _test_delivery_create(endpoint=endpoint, event_type=event_type, now=now)
    request = signed_request(
        delivery_id=delivery.id,
        url=endpoint.url,
        event_type=event_type,
        event_id=delivery.event.public_id,
        body=delivery.event.body.encode(),
        current=current,
        previous=previous,
    )
    result = transport.send_one(request=request)
    return _test_outcome_record(delivery=delivery, request=request, result=result)


def _test_delivery_create(*, endpoint: WebhookEndpoint, event_type: str, now) -> WebhookDelivery:
    data, previous_attributes = EXAMPLES[event_type]
    entry = CATALOGUE[event_type]
    with transaction.atomic():
        event = WebhookEvent(
            workspace=endpoint.workspace,
            event_type=event_type,
            resource_type=entry.resource_type,
            data=data,
            previous_attributes=previous_attributes,
            is_test=True,
            created_at=now,
        )
        # Its own resource, so it neither waits behind real deliveries nor holds them up.
        event.resource_id = f"test-{event.public_id}"
        event.body = event_body(
            public_id=event.public_id,
            event_type=event_type,
            created_at=now,
            workspace_slug=endpoint.workspace.slug,
            data=data,
            previous_attributes=previous_attributes,
            test=True,
        )
        event.save()
        # Leased while it is sent, so no worker claims it meanwhile.
        lease = timedelta(seconds=float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS) + 60)
        return WebhookDelivery.objects.create(
            event=event,
            endpoint=endpoint,
            workspace=endpoint.workspace,
            event_type=event_type,
            resource_type=event.resource_type,
            resource_id=event.resource_id,
            next_attempt_at=now,
            locked_until=now + lease,
            created_at=now,
        )


def _test_outcome_record(
    *, delivery: WebhookDelivery, request: transport.Request, result: transport.Result
) -> TestSend:
    now = timezone.now()
    code = result.status_code
    succeeded = code is not None and 200 <= code < 300
    error = "" if succeeded else (result.error or f"{code} from the endpoint.")
    with transaction.atomic():
        attempt = WebhookDeliveryAttempt.objects.create(
            delivery=delivery,
            request_headers=request.headers,
            request_body=delivery.event.body,
            response_status_code=code,
            response_headers=result.headers,
            response_body=result.body,
            duration_ms=result.duration_ms,
            error=error,
            created_at=now,
        )
        delivery.status = Status.SUCCEEDED if succeeded else Status.FAILED
        delivery.attempt_count = 1
        delivery.first_attempted_at = now
        delivery.locked_until = None
        delivery.last_status_code = code
        delivery.last_error = error
        delivery.succeeded_at = now if succeeded else None
        delivery.failed_at = None if succeeded else now
        delivery.save()
    return TestSend(delivery=delivery, attempt=attempt)
