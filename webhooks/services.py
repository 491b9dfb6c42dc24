"""Writes of the webhooks app: endpoints, their secrets, and replays."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef
from django.utils import timezone

from omniflow.crypto import decrypt_secret, encrypt_secret
from omniflow.retention import delete_in_batches, retention_days
from omniflow.sentinels import UNSET
from workspaces.models import Workspace

from .destinations import validate_url
from .events import CATALOGUE, nudge_after_commit
from .models import (
    UNFINISHED_STATUSES,
    SweeperHeartbeat,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookReplayJob,
)
from .selectors import deliveries_to_replay
from .signing import generate_secret

logger = logging.getLogger(__name__)


def _clean_url(url: str) -> str:
    try:
        validate_url(url)
    except ValueError as exc:
        raise ValidationError({"url": [str(exc)]}) from exc
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


def endpoint_create(
    *,
    workspace: Workspace,
    url: str,
    event_types: list[str],
    description: str = "",
    enabled: bool = True,
    secret: str | None = None,
) -> WebhookEndpoint:
    """Create an endpoint; a secret is generated unless one is given ('' for none)."""
    return WebhookEndpoint.objects.create(
        workspace=workspace,
        url=_clean_url(url),
        event_types=_clean_event_types(event_types),
        description=description,
        enabled=enabled,
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
) -> WebhookEndpoint:
    """Change the given fields of an endpoint."""
    if url is not None:
        endpoint.url = _clean_url(url)
    if event_types is not None:
        endpoint.event_types = _clean_event_types(event_types)
    if description is not None:
        endpoint.description = description
    if enabled is not None:
        endpoint.enabled = enabled
    if secret is not UNSET:
        # A secret set by hand replaces the old one at once: no overlap (that is rotation's).
        endpoint.secret_encrypted = encrypt_secret(secret=str(secret or ""))
        endpoint.secret_created_at = timezone.now()
        _previous_secret_forget(endpoint)
    endpoint.save()
    return endpoint


ENDPOINT_DELETED_ERROR = "The endpoint was deleted."


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint: it stops receiving events, its delivery history stays.

    The row is kept, disabled and marked deleted (gone from the pages and the API), so the
    deliveries log still shows what was sent to it until retention prunes them; deliveries
    still waiting fail now rather than at their next turn.
    """
    now = timezone.now()
    endpoint.enabled = False
    endpoint.deleted_at = now
    endpoint.save(update_fields=["enabled", "deleted_at", "updated_at"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status__in=UNFINISHED_STATUSES).update(
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


def _replays_of(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    now = timezone.now()
    return [
        WebhookDelivery(
            event_id=delivery.event_id,
            endpoint_id=delivery.endpoint_id,
            workspace_id=delivery.workspace_id,
            event_type=delivery.event_type,
            resource_type=delivery.resource_type,
            resource_id=delivery.resource_id,
            replay_of=delivery,
            next_attempt_at=now,
            created_at=now,
        )
        for delivery in deliveries
    ]


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event to its endpoint again, now: a new delivery, same event id.

    A new delivery id, because consumers drop repeats of one; it is signed with the secret
    the endpoint has when it is sent, and queued behind the resource's unfinished deliveries.
    """
    (replay,) = WebhookDelivery.objects.bulk_create(_replays_of([delivery]))
    nudge_after_commit()
    return replay


@transaction.atomic
def deliveries_replay_failed(
    *,
    workspace: Workspace,
    endpoint_id: int | None = None,
    event_type: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> int:
    """Replay the failed deliveries matching the filters that no replay followed yet.

    The set is `deliveries_to_replay`'s, so the count a Settings page confirms is what is
    replayed; a delivery already replayed is skipped, so an event is never sent twice by it.
    """
    failed = (
        deliveries_to_replay(
            workspace=workspace,
            endpoint_id=endpoint_id,
            event_type=event_type,
            resource_type=resource_type,
            resource_id=resource_id,
            created_after=created_after,
            created_before=created_before,
        )
        # Only what a replay row copies: not the events' bodies.
        .select_related(None)
        .only(
            "id",
            "event_id",
            "endpoint_id",
            "workspace_id",
            "event_type",
            "resource_type",
            "resource_id",
        )
        .order_by("id")
    )
    replays = WebhookDelivery.objects.bulk_create(_replays_of(list(failed)), batch_size=1000)
    if replays:
        nudge_after_commit()
    return len(replays)


# Replays written per transaction by a replay job: small enough that the progress a page
# shows moves steadily, large enough that a million failed deliveries take no hour.
REPLAY_JOB_BATCH_SIZE = 500
_REPLAY_COPIED_FIELDS = (
    "id",
    "event_id",
    "endpoint_id",
    "workspace_id",
    "event_type",
    "resource_type",
    "resource_id",
)


def _filters_to_json(filters: dict) -> dict:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in filters.items()
        if value not in (None, "")
    }


def _filters_from_json(filters: dict) -> dict:
    return {
        name: datetime.fromisoformat(value) if name.startswith("created_") else value
        for name, value in filters.items()
    }


def replay_job_create(
    *,
    workspace: Workspace,
    endpoint_id: int | None = None,
    event_type: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> WebhookReplayJob:
    """Queue a background replay of the failed deliveries matching the filters.

    The job takes what `deliveries_to_replay` matches now (the count a page confirmed), up to
    the newest such delivery: what fails later is not in it.
    """
    filters = dict(
        endpoint_id=endpoint_id,
        event_type=event_type,
        resource_type=resource_type,
        resource_id=resource_id,
        created_after=created_after,
        created_before=created_before,
    )
    with transaction.atomic():
        matching = deliveries_to_replay(workspace=workspace, **filters)
        summary = (
            matching.select_related(None).order_by().aggregate(up_to=Max("id"), total=Count("id"))
        )
        job = WebhookReplayJob.objects.create(
            workspace=workspace,
            filters=_filters_to_json(filters),
            up_to_delivery_id=summary["up_to"] or 0,
            total=summary["total"],
        )
        transaction.on_commit(lambda: _queue_replay_job(job.id))
    return job


def _queue_replay_job(job_id: int) -> None:
    # Imported here: the tasks module imports this one.
    from .tasks import replay_job

    try:
        replay_job.apply_async(args=[job_id], retry=False)
    except Exception:
        logger.warning("Webhooks: could not queue replay job %s.", job_id, exc_info=True)


# A job still queued this long after its creation lost its message (Redis down at commit).
REPLAY_JOB_STALLED_SECONDS = 60


def replay_jobs_requeue_stalled() -> int:
    """Queue again the replay jobs whose message was lost; return how many.

    Running a job twice is safe (see `replay_job_run`), so a job queued again that was merely
    waiting behind other tasks costs one extra task that finds nothing left to do.
    """
    stalled = WebhookReplayJob.objects.filter(
        status=WebhookReplayJob.Status.QUEUED,
        created_at__lt=timezone.now() - timedelta(seconds=REPLAY_JOB_STALLED_SECONDS),
    ).values_list("id", flat=True)[:100]
    for job_id in stalled:
        _queue_replay_job(job_id)
    return len(stalled)


def replay_job_run(*, job_id: int) -> WebhookReplayJob:
    """Replay the job's deliveries batch by batch, counting progress, until none is left.

    Safe to run again (a redelivered task): each batch holds the job's row lock and takes
    only deliveries no replay followed yet, so no event is replayed twice by a job.
    """
    while True:
        with transaction.atomic():
            job = WebhookReplayJob.objects.select_for_update().get(id=job_id)
            if job.finished:
                return job
            if job.status == WebhookReplayJob.Status.QUEUED:
                job.status = WebhookReplayJob.Status.RUNNING
                job.started_at = timezone.now()
            batch = list(
                deliveries_to_replay(workspace=job.workspace, **_filters_from_json(job.filters))
                .filter(id__lte=job.up_to_delivery_id)
                .select_related(None)
                .only(*_REPLAY_COPIED_FIELDS)
                .order_by("id")[:REPLAY_JOB_BATCH_SIZE]
            )
            if batch:
                WebhookDelivery.objects.bulk_create(_replays_of(batch))
                job.done += len(batch)
                nudge_after_commit()
            if len(batch) < REPLAY_JOB_BATCH_SIZE:
                job.status = WebhookReplayJob.Status.SUCCEEDED
                job.finished_at = timezone.now()
                # Deliveries replayed by hand meanwhile were skipped, not sent twice: the
                # job is complete with what it did.
                job.total = job.done
            job.save()
        if job.finished:
            return job


def replay_job_fail(*, job_id: int, error: str) -> None:
    """Mark a replay job failed (what it replayed so far stays replayed)."""
    WebhookReplayJob.objects.filter(id=job_id).exclude(
        status=WebhookReplayJob.Status.SUCCEEDED
    ).update(status=WebhookReplayJob.Status.FAILED, error=error, finished_at=timezone.now())


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
    Status = WebhookDelivery.Status
    report = PruneReport()
    # Both filters walk webhook_delivery_created_idx.
    report.deliveries += delete_in_batches(
        WebhookDelivery.objects.filter(created_at__lt=kept_since, status=Status.SUCCEEDED)
    )
    report.deliveries += delete_in_batches(
        WebhookDelivery.objects.filter(created_at__lt=failed_kept_since, status=Status.FAILED)
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
