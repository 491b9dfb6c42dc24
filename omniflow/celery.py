"""The Celery app `omniflow`: `celery -A omniflow worker --beat` runs all background work."""

import logging
import os

from celery import Celery, bootsteps
from celery.signals import beat_embedded_init, beat_init
from celery.worker import state as worker_state

from omniflow.vendor_adapters.kombu_redis import closed_channel_raise_connection_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omniflow.settings")

logger = logging.getLogger(__name__)

app = Celery("omniflow")
# A worker holding a late-acked task when Redis goes away must reconnect, not die.
closed_channel_raise_connection_error()
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# How often a worker checks that the beat it embeds is still alive.
BEAT_CHECK_SECONDS = 1.0
# Exit status of a worker that stopped because its beat died (EX_SOFTWARE): non-zero, so a
# supervisor (systemd, Docker's restart policy, Kubernetes) starts it again, beat included.
BEAT_DIED_EXIT_STATUS = 70


class BeatWatch(bootsteps.StartStopStep):
    """Stop the worker when the beat it embeds (`--beat`) has died.

    Without beat nothing sends retries or takes over a crashed worker's leases, yet the worker
    would keep consuming nudges and look healthy. Exiting lets the supervisor restart both.
    """

    requires = ("celery.worker.components:Timer", "celery.worker.components:Beat")

    def __init__(self, worker, **kwargs):
        self.timer_entry = None
        super().__init__(worker, **kwargs)

    def start(self, worker):
        if worker.beat is not None:
            self.timer_entry = worker.timer.call_repeatedly(
                BEAT_CHECK_SECONDS, self.check, (worker,), priority=10
            )

    def check(self, worker):
        beat = worker.beat
        if beat is None or beat.is_alive() or worker_state.should_stop is not None:
            return
        logger.critical(
            "Beat (pid %s) exited with status %s: stopping this worker so that its supervisor "
            "restarts it with a beat.",
            beat.pid,
            beat.exitcode,
        )
        worker_state.should_stop = BEAT_DIED_EXIT_STATUS

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()


app.steps["worker"].add(BeatWatch)


@beat_embedded_init.connect
def _log_beat_pid(**kwargs) -> None:
    # Operators (and the test that kills beat) find the beat process by this line.
    logger.info("Beat is running in process %s.", os.getpid())


# Tasks that run hourly or less often, sent once when beat starts too: an in-memory schedule
# starts each interval afresh, and workers restarted more often than that (deploys) would
# otherwise never run them. Cheap when there is nothing to do. The sweep too, so that its
# heartbeat (Settings' "no worker" banner, `/readyz?worker=1`) is current from the start.
RUN_AT_BEAT_START = ("webhooks.sweep", "webhooks.prune", "inbound.prune")


@beat_init.connect
def _run_infrequent_tasks_now(sender, **kwargs) -> None:
    for name in RUN_AT_BEAT_START:
        sender.app.send_task(name)
