"""Celery entry points of the delivery engine: a nudged dispatcher and a periodic sweeper.

Retries are never Celery ETA tasks: their due time is `next_attempt_at` in the database and
the sweeper finds them, so a lost message or a killed worker loses nothing.
"""

import logging
import time

from celery import shared_task
from celery.signals import worker_process_shutdown
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from omniflow import metrics

from . import health, replays, services
from .engine import transport
from .engine.dispatch import deliveries_dispatch
from .engine.wakeup import nudge_flag_clear, request_dispatch
from .models import WebhookReplayJob

logger = logging.getLogger(__name__)


# Early ack: a message here is only a wake-up call, the work itself is in the database, so a
# lost message costs nothing; and no unacked message is left for the broker client to restore
# when the connection to Redis drops (kombu's restore path then kills the worker).
@shared_task(name="webhooks.dispatch", ignore_result=True, acks_late=False)
def dispatch() -> int:
    """Send every due delivery, in batches, until none is left."""
    # Cleared before the first claim, so an event committed from now on nudges again and one
    # committed before is seen by this run: no event waits for the sweeper by bad luck.
    nudge_flag_clear()
    # More due than one batch: let an idle worker process join in.
    try:
        return deliveries_dispatch(
            on_full_batch=_more_due, time_budget_seconds=_lease_seconds()
        ).deliveries
    finally:
        metrics.flush()


_last_heartbeat = 0.0


def _more_due() -> None:
    """A batch came back full: ask for help, and tell the probe the queue is being worked.

    While every worker process is busy with a backlog, sweeps wait and expire unrun; the
    heartbeat must not then go stale as if the engine had stopped (written once a second at
    most per process: it is one row every process writes).
    """
    global _last_heartbeat
    request_dispatch()
    if time.monotonic() - _last_heartbeat >= 1.0:
        _last_heartbeat = time.monotonic()
        services.sweeper_heartbeat_record()


@shared_task(name="webhooks.sweep", ignore_result=True, acks_late=False)
def sweep() -> int:
    """Send whatever is due that no nudge picked up: retries, and work of crashed workers."""
    services.sweeper_heartbeat_record()
    _requeue_stalled_replay_jobs()
    _endpoint_health_tick()
    try:
        return deliveries_dispatch(
            on_full_batch=_more_due, time_budget_seconds=_lease_seconds()
        ).deliveries
    finally:
        metrics.flush()


@shared_task(name="webhooks.prune", ignore_result=True)
def prune() -> int:
    """Delete delivery history older than the retention periods."""
    return services.history_prune().total


def _lease_seconds() -> float:
    # A run claims no new batch after one lease: a worker told to stop (SIGTERM waits for the
    # running task) then exits within about two leases however long the backlog; a full last
    # batch has already asked for the next run.
    return float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS) + float(
        settings.OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS
    )


# The stalled-job check runs at most this often, however often the sweeper does.
REPLAY_JOB_CHECK_FLAG = "webhooks:replay-jobs-checked"
REPLAY_JOB_CHECK_SECONDS = 30


def _requeue_stalled_replay_jobs() -> None:
    try:
        if cache.add(REPLAY_JOB_CHECK_FLAG, 1, REPLAY_JOB_CHECK_SECONDS):
            replays.replay_jobs_requeue_stalled()
    except Exception:
        logger.warning("Webhooks: could not look for stalled replay jobs.", exc_info=True)


def _endpoint_health_tick() -> None:
    """Start the probes of disabled endpoints that are due; release held stragglers."""
    try:
        now = timezone.now()
        health.probes_start(now=now)
        health.held_stragglers_release(now=now)
    except Exception:
        logger.warning("Webhooks: could not probe disabled endpoints.", exc_info=True)


@worker_process_shutdown.connect
def _close_connection_pool(**kwargs) -> None:
    transport.close()


@shared_task(name="webhooks.endpoint_notice", ignore_result=True)
def endpoint_notice(endpoint_id: int, kind: str) -> int:
    """Email the workspace's admins that an endpoint was disabled or recovered."""
    return health.admins_notify(endpoint_id=endpoint_id, kind=kind)


@shared_task(name="webhooks.replay_job", ignore_result=True)
def replay_job(job_id: int) -> int:
    """Run a bulk replay job to its end; return how many deliveries it replayed."""
    try:
        return replays.replay_job_run(job_id=job_id).done
    except WebhookReplayJob.DoesNotExist:
        # Its workspace was deleted meanwhile: nothing is left to replay.
        logger.info("Webhooks: replay job %s no longer exists.", job_id)
        return 0
    except Exception as error:
        replays.replay_job_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
