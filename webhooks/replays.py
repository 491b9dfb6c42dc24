"""Writes of replays: one delivery again, the failed ones matching a filter, and the background
replay jobs that do the same for many deliveries in batches."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from omniflow.exceptions import Conflict
from omniflow.queueing import enqueue
from workspaces.models import Workspace

from .events import nudge_after_commit
from .models import WebhookDelivery, WebhookEndpoint, WebhookReplayJob
from .selectors import deliveries_to_replay

logger = logging.getLogger(__name__)


def _replays_of(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    now = timezone.now()
    # A replay to a paused or disabled endpoint is held with the rest of its backlog.
    paused_or_disabled = set(
        WebhookEndpoint.objects.filter(id__in={d.endpoint_id for d in deliveries})
        .exclude(state=WebhookEndpoint.State.ACTIVE)
        .values_list("id", flat=True)
    )
    return [
        WebhookDelivery(
            event_id=delivery.event_id,
            endpoint_id=delivery.endpoint_id,
            workspace_id=delivery.workspace_id,
            event_type=delivery.event_type,
            resource_type=delivery.resource_type,
            resource_id=delivery.resource_id,
            replay_of=delivery,
            status=WebhookDelivery.Status.HELD
            if delivery.endpoint_id in paused_or_disabled
            else WebhookDelivery.Status.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        for delivery in deliveries
    ]


class EndpointDeleted(Conflict):
    """A replay to an endpoint that was deleted: nothing could be sent."""

    type_ = "endpoint_deleted"
    title = "Endpoint deleted."

    def __init__(self, endpoint_id: int) -> None:
        super().__init__(
            f"Endpoint {endpoint_id} was deleted: its deliveries stay in the log but cannot be "
            "replayed. Create an endpoint for the URL again to receive new events."
        )


def _endpoint_deleted(endpoint_id: int) -> bool:
    return WebhookEndpoint.objects.filter(id=endpoint_id, deleted_at__isnull=False).exists()


def endpoint_replayable_or_refuse(*, endpoint_id: int | None) -> None:
    """Raise EndpointDeleted if a replay names an endpoint that was deleted."""
    if endpoint_id is not None and _endpoint_deleted(endpoint_id):
        raise EndpointDeleted(endpoint_id)


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event to its endpoint again, now: a new delivery, same event id.

    A new delivery id, because consumers drop repeats of one; it is signed with the secret
    the endpoint has when it is sent, and queued behind the resource's unfinished deliveries.
    A deleted endpoint's delivery is refused (EndpointDeleted): it would only fail.
    """
    if _endpoint_deleted(delivery.endpoint_id):
        raise EndpointDeleted(delivery.endpoint_id)
    (replay,) = WebhookDelivery.objects.bulk_create(_replays_of([delivery]))
    nudge_after_commit()
    return replay


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
    the newest such delivery: what fails later is not in it. Deleted endpoints' deliveries are
    never in it; asking for a deleted endpoint's is refused (EndpointDeleted).
    """
    endpoint_replayable_or_refuse(endpoint_id=endpoint_id)
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
    try:
        # By name: the tasks module imports this one.
        enqueue("webhooks.replay_job", args=(job_id,), retry=False)
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
