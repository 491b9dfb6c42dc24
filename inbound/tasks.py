"""Celery entry points of inbound webhooks."""

from celery import shared_task

from . import services


@shared_task(name="inbound.prune", ignore_result=True)
def prune() -> int:
    """Delete inbound receipts older than the retention period."""
    return services.receipts_prune()
