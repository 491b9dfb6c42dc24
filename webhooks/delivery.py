"""The delivery engine: claim what is due, send it, record what happened, schedule retries.

Rows are the truth: the due time lives in `next_attempt_at` and a claim is a lease in
`locked_until`, so any worker on any machine can take over a crashed worker's work.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from omniflow import metrics

from . import transport
from .models import UNFINISHED_STATUSES, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .outcomes import attempts_write, outcome_commit_relaxed, outcomes_write
from .signing import SecretUnavailable, decrypt_secret, sign

logger = logging.getLogger(__name__)

USER_AGENT = "Omniflow-Webhooks/1.0"
BATCH_SIZE = 1000
MAX_BACKOFF_SECONDS = 3600
JITTER = 0.2
Status = WebhookDelivery.Status


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


def oldest_due_at(*, now: datetime) -> datetime | None:
    """Return the next attempt time of the longest-waiting delivery that may go out now.

    Deliveries queued behind an unfinished one of their resource are not sendable, so they
    do not count, however long they wait.
    """
    return (
        _due(now)
        .order_by("next_attempt_at", "id")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


@dataclass
class Claim:
    """A leased delivery, what sending it needs, and its state as the attempt leaves it."""

    id: int
    endpoint_id: int
    event_type: str
    body: str
    url: str
    secret_encrypted: str
    endpoint_enabled: bool
    status: str
    attempt_count: int
    first_attempted_at: datetime | None
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str
    succeeded_at: datetime | None
    failed_at: datetime | None
    # The lease this worker holds; outcomes are written only while it still holds it.
    claimed_until: datetime | None = None
    locked_until: datetime | None = None


_CLAIM_COLUMNS = (
    "d.id, d.endpoint_id, d.event_type, e.body, p.url, p.secret_encrypted, p.enabled, "
    "d.status, d.attempt_count, d.first_attempted_at, d.next_attempt_at, d.last_status_code, "
    "d.last_error, d.succeeded_at, d.failed_at"
)


# Stands for the claim's clock reading in the SQL compiled once per process (see below).
_NOW = datetime(2000, 1, 1, tzinfo=UTC)


def _due_in_order(now: datetime):
    return _due(now).order_by("next_attempt_at", "id")


@lru_cache(maxsize=8)
def _locking_due_sql_template(limit: int) -> tuple[str, tuple]:
    due = _due_in_order(_NOW).values("id")
    locked = due.select_for_update(skip_locked=True, of=("self",))[:limit]
    return locked.query.sql_with_params()


def _locking_due_sql(*, limit: int, now: datetime) -> tuple[str, list]:
    """Return the SELECT … FOR UPDATE SKIP LOCKED of up to `limit` due heads, and its params.

    Compiled by the ORM once per process: compiling it costs more than a millisecond, paid on
    every claim otherwise.
    """
    sql, params = _locking_due_sql_template(limit)
    return sql, [now if param is _NOW else param for param in params]


def deliveries_claim(*, limit: int = BATCH_SIZE) -> list[Claim]:
    """Lease up to `limit` due deliveries to this worker and return them."""
    now = timezone.now()
    lease = now + timedelta(
        seconds=float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS)
        + float(settings.OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS)
    )
    with transaction.atomic():
        if connection.vendor != "postgresql":
            # SQLite (the embedded default, one worker) has no SKIP LOCKED and serialises
            # writers anyway: claim plainly.
            rows = list(_due_in_order(now).select_related("event", "endpoint")[:limit])
            claims = [
                Claim(
                    id=d.id,
                    endpoint_id=d.endpoint_id,
                    event_type=d.event_type,
                    body=d.event.body,
                    url=d.endpoint.url,
                    secret_encrypted=d.endpoint.secret_encrypted,
                    endpoint_enabled=d.endpoint.enabled,
                    status=d.status,
                    attempt_count=d.attempt_count,
                    first_attempted_at=d.first_attempted_at,
                    next_attempt_at=d.next_attempt_at,
                    last_status_code=d.last_status_code,
                    last_error=d.last_error,
                    succeeded_at=d.succeeded_at,
                    failed_at=d.failed_at,
                    claimed_until=lease,
                )
                for d in rows
            ]
            WebhookDelivery.objects.filter(id__in=[c.id for c in claims]).update(locked_until=lease)
            return claims
        with connection.cursor() as cursor:
            # The claim must walk the due index in order and stop after `limit` heads. Right
            # after a burst the row estimates are stale, and the planner then prefers to fetch
            # and sort every due row on each claim: quadratic in the size of the backlog.
            cursor.execute("SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off")
            # SKIP LOCKED lets several workers claim side by side; the lease is set in the same
            # statement, which also returns what sending needs (no model instances: at
            # thousands a second, building them costs more than the query).
            sql, params = _locking_due_sql(limit=limit, now=now)
            # `= ANY(ARRAY(…))` fetches the claimed rows by primary key. Joined to the CTE
            # instead, the planner hashes it against a scan of the whole table (and with the
            # sort disabled above, it has no cheaper plan it likes): a cost that grows with
            # the delivery history, paid on every claim.
            cursor.execute(
                f"WITH due AS ({sql}) "
                f"UPDATE {WebhookDelivery._meta.db_table} AS d SET locked_until = %s "
                f"FROM {WebhookEvent._meta.db_table} AS e, "
                f"{WebhookEndpoint._meta.db_table} AS p "
                "WHERE d.id = ANY(ARRAY(SELECT id FROM due)) "
                "AND e.id = d.event_id AND p.id = d.endpoint_id "
                f"RETURNING {_CLAIM_COLUMNS}",
                [*params, lease],
            )
            return [Claim(*row, claimed_until=lease) for row in cursor.fetchall()]


def _request_for(delivery: Claim, secrets: dict[int, str]) -> transport.Request:
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
    delivery: Claim, request: transport.Request, result: transport.Result, now: datetime
) -> dict[str, Any]:
    """Move `delivery` to its next state after one attempt; return the attempt record.

    The record has no request body: it is the event's, which `attempts_write` copies.
    """
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
    return dict(
        delivery_id=delivery.id,
        request_headers=request.headers,
        response_status_code=code,
        response_headers=result.headers,
        response_body=result.body,
        duration_ms=result.duration_ms,
        error=error,
        created_at=now,
    )


def _fail_unsendable(delivery: Claim, error: str) -> None:
    now = timezone.now()
    delivery.status = Status.FAILED
    delivery.failed_at = now
    delivery.locked_until = None
    delivery.last_error = error


# Time kept between the end of the last request a batch starts and the end of its lease (or
# half the lease margin, when that is shorter).
LEASE_SAFETY_SECONDS = 1.0


def deliveries_send(*, deliveries: list[Claim]) -> None:
    """Send claimed deliveries concurrently and write every outcome in bulk."""
    secrets: dict[int, str] = {}
    requests: list[transport.Request] = []
    sendable: list[Claim] = []
    for delivery in deliveries:
        if not delivery.endpoint_enabled:
            _fail_unsendable(delivery, "The endpoint is disabled.")
            continue
        try:
            requests.append(_request_for(delivery, secrets))
        except SecretUnavailable as exc:
            _fail_unsendable(delivery, str(exc))
            continue
        sendable.append(delivery)
    results = (
        transport.send_all(requests=requests, start_within=_start_within(deliveries))
        if requests
        else []
    )
    # One clock reading for the batch: its requests went out together.
    now = timezone.now()
    attempts = []
    for delivery, request, result in zip(sendable, requests, results, strict=True):
        if result.sent:
            attempts.append(_apply_result(delivery, request, result, now))
        else:
            # Its turn came too late to finish within the lease: back to the queue, unattempted.
            delivery.locked_until = None
    with transaction.atomic():
        outcome_commit_relaxed()
        outcomes_write(deliveries=deliveries)
        if attempts:
            attempts_write(attempts=attempts)
    if attempts:
        metrics.count_many(metrics.attempt_fields(_attempt_outcomes(sendable, results)))


def _attempt_outcomes(
    sendable: list[Claim], results: list[transport.Result]
) -> list[tuple[str, float]]:
    return [
        (delivery.status, result.duration_ms / 1000)
        for delivery, result in zip(sendable, results, strict=True)
        if result.sent
    ]


def _start_within(deliveries: list[Claim]) -> float:
    """Return how long requests may still start and finish (timeout) within the batch's lease."""
    left = (min(d.claimed_until for d in deliveries) - timezone.now()).total_seconds()
    safety = min(LEASE_SAFETY_SECONDS, float(settings.OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS) / 2)
    return left - float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS) - safety


@dataclass
class DispatchReport:
    batches: int = 0
    deliveries: int = 0
    last_batch_full: bool = False


def deliveries_dispatch(
    *,
    batch_size: int = BATCH_SIZE,
    time_budget_seconds: float = 60.0,
    on_full_batch: Callable[[], None] | None = None,
) -> DispatchReport:
    """Claim and send batches until nothing is due or the time budget is spent.

    `on_full_batch` is called whenever a batch comes back full: more is due than this process
    sends alone, so the caller may ask other processes to join.
    """
    report = DispatchReport()
    started = time.monotonic()
    while True:
        deliveries = deliveries_claim(limit=batch_size)
        if not deliveries:
            report.last_batch_full = False
            break
        report.last_batch_full = len(deliveries) == batch_size
        if report.last_batch_full and on_full_batch is not None:
            on_full_batch()
        deliveries_send(deliveries=deliveries)
        report.batches += 1
        report.deliveries += len(deliveries)
        if time.monotonic() - started > time_budget_seconds:
            break
    if report.deliveries:
        logger.info("Webhooks: sent %s deliveries in %s batches", report.deliveries, report.batches)
    return report
