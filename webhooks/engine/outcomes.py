"""Outcomes: record a batch's new delivery states and its attempts, in one transaction.

Also keeps the queue walkable: deliveries queued behind a retrying one cannot go before it,
yet they are due; left so, every claim walks past them again, and thousands of them behind a
dead endpoint would slow every other endpoint's claims. So they are deferred to the end of
its retry window once, at its first retry, and released (due now) as soon as it succeeds or
finally fails.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import WebhookDelivery
from . import health, storage
from .claims import Claim

Status = WebhookDelivery.Status


def outcomes_record(*, deliveries: Sequence[Claim], attempts: list[dict[str, Any]]) -> None:
    """Write the batch's delivery states and attempt records.

    The commit does not wait for the WAL flush. At-least-once still holds: the requests have
    gone out already, and an outcome lost in a database crash (the last few hundred
    milliseconds of commits at most) leaves the delivery leased and unfinished, so it is sent
    again once the lease expires: a duplicate, which the event id lets the consumer drop,
    never a lost event. Claims commit the same way, for the same reason.
    """
    store = storage.backend()
    # First: it may hold deliveries a disabled endpoint or a 410 did not accept.
    observed = health.outcomes_settle(deliveries=deliveries, attempts=attempts)
    retrying = [d.id for d in deliveries if d.status == Status.RETRYING]
    # Only a delivery that has been retrying deferred its successors: one that succeeded at
    # its first attempt (most of them) has nothing to release. Failures are few: all released.
    finished = [
        d.id
        for d in deliveries
        if d.status == Status.FAILED or (d.status == Status.SUCCEEDED and d.attempt_count > 1)
    ]
    if not (retrying or finished or observed.endpoints_change):
        # The usual batch: one statement (one round trip) where the database can.
        store.record(deliveries=deliveries, attempts=attempts)
        return
    with transaction.atomic():
        store.record(deliveries=deliveries, attempts=attempts)
        store.successors_defer(
            delivery_ids=retrying,
            window_seconds=float(settings.OMNIFLOW_WEBHOOK_RETRY_WINDOW_SECONDS),
        )
        store.successors_release(delivery_ids=finished, now=timezone.now())
        health.outcomes_observe(observed=observed, now=timezone.now())
        health.retries_hold_where_stopped(delivery_ids=retrying)
