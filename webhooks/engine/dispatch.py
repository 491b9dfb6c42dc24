"""The dispatch loop: claim what is due, send it, record what happened, schedule retries.

Each hop has its module in this package: `claims` (what is due, the lease), `attempts` (the
signed request and its record), `transport` (the HTTP send), `retry` (the next state),
`outcomes` (the writes), `storage/` (their SQL, one module per database). This one only runs
them in order.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from omniflow import metrics
from omniflow.crypto import SecretUnavailable

from . import health, storage, transport
from .attempts import attempt_record, request_build
from .claims import BATCH_SIZE, Claim, lease_end
from .outcomes import outcomes_record
from .retry import attempt_settle, delivery_give_up

logger = logging.getLogger(__name__)

# Time kept between the end of the last request a batch starts and the end of its lease (or
# half the lease margin, when that is shorter).
LEASE_SAFETY_SECONDS = 1.0


def deliveries_claim(*, limit: int = BATCH_SIZE) -> list[Claim]:
    """Lease up to `limit` due deliveries to this worker and return them."""
    now = timezone.now()
    with transaction.atomic():
        return storage.backend().claim_due(limit=limit, now=now, lease=lease_end(now=now))


def deliveries_send(*, deliveries: list[Claim]) -> None:
    """Send claimed deliveries concurrently and write every outcome in bulk."""
    secrets: dict[int, tuple[str, str]] = {}
    signing_time = timezone.now()
    requests: list[transport.Request] = []
    sendable: list[Claim] = []
    for delivery in deliveries:
        if health.claim_held(delivery=delivery):
            continue
        try:
            requests.append(request_build(delivery=delivery, secrets=secrets, now=signing_time))
        except SecretUnavailable as exc:
            delivery_give_up(delivery=delivery, error=str(exc), now=timezone.now())
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
            error = attempt_settle(delivery=delivery, result=result, now=now)
            attempts.append(attempt_record(request=request, result=result, error=error, now=now))
        else:
            # Its turn came too late to finish within the lease: back to the queue, unattempted.
            delivery.locked_until = None
    outcomes_record(deliveries=deliveries, attempts=attempts)
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
