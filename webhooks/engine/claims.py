"""Claim: which deliveries are due, and the `Claim` a worker holds while it sends one.

A claim is a lease in `locked_until`, so any worker on any machine can take over a crashed
worker's work. `Claim`'s fields say where each value comes from (the claim reads it) and
whether the outcome writes it back: the claim's columns, the outcome's columns and their
order are all built from the dataclass, so they cannot drift apart.
"""

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery

from ..models import UNFINISHED_STATUSES, WebhookDelivery


def _claimed(relation: str, column: str, *, recorded: bool = False) -> Any:
    """A field the claim reads from `relation` (the delivery, its event or its endpoint)."""
    return field(metadata={"source": (relation, column), "recorded": recorded})


def _recorded(*, default: Any = None) -> Any:
    """A field the claim does not read and the outcome writes back."""
    return field(default=default, metadata={"recorded": True})


@dataclass
class Claim:
    """A leased delivery, what sending it needs, and its state as the attempt leaves it."""

    id: int = _claimed("delivery", "id")
    endpoint_id: int = _claimed("delivery", "endpoint_id")
    event_type: str = _claimed("delivery", "event_type")
    body: str = _claimed("event", "body")
    event_public_id: str = _claimed("event", "public_id")
    url: str = _claimed("endpoint", "url")
    secret_encrypted: str = _claimed("endpoint", "secret_encrypted")
    previous_secret_encrypted: str = _claimed("endpoint", "previous_secret_encrypted")
    previous_secret_expires_at: datetime | None = _claimed("endpoint", "previous_secret_expires_at")
    endpoint_state: str = _claimed("endpoint", "state")
    endpoint_failing_since: datetime | None = _claimed("endpoint", "failing_since")
    status: str = _claimed("delivery", "status", recorded=True)
    attempt_count: int = _claimed("delivery", "attempt_count", recorded=True)
    first_attempted_at: datetime | None = _claimed("delivery", "first_attempted_at", recorded=True)
    next_attempt_at: datetime = _claimed("delivery", "next_attempt_at", recorded=True)
    last_status_code: int | None = _claimed("delivery", "last_status_code", recorded=True)
    last_error: str = _claimed("delivery", "last_error", recorded=True)
    succeeded_at: datetime | None = _claimed("delivery", "succeeded_at", recorded=True)
    failed_at: datetime | None = _claimed("delivery", "failed_at", recorded=True)
    # The lease this worker holds; outcomes are written only while it still holds it.
    claimed_until: datetime | None = None
    # Cleared once the attempt is over (or given up): the delivery is nobody's any more.
    locked_until: datetime | None = _recorded()
    # The endpoint slot (engine/lanes.py) this delivery holds while in flight.
    slot: int | None = None


# (field name, relation, column) of what a claim reads, in the dataclass's order, so a row
# read in this order is `Claim(*row)`.
CLAIMED: tuple[tuple[str, str, str], ...] = tuple(
    (f.name, *f.metadata["source"]) for f in fields(Claim) if "source" in f.metadata
)
# The delivery columns an outcome writes back; each is a WebhookDelivery field of that name.
RECORDED: tuple[str, ...] = tuple(f.name for f in fields(Claim) if f.metadata.get("recorded"))
assert [f.name for f in fields(Claim)][: len(CLAIMED)] == [name for name, *_ in CLAIMED], (
    "Claimed fields come first, so a claimed row is Claim(*row)."
)

BATCH_SIZE = 1000


def due_deliveries(now: Any):
    """Deliveries that may go out at `now` (a datetime, or an SQL expression of the clock).

    Ordered oldest due first; filtered by endpoint, the order follows the lane index.
    """
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
        # A scalar subquery rather than NOT EXISTS: the planner may turn NOT EXISTS into an
        # anti join probing the order index by endpoint alone (every unfinished delivery of
        # the endpoint, for each candidate); this one it runs per candidate, by resource.
        .alias(older=Subquery(older_unfinished.values("id")[:1]))
        .filter(older__isnull=True)
        .order_by("next_attempt_at", "id")
    )


def oldest_due_at(*, now: datetime) -> datetime | None:
    """Return the next attempt time of the longest-waiting delivery that may go out now.

    Deliveries queued behind an unfinished one of their resource are not sendable, so they
    do not count, however long they wait.
    """
    return due_deliveries(now).values_list("next_attempt_at", flat=True).first()


def lease_end(*, now: datetime) -> datetime:
    """Return when a lease taken at `now` ends: one request's timeout and a margin later."""
    return now + timedelta(
        seconds=float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS)
        + float(settings.OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS)
    )
