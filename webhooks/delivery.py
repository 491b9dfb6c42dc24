"""The delivery engine: claim what is due, send it, record what happened, schedule retries.

Rows are the truth: the due time lives in `next_attempt_at` and a claim is a lease in
`locked_until`, so any worker on any machine can take over a crashed worker's work.
"""

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from . import transport
from .models import UNFINISHED_STATUSES, WebhookDelivery, WebhookDeliveryAttempt
from .signing import SecretUnavailable, decrypt_secret, sign

logger = logging.getLogger(__name__)

USER_AGENT = "Omniflow-Webhooks/1.0"
BATCH_SIZE = 250
MAX_BACKOFF_SECONDS = 3600
JITTER = 0.2
Status = WebhookDelivery.Status

_SQL_TYPES = {
    "id": "bigint",
    "status": "varchar",
    "attempt_count": "integer",
    "first_attempted_at": "timestamptz",
    "next_attempt_at": "timestamptz",
    "locked_until": "timestamptz",
    "last_status_code": "integer",
    "last_error": "text",
    "succeeded_at": "timestamptz",
    "failed_at": "timestamptz",
}
_OUTCOME_FIELDS = [
    "status",
    "attempt_count",
    "first_attempted_at",
    "next_attempt_at",
    "locked_until",
    "last_status_code",
    "last_error",
    "succeeded_at",
    "failed_at",
]


def _due(now: datetime):
    older_unfinished = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        resource_type=OuterRef("resource_type"),
        resource_id=OuterRef("resource_id"),
        status__in=UNFINISHED_STATUSES,
        id__lt=OuterRef("id"),
    )
    return (
        WebhookDelivery.objects.filter(status__in=UNFINISHED_STATUSES, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        # Only the oldest unfinished delivery of each (endpoint, resource) may go out, so one
        # resource's events arrive in order while other resources go on without waiting.
        .filter(~Exists(older_unfinished))
    )


def deliveries_claim(*, limit: int = BATCH_SIZE) -> list[WebhookDelivery]:
    """Lease up to `limit` due deliveries to this worker and return them."""
    now = timezone.now()
    lease = now + timedelta(
        seconds=float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS)
        + float(settings.OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS)
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The claim must walk the due index in order and stop after `limit` heads. Right
            # after a burst the row estimates are stale, and the planner then prefers to fetch
            # and sort every due row on each claim: quadratic in the size of the backlog.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off")
        # SKIP LOCKED (PostgreSQL) lets several workers claim side by side; SQLite ignores
        # select_for_update and serialises writers anyway (the embedded default runs one worker).
        deliveries = list(
            _due(now)
            .select_related("event", "endpoint")
            # The body is all that is sent; the event's data stays in the database.
            .defer("event__data", "event__previous_attributes")
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        if deliveries:
            WebhookDelivery.objects.filter(id__in=[d.id for d in deliveries]).update(
                locked_until=lease
            )
    return deliveries


def _request_for(delivery: WebhookDelivery, secrets: dict[int, str]) -> transport.Request:
    body = delivery.event.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Omniflow-Event": delivery.event_type,
        "X-Omniflow-Delivery": str(delivery.id),
        "X-Omniflow-Timestamp": str(int(time.time())),
    }
    endpoint_id = delivery.endpoint_id
    if endpoint_id not in secrets:
        secrets[endpoint_id] = decrypt_secret(token=delivery.endpoint.secret_encrypted)
    if secrets[endpoint_id]:
        headers["X-Omniflow-Signature"] = sign(secret=secrets[endpoint_id], body=body)
    return transport.Request(
        delivery_id=delivery.id, url=delivery.endpoint.url, headers=headers, body=body
    )


def backoff_seconds(*, attempt_count: int) -> float:
    """Return the wait before the next try after `attempt_count` failed attempts."""
    base = float(settings.OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS)
    delay = min(base * 2 ** max(attempt_count - 1, 0), MAX_BACKOFF_SECONDS)
    return delay * random.uniform(1 - JITTER, 1 + JITTER)


def retry_after_seconds(*, value: str | None, now: datetime) -> float | None:
    """Parse a Retry-After header (seconds or HTTP date); None when absent or malformed."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - now).total_seconds(), 0.0)


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _apply_result(
    delivery: WebhookDelivery, request: transport.Request, result: transport.Result
) -> WebhookDeliveryAttempt:
    """Move `delivery` to its next state after one attempt; return the attempt record."""
    now = timezone.now()
    delivery.attempt_count += 1
    delivery.first_attempted_at = delivery.first_attempted_at or now
    delivery.locked_until = None
    delivery.last_status_code = result.status_code
    code = result.status_code
    retry_in: float | None = None
    error = result.error
    if code is not None and 200 <= code < 300:
        delivery.status = Status.SUCCEEDED
        delivery.succeeded_at = now
        error = ""
    elif result.unsafe_destination:
        delivery.status = Status.FAILED
    elif code is not None and 300 <= code < 400:
        location = _header(result.headers, "Location") or "(none)"
        error = f"Redirect {code} to {location} not followed."
        delivery.status = Status.FAILED
    elif code == 429:
        error = "429 Too Many Requests."
        retry_in = retry_after_seconds(value=_header(result.headers, "Retry-After"), now=now)
        if retry_in is None:
            retry_in = backoff_seconds(attempt_count=delivery.attempt_count)
    elif code is not None and 400 <= code < 500:
        error = f"{code} from the endpoint; client errors are not retried."
        delivery.status = Status.FAILED
    else:
        if code is not None:
            error = f"{code} from the endpoint."
        retry_in = backoff_seconds(attempt_count=delivery.attempt_count)
    if retry_in is not None:
        deadline = delivery.first_attempted_at + timedelta(
            seconds=settings.OMNIFLOW_WEBHOOK_RETRY_WINDOW_SECONDS
        )
        if now >= deadline:
            delivery.status = Status.FAILED
            error = f"{error} Retry window ended; giving up.".strip()
        else:
            delivery.status = Status.RETRYING
            # A last try at the end of the window rather than none at all.
            delivery.next_attempt_at = min(now + timedelta(seconds=retry_in), deadline)
    if delivery.status == Status.FAILED:
        delivery.failed_at = now
    delivery.last_error = error
    return WebhookDeliveryAttempt(
        delivery=delivery,
        request_headers=request.headers,
        request_body=request.body.decode(),
        response_status_code=code,
        response_headers=result.headers,
        response_body=result.body,
        duration_ms=result.duration_ms,
        error=error,
        created_at=now,
    )


def _fail_unsendable(delivery: WebhookDelivery, error: str) -> None:
    now = timezone.now()
    delivery.status = Status.FAILED
    delivery.failed_at = now
    delivery.locked_until = None
    delivery.last_error = error


def deliveries_send(*, deliveries: list[WebhookDelivery]) -> None:
    """Send claimed deliveries concurrently and write every outcome in bulk."""
    secrets: dict[int, str] = {}
    requests: list[transport.Request] = []
    sendable: list[WebhookDelivery] = []
    for delivery in deliveries:
        if not delivery.endpoint.enabled:
            _fail_unsendable(delivery, "The endpoint is disabled.")
            continue
        try:
            requests.append(_request_for(delivery, secrets))
        except SecretUnavailable as exc:
            _fail_unsendable(delivery, str(exc))
            continue
        sendable.append(delivery)
    results = transport.send_all(requests=requests) if requests else []
    attempts = [
        _apply_result(delivery, request, result)
        for delivery, request, result in zip(sendable, requests, results, strict=True)
    ]
    with transaction.atomic():
        _write_outcomes(deliveries)
        if attempts:
            _write_attempts(attempts)


def _write_outcomes(deliveries: list[WebhookDelivery]) -> None:
    """Write the new state of every delivery of a batch in one statement."""
    if connection.vendor != "postgresql":
        WebhookDelivery.objects.bulk_update(deliveries, _OUTCOME_FIELDS)
        return
    # One UPDATE from arrays rather than bulk_update's CASE per field and row: at thousands of
    # deliveries a second, building and parsing that SQL costs more than the HTTP requests.
    columns = ["id", *_OUTCOME_FIELDS]
    arrays = ", ".join(f"%s::{_SQL_TYPES[name]}[]" for name in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in _OUTCOME_FIELDS)
    params = [[getattr(delivery, name) for delivery in deliveries] for name in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {WebhookDelivery._meta.db_table} AS d SET {assignments} "
            f"FROM unnest({arrays}) AS v({', '.join(columns)}) WHERE d.id = v.id",
            params,
        )


_ATTEMPT_COLUMNS = {
    "delivery_id": "bigint",
    "request_headers": "jsonb",
    "request_body": "text",
    "response_status_code": "integer",
    "response_headers": "jsonb",
    "response_body": "text",
    "duration_ms": "integer",
    "error": "text",
    "created_at": "timestamptz",
}


def _write_attempts(attempts: list[WebhookDeliveryAttempt]) -> None:
    """Insert the attempts of a batch in one statement."""
    if connection.vendor != "postgresql":
        WebhookDeliveryAttempt.objects.bulk_create(attempts)
        return
    json_columns = {"request_headers", "response_headers"}
    params = [
        [
            json.dumps(getattr(attempt, name)) if name in json_columns else getattr(attempt, name)
            for attempt in attempts
        ]
        for name in _ATTEMPT_COLUMNS
    ]
    arrays = ", ".join(
        "%s::text[]::jsonb[]" if kind == "jsonb" else f"%s::{kind}[]"
        for kind in _ATTEMPT_COLUMNS.values()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {WebhookDeliveryAttempt._meta.db_table} "
            f"({', '.join(_ATTEMPT_COLUMNS)}) SELECT * FROM unnest({arrays})",
            params,
        )


@dataclass
class DispatchReport:
    batches: int = 0
    deliveries: int = 0
    last_batch_full: bool = False


def deliveries_dispatch(
    *, batch_size: int = BATCH_SIZE, time_budget_seconds: float = 60.0
) -> DispatchReport:
    """Claim and send batches until nothing is due or the time budget is spent."""
    report = DispatchReport()
    started = time.monotonic()
    while True:
        deliveries = deliveries_claim(limit=batch_size)
        if not deliveries:
            report.last_batch_full = False
            break
        deliveries_send(deliveries=deliveries)
        report.batches += 1
        report.deliveries += len(deliveries)
        report.last_batch_full = len(deliveries) == batch_size
        if time.monotonic() - started > time_budget_seconds:
            break
    if report.deliveries:
        logger.info("Webhooks: sent %s deliveries in %s batches", report.deliveries, report.batches)
    return report
