"""Endpoint health: active, paused (by an admin), disabled (by the engine), and back.

While an endpoint is paused or disabled its deliveries are held (status `held`): not sent,
not failed, their retry window not running, and in none of the engine's claim indexes, so a
long backlog behind a dead endpoint costs the claims nothing. When the endpoint is active
again they are released: due now, the window restarting, out in per-resource order (the
claim's own ordering rule). A disabled endpoint is probed with its oldest held delivery on a
backoff (`OMNIFLOW_WEBHOOK_PROBE_SECONDS`, doubling to 24 h); the first success re-enables
it. The engine calls `endpoint_disable` and `endpoint_recover` (webhooks/engine/health.py);
admins call `endpoint_pause` and `endpoint_resume`.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from omniflow.queueing import enqueue
from workspaces.models import Membership

from .events import nudge_after_commit
from .models import UNFINISHED_STATUSES, WebhookDelivery, WebhookEndpoint
from .models import WebhookEndpointHistoryEntry as History

logger = logging.getLogger(__name__)

State = WebhookEndpoint.State
Status = WebhookDelivery.Status
ENGINE_ACTOR = "engine"
MAX_PROBE_INTERVAL_SECONDS = 24 * 3600
# A delivery emitted while its endpoint was paused, committed just after a resume, is held on
# an active endpoint: the sweeper releases such stragglers of endpoints resumed this recently.
RECENTLY_ACTIVE = timedelta(minutes=10)
STATE_FIELDS = [
    "state",
    "state_reason",
    "state_changed_at",
    "failing_since",
    "probe_at",
    "probe_interval_seconds",
    "updated_at",
]


def deliveries_hold(*, endpoint_id: int) -> int:
    """Hold every unfinished delivery of the endpoint; return how many.

    A delivery in flight keeps its lease: its outcome is still written, and if it is to be
    retried, its next claim holds it again (see webhooks/engine/health.py).
    """
    return WebhookDelivery.objects.filter(
        endpoint_id=endpoint_id, status__in=UNFINISHED_STATUSES
    ).update(status=Status.HELD)


def deliveries_release(*, endpoint_id: int, now: datetime) -> int:
    """Make the endpoint's held deliveries due now, each retry window starting afresh."""
    released = WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=Status.HELD).update(
        status=Case(
            When(attempt_count__gt=0, then=Value(Status.RETRYING)),
            default=Value(Status.PENDING),
        ),
        # The 24-hour window runs from the first attempt: unset, the next attempt starts it.
        first_attempted_at=None,
        next_attempt_at=now,
        failed_at=None,
    )
    if released:
        nudge_after_commit()
    return released


def _history(endpoint: WebhookEndpoint, kind: str, *, detail: str, actor: str) -> None:
    History.objects.create(
        workspace_id=endpoint.workspace_id,
        endpoint=endpoint,
        kind=kind,
        detail=detail[:500],
        actor=actor[:200],
    )


def _set_state(endpoint: WebhookEndpoint, state: str, *, reason: str, now: datetime) -> None:
    endpoint.state = state
    endpoint.state_reason = reason[:500]
    endpoint.state_changed_at = now
    endpoint.failing_since = None
    endpoint.probe_at = None
    endpoint.probe_interval_seconds = 0
    if state == State.DISABLED:
        endpoint.probe_interval_seconds = _first_probe_interval()
        endpoint.probe_at = now + timedelta(seconds=endpoint.probe_interval_seconds)
    endpoint.save(update_fields=STATE_FIELDS)


def _first_probe_interval() -> int:
    return max(1, int(settings.OMNIFLOW_WEBHOOK_PROBE_SECONDS))


def _transition(
    endpoint_id: int, *, into: str, allowed_from: tuple[str, ...], reason: str, now: datetime
) -> tuple[WebhookEndpoint | None, int]:
    """Move the locked endpoint into `into` from one of `allowed_from`, holding its deliveries
    (paused, disabled) or releasing them (active); return it and how many moved (None, 0 when
    it was not in a state it may leave so, or is deleted)."""
    endpoint = (
        WebhookEndpoint.objects.select_for_update()
        .filter(id=endpoint_id, deleted_at__isnull=True, state__in=allowed_from)
        .first()
    )
    if endpoint is None:
        return None, 0
    _set_state(endpoint, into, reason=reason, now=now)
    if into == State.ACTIVE:
        return endpoint, deliveries_release(endpoint_id=endpoint.id, now=now)
    return endpoint, deliveries_hold(endpoint_id=endpoint.id)


@transaction.atomic
def endpoint_pause(*, endpoint: WebhookEndpoint, actor: str) -> WebhookEndpoint:
    """Pause an endpoint: its events are held until it is resumed (it is never probed)."""
    paused, held = _transition(
        endpoint.id,
        into=State.PAUSED,
        allowed_from=(State.ACTIVE, State.DISABLED),
        reason=f"Paused by {actor}.",
        now=timezone.now(),
    )
    if paused is None:
        return _current(endpoint)
    _history(paused, History.Kind.PAUSED, detail=f"{held} deliveries held.", actor=actor)
    return paused


@transaction.atomic
def endpoint_resume(*, endpoint: WebhookEndpoint, actor: str) -> WebhookEndpoint:
    """Resume a paused or disabled endpoint: its held deliveries go out now, in order."""
    resumed, released = _transition(
        endpoint.id,
        into=State.ACTIVE,
        allowed_from=(State.PAUSED, State.DISABLED),
        reason="",
        now=timezone.now(),
    )
    if resumed is None:
        return _current(endpoint)
    detail = f"{released} held deliveries released."
    _history(resumed, History.Kind.RESUMED, detail=detail, actor=actor)
    return resumed


def _current(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    endpoint.refresh_from_db(fields=STATE_FIELDS)
    return endpoint


@transaction.atomic
def endpoint_disable(*, endpoint_id: int, reason: str, now: datetime) -> bool:
    """Disable an active endpoint (the engine's call); tell its workspace's admins."""
    endpoint, held = _transition(
        endpoint_id, into=State.DISABLED, allowed_from=(State.ACTIVE,), reason=reason, now=now
    )
    if endpoint is None:
        return False
    _history(
        endpoint,
        History.Kind.DISABLED,
        detail=f"{reason} {held} deliveries held; probing every "
        f"{duration_text(seconds=endpoint.probe_interval_seconds)}, doubling to 24 hours.",
        actor=ENGINE_ACTOR,
    )
    logger.warning("Webhooks: disabled endpoint %s: %s", endpoint.id, reason)
    _admins_notify_on_commit(endpoint, History.Kind.DISABLED)
    return True


@transaction.atomic
def endpoint_recover(*, endpoint_id: int, now: datetime) -> bool:
    """Re-enable a disabled endpoint after a probe succeeded; its held backlog flows."""
    endpoint, released = _transition(
        endpoint_id, into=State.ACTIVE, allowed_from=(State.DISABLED,), reason="", now=now
    )
    if endpoint is None:
        return False
    _history(
        endpoint,
        History.Kind.RECOVERED,
        detail=f"A probe succeeded; {released} held deliveries released.",
        actor=ENGINE_ACTOR,
    )
    logger.info("Webhooks: endpoint %s recovered", endpoint.id)
    _admins_notify_on_commit(endpoint, History.Kind.RECOVERED)
    return True


def duration_text(*, seconds: int) -> str:
    """Return a wait as people say it: "1 hour", "5 days", "90 s"."""
    if seconds % 86400 == 0 and seconds >= 86400:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def probes_start(*, now: datetime) -> int:
    """Send the oldest held delivery of each disabled endpoint whose probe is due; return how many.

    The next probe is scheduled at once, its wait doubled (at most 24 h): a probe lost with
    its worker delays the next one only by the backoff.
    """
    held = WebhookDelivery.objects.filter(endpoint_id=OuterRef("pk"), status=Status.HELD)
    started = 0
    with transaction.atomic():
        due = list(
            WebhookEndpoint.objects.select_for_update(skip_locked=True)
            .filter(state=State.DISABLED, deleted_at__isnull=True, probe_at__lte=now)
            .filter(Exists(held))
            .order_by("probe_at")[:100]
        )
        for endpoint in due:
            started += _probe_start(endpoint, now=now)
    return started


def _probe_start(endpoint: WebhookEndpoint, *, now: datetime) -> int:
    probe = (
        WebhookDelivery.objects.filter(endpoint_id=endpoint.id, status=Status.HELD)
        .order_by("id")
        .values_list("id", "attempt_count")
        .first()
    )
    if probe is None:
        return 0
    probe_id, attempt_count = probe
    WebhookDelivery.objects.filter(id=probe_id, status=Status.HELD).update(
        status=Status.RETRYING if attempt_count else Status.PENDING,
        next_attempt_at=now,
        locked_until=None,
    )
    # The wait before this probe, doubled, is the wait before the next.
    interval = max(endpoint.probe_interval_seconds, _first_probe_interval())
    endpoint.probe_interval_seconds = min(interval * 2, MAX_PROBE_INTERVAL_SECONDS)
    endpoint.probe_at = now + timedelta(seconds=endpoint.probe_interval_seconds)
    endpoint.save(update_fields=["probe_at", "probe_interval_seconds", "updated_at"])
    nudge_after_commit()
    return 1


@transaction.atomic
def held_stragglers_release(*, now: datetime) -> int:
    """Release deliveries held on endpoints that are active again (emitted during a resume)."""
    endpoints = WebhookEndpoint.objects.filter(
        state=State.ACTIVE, state_changed_at__gte=now - RECENTLY_ACTIVE, deleted_at__isnull=True
    ).values_list("id", flat=True)
    return sum(deliveries_release(endpoint_id=endpoint_id, now=now) for endpoint_id in endpoints)


def _admins_notify_on_commit(endpoint: WebhookEndpoint, kind: str) -> None:
    # A task, so a slow mail server never holds up the engine that made the change.
    endpoint_id = endpoint.id
    transaction.on_commit(lambda: _notice_queue(endpoint_id, kind))


def _notice_queue(endpoint_id: int, kind: str) -> None:
    try:
        enqueue("webhooks.endpoint_notice", args=(endpoint_id, kind), retry=False)
    except Exception:
        logger.warning(
            "Webhooks: could not queue the notice of endpoint %s", endpoint_id, exc_info=True
        )


def admins_notify(*, endpoint_id: int, kind: str) -> int:
    """Email the workspace's admins that the endpoint was disabled or recovered; never raises."""
    try:
        endpoint = WebhookEndpoint.objects.select_related("workspace").get(id=endpoint_id)
        recipients = sorted(
            {
                email
                for email in Membership.objects.filter(
                    workspace_id=endpoint.workspace_id, role=Membership.Role.ADMIN
                ).values_list("user__email", flat=True)
                if email
            }
        )
        if not recipients:
            return 0
        context = {
            "endpoint": endpoint,
            "kind": kind,
            "page_url": settings.OMNIFLOW_PUBLIC_URL.rstrip("/")
            + reverse("webhooks:endpoint-detail", args=[endpoint.id]),
            "probe_interval": duration_text(seconds=endpoint.probe_interval_seconds or 0),
        }
        verb = "disabled" if kind == History.Kind.DISABLED else "recovered"
        return send_mail(
            subject=f"[Omniflow] Webhook endpoint {verb}: {endpoint.url}"[:200],
            message=render_to_string("webhooks/email/endpoint_health.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        # The state change has committed and is on the Settings pages; mail is a courtesy.
        logger.warning(
            "Webhooks: could not email admins about endpoint %s", endpoint_id, exc_info=True
        )
        return 0
