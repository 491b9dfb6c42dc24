"""Writes of the webhooks app: endpoints and their secrets, the sweeper's heartbeat, pruning.

Replays (one delivery, the failed ones matching a filter, background jobs) are in replays.py."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from omniflow.crypto import decrypt_secret, encrypt_secret
from omniflow.exceptions import RULE_ERROR_CODE
from omniflow.http.destinations import PRIVATE_DESTINATION, validate_url
from omniflow.origin import url_origin
from omniflow.retention import delete_in_batches, retention_days
from omniflow.sentinels import UNSET
from workspaces.models import Workspace

from . import health
from .events import CATALOGUE
from .models import (
    UNFINISHED_STATUSES,
    SweeperHeartbeat,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .signing import generate_secret

logger = logging.getLogger(__name__)


def _clean_url(url: str) -> str:
    try:
        validate_url(url)
    except ValueError as exc:
        code = RULE_ERROR_CODE if str(exc) == PRIVATE_DESTINATION else "invalid"
        raise ValidationError({"url": [ValidationError(str(exc), code=code)]}) from exc
    return url


def _clean_event_types(event_types: list[str]) -> list[str]:
    unknown = [name for name in event_types if name not in CATALOGUE]
    if unknown:
        raise ValidationError(
            {"event_types": [f"Unknown event type(s): {', '.join(sorted(set(unknown)))}."]}
        )
    if not event_types:
        raise ValidationError({"event_types": ["Subscribe to at least one event type."]})
    # Keep the catalogue's order and drop repeats, so equal subscriptions look equal.
    return [name for name in CATALOGUE if name in set(event_types)]


# The highest max_in_flight and rate_limit_per_second an endpoint may be given.
MAX_ENDPOINT_LIMIT = 10_000


def _clean_limit(name: str, value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_ENDPOINT_LIMIT:
        raise ValidationError(
            {name: [f"Give a whole number from 1 to {MAX_ENDPOINT_LIMIT}, or none for no limit."]}
        )
    return value


def endpoint_create(
    *,
    workspace: Workspace,
    url: str,
    event_types: list[str],
    description: str = "",
    enabled: bool = True,
    secret: str | None = None,
    max_in_flight: int | None = None,
    rate_limit_per_second: int | None = None,
) -> WebhookEndpoint:
    """Create an endpoint; a secret is generated unless one is given ('' for none).

    Not `enabled`: it starts paused (its events held until it is resumed)."""
    now = timezone.now()
    return WebhookEndpoint.objects.create(
        workspace=workspace,
        url=_clean_url(url),
        event_types=_clean_event_types(event_types),
        description=description,
        state=WebhookEndpoint.State.ACTIVE if enabled else WebhookEndpoint.State.PAUSED,
        state_reason="" if enabled else "Created paused.",
        state_changed_at=None if enabled else now,
        max_in_flight=_clean_limit("max_in_flight", max_in_flight),
        rate_limit_per_second=_clean_limit("rate_limit_per_second", rate_limit_per_second),
        secret_encrypted=encrypt_secret(secret=generate_secret() if secret is None else secret),
    )


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    secret: object = UNSET,
    max_in_flight: object = UNSET,
    rate_limit_per_second: object = UNSET,
    actor: str = "",
) -> WebhookEndpoint:
    """Change the given fields of an endpoint (a limit given as None is lifted).

    A secret is bound to where it signs for: a URL on another origin (scheme, host, port) gets
    a new secret unless one is given in the same call (`endpoint.secret_replaced` says so), so
    requests signed for the new host never verify at the old one, nor the other way round.

    `enabled` is the older spelling of pause and resume: false pauses an active endpoint,
    true resumes a paused or disabled one (webhooks/health.py; `actor` names who did it).
    """
    endpoint.secret_replaced = False
    if url is not None:
        url = _clean_url(url)
        if (
            secret is UNSET
            and endpoint.secret_encrypted
            and url_origin(url) != url_origin(endpoint.url)
        ):
            secret = generate_secret()
            endpoint.secret_replaced = True
        endpoint.url = url
    if event_types is not None:
        endpoint.event_types = _clean_event_types(event_types)
    if description is not None:
        endpoint.description = description
    if max_in_flight is not UNSET:
        endpoint.max_in_flight = _clean_limit("max_in_flight", max_in_flight)
    if rate_limit_per_second is not UNSET:
        endpoint.rate_limit_per_second = _clean_limit(
            "rate_limit_per_second", rate_limit_per_second
        )
    if secret is not UNSET:
        # A secret set by hand replaces the old one at once: no overlap (that is rotation's).
        endpoint.secret_encrypted = encrypt_secret(secret=str(secret or ""))
        endpoint.secret_created_at = timezone.now()
        _previous_secret_forget(endpoint)
    # Not the state fields: the engine may change those meanwhile (pause and resume below).
    endpoint.save(
        update_fields=[
            "url",
            "event_types",
            "description",
            "max_in_flight",
            "rate_limit_per_second",
            *_SECRET_FIELDS,
        ]
    )
    if enabled is True and endpoint.state != WebhookEndpoint.State.ACTIVE:
        health.endpoint_resume(endpoint=endpoint, actor=actor)
        endpoint.refresh_from_db(fields=health.STATE_FIELDS)
    elif enabled is False and endpoint.state == WebhookEndpoint.State.ACTIVE:
        health.endpoint_pause(endpoint=endpoint, actor=actor)
        endpoint.refresh_from_db(fields=health.STATE_FIELDS)
    return endpoint


SECRET_REPLACED_NOTE = (
    "The URL's host changed, so the endpoint got a new signing secret (the old one is never "
    "used for a new host): reveal it and give it to the new receiver."
)
ENDPOINT_DELETED_ERROR = "The endpoint was deleted."


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint: it stops receiving events, its delivery history stays.

    The row is kept, disabled and marked deleted (gone from the pages and the API), so the
    deliveries log still shows what was sent to it until retention prunes them; deliveries
    still waiting fail now rather than at their next turn.
    """
    now = timezone.now()
    endpoint.deleted_at = now
    endpoint.save(update_fields=["deleted_at", "updated_at"])
    WebhookDelivery.objects.filter(
        endpoint=endpoint, status__in=[*UNFINISHED_STATUSES, WebhookDelivery.Status.HELD]
    ).update(
        status=WebhookDelivery.Status.FAILED,
        failed_at=now,
        locked_until=None,
        last_error=ENDPOINT_DELETED_ERROR,
    )


DEFAULT_SECRET_OVERLAP = timedelta(hours=24)
MAX_SECRET_OVERLAP = timedelta(days=7)
_SECRET_FIELDS = [
    "secret_encrypted",
    "secret_created_at",
    "previous_secret_encrypted",
    "previous_secret_created_at",
    "previous_secret_expires_at",
    "updated_at",
]


def _previous_secret_forget(endpoint: WebhookEndpoint) -> None:
    endpoint.previous_secret_encrypted = ""
    endpoint.previous_secret_created_at = None
    endpoint.previous_secret_expires_at = None


def endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, overlap: timedelta = DEFAULT_SECRET_OVERLAP
) -> str:
    """Replace the endpoint's secret with a new one; return the new secret.

    For `overlap` (0 to 7 days) requests are signed with both secrets, so the consumer can
    switch to the new one at its own pace without refusing a request meanwhile.
    """
    if not timedelta(0) <= overlap <= MAX_SECRET_OVERLAP:
        raise ValidationError({"overlap_hours": ["The overlap is 0 to 168 hours (7 days)."]})
    now = timezone.now()
    secret = generate_secret()
    if endpoint.secret_encrypted and overlap:
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_created_at = endpoint.current_secret_since
        endpoint.previous_secret_expires_at = now + overlap
    else:
        _previous_secret_forget(endpoint)
    endpoint.secret_encrypted = encrypt_secret(secret=secret)
    endpoint.secret_created_at = now
    endpoint.save(update_fields=_SECRET_FIELDS)
    return secret


def endpoint_end_secret_overlap(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop signing with the previous secret now, before its overlap would have ended."""
    _previous_secret_forget(endpoint)
    endpoint.save(update_fields=_SECRET_FIELDS)
    return endpoint


def endpoint_secret(*, endpoint: WebhookEndpoint) -> str:
    """Return the endpoint's secret in clear (only for an explicit reveal)."""
    return decrypt_secret(token=endpoint.secret_encrypted)


def sweeper_heartbeat_record() -> None:
    """Record that the sweeper runs now (read by `/readyz?worker=1` and `webhooks_status`)."""
    now = timezone.now()
    if not SweeperHeartbeat.objects.filter(pk=1).update(swept_at=now):
        SweeperHeartbeat.objects.update_or_create(pk=1, defaults={"swept_at": now})


@dataclass
class PruneReport:
    deliveries: int = 0
    events: int = 0
    endpoints: int = 0

    @property
    def total(self) -> int:
        return self.deliveries + self.events + self.endpoints


def history_prune(*, now: datetime | None = None) -> PruneReport:
    """Delete delivery history past retention, in small batches.

    Succeeded deliveries (with their attempts) go after OMNIFLOW_RETENTION_DAYS; failed ones
    after OMNIFLOW_FAILED_RETENTION_DAYS, as they may be replayed until then; then the events
    that no delivery refers to any more, and deleted endpoints left without deliveries.
    """
    now = now or timezone.now()
    kept_since = now - timedelta(days=retention_days())
    failed_kept_since = now - timedelta(
        days=max(int(settings.OMNIFLOW_FAILED_RETENTION_DAYS), retention_days())
    )
    report = PruneReport()
    # Both filters walk webhook_delivery_created_idx.
    report.deliveries += delete_in_batches(
        WebhookDelivery.objects.filter(
            created_at__lt=kept_since, status=WebhookDelivery.Status.SUCCEEDED
        )
    )
    report.deliveries += delete_in_batches(
        WebhookDelivery.objects.filter(
            created_at__lt=failed_kept_since, status=WebhookDelivery.Status.FAILED
        )
    )
    has_deliveries = WebhookDelivery.objects.filter(event_id=OuterRef("pk"))
    report.events = delete_in_batches(
        WebhookEvent.objects.filter(created_at__lt=kept_since).filter(~Exists(has_deliveries))
    )
    endpoint_has_deliveries = WebhookDelivery.objects.filter(endpoint_id=OuterRef("pk"))
    report.endpoints = delete_in_batches(
        WebhookEndpoint.objects.filter(deleted_at__isnull=False).filter(
            ~Exists(endpoint_has_deliveries)
        )
    )
    return report
