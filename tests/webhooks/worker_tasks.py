"""Tasks only the worker tests send; a test's worker imports this module with `--include`."""

import time

from celery import shared_task
from celery.utils.log import get_task_logger

logger = get_task_logger(__name__)


@shared_task(name="tests.sleep", ignore_result=True, acks_late=True)
def sleep(seconds: float) -> None:
    """Hold an unacknowledged message for `seconds` (late ack: acked when it returns)."""
    # The worker's log says so: "received" only means prefetched, not yet running.
    logger.warning("sleeping %s s", seconds)
    time.sleep(seconds)
