"""Deleting old history in small batches, so pruning never holds long locks."""

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

PRUNE_BATCH_SIZE = 1000


def retention_days() -> int:
    """Return how many days history is kept (OMNIFLOW_RETENTION_DAYS)."""
    return int(settings.OMNIFLOW_RETENTION_DAYS)


def delete_in_batches(queryset: QuerySet, *, batch_size: int = PRUNE_BATCH_SIZE) -> int:
    """Delete the rows of `queryset`, `batch_size` at a time, each batch its own transaction.

    Each batch locks at most `batch_size` rows for as long as deleting them takes, so the
    workers writing new rows next to them never wait long. The queryset's filter should be
    served by an index (the ids are found again for every batch). Returns the rows deleted,
    cascades not counted.
    """
    model = queryset.model
    deleted = 0
    while True:
        # No ORDER BY: any `batch_size` matching rows will do, and the planner can then walk
        # the filter's index and stop early instead of sorting every match.
        ids = list(queryset.order_by().values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        with transaction.atomic():
            model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
