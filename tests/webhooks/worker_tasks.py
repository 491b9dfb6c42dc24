"""Tasks only the worker tests send; a test's worker imports this module with `--include`."""

import time

from celery import shared_task


@shared_task(name="tests.sleep", ignore_result=True, acks_late=True)
def sleep(seconds: float) -> None:
    """Hold an unacknowledged message for `seconds` (late ack: acked when it returns)."""
    time.sleep(seconds)
