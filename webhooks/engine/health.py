"""Health: what a batch's outcomes say about its endpoints, and the holds they call for.

The engine's three touch points with endpoint state (webhooks/health.py owns the state):
- `claim_held`, when a claimed delivery is about to be sent: an endpoint paused since the
  delivery was released holds it instead;
- `outcomes_settle`, before a batch's outcomes are written: a delivery that a disabled endpoint
  (its probe) or a 410 Gone answered without success is held, not failed or retried;
- `outcomes_observe`, in the same transaction after: a success clears the endpoint's failing
  run (and re-enables it when disabled); a 410 disables it at once; a failing run older than
  `OMNIFLOW_WEBHOOK_DISABLE_AFTER_SECONDS` disables it;
- `retries_hold_where_stopped`, last: a retry whose endpoint stopped while it was in flight
  is held with the endpoint's others.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from .. import health
from ..models import WebhookDelivery, WebhookEndpoint
from .claims import Claim

State = WebhookEndpoint.State
Status = WebhookDelivery.Status
GONE = 410


def claim_held(*, delivery: Claim) -> bool:
    """Hold `delivery` instead of sending it when its endpoint is paused; tell whether it was."""
    if delivery.endpoint_state != State.PAUSED:
        return False
    delivery.status = Status.HELD
    delivery.locked_until = None
    return True


@dataclass
class Observed:
    """Per endpoint of a batch: what its attempts answered."""

    succeeded: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    gone: set[int] = field(default_factory=set)
    # Endpoints disabled when the batch was claimed: a success there is a probe's.
    disabled: set[int] = field(default_factory=set)
    # Endpoints whose failing run a success ends (as the claim read them).
    were_failing: set[int] = field(default_factory=set)

    @property
    def endpoints_change(self) -> bool:
        """Tell whether an endpoint's record changes: not in a batch of plain successes."""
        return bool(self.failed or self.were_failing or self.disabled)


def outcomes_settle(*, deliveries: Sequence[Claim], attempts: list[dict[str, Any]]) -> Observed:
    """Hold the attempted deliveries a disabled or gone endpoint did not accept; return what
    the batch's attempts say about each endpoint."""
    observed = Observed()
    attempted = {attempt["delivery_id"] for attempt in attempts}
    for delivery in deliveries:
        if delivery.id not in attempted:
            continue
        endpoint_id = delivery.endpoint_id
        if delivery.endpoint_state == State.DISABLED:
            observed.disabled.add(endpoint_id)
        if delivery.status == Status.SUCCEEDED:
            observed.succeeded.add(endpoint_id)
            if delivery.endpoint_failing_since is not None:
                observed.were_failing.add(endpoint_id)
            continue
        observed.failed.add(endpoint_id)
        if delivery.last_status_code == GONE:
            observed.gone.add(endpoint_id)
        if delivery.last_status_code == GONE or delivery.endpoint_state == State.DISABLED:
            # Kept for when the endpoint recovers, its window restarting then.
            delivery.status = Status.HELD
            delivery.failed_at = None
    return observed


def retries_hold_where_stopped(*, delivery_ids: list[int]) -> int:
    """Hold the batch's retrying deliveries whose endpoint was paused or disabled while they
    were in flight (by another batch's outcomes, or an admin); return how many.

    Their claim read the endpoint as active, so their outcome said "retry"; left so, a disabled
    endpoint would be sent them as the retries fall due, besides its probes.
    """
    if not delivery_ids:
        return 0
    return WebhookDelivery.objects.filter(
        id__in=delivery_ids,
        status=Status.RETRYING,
        endpoint__state__in=(State.PAUSED, State.DISABLED),
    ).update(status=Status.HELD)


def outcomes_observe(*, observed: Observed, now: datetime) -> None:
    """Record the endpoints' failing runs and change their state as the outcomes call for."""
    if observed.were_failing:
        WebhookEndpoint.objects.filter(
            id__in=observed.were_failing, failing_since__isnull=False
        ).update(failing_since=None)
        for endpoint_id in observed.succeeded & observed.disabled:
            health.endpoint_recover(endpoint_id=endpoint_id, now=now)
    failing = observed.failed - observed.succeeded
    if not failing:
        return
    for endpoint_id in observed.gone - observed.succeeded:
        health.endpoint_disable(
            endpoint_id=endpoint_id, reason="The endpoint answered 410 Gone.", now=now
        )
    WebhookEndpoint.objects.filter(id__in=failing, failing_since__isnull=True).update(
        failing_since=now
    )
    window = float(settings.OMNIFLOW_WEBHOOK_DISABLE_AFTER_SECONDS)
    expired = WebhookEndpoint.objects.filter(
        id__in=failing, state=State.ACTIVE, failing_since__lte=now - timedelta(seconds=window)
    ).values_list("id", "failing_since")
    for endpoint_id, since in expired:
        health.endpoint_disable(
            endpoint_id=endpoint_id,
            reason=f"Every attempt failed since {since:%Y-%m-%d %H:%M} UTC "
            f"({health.duration_text(seconds=int(window))}).",
            now=now,
        )
