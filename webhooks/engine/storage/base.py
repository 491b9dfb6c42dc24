"""What every storage backend does: the engine's steps that touch the database.

Where the database can, a transaction that claims or writes outcomes commits without waiting
for its WAL record to reach the disk (see `outcomes.outcomes_record` for why at-least-once
still holds). The SQLite backend is the plain ORM path; the PostgreSQL one does each step in
one statement.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from ...models import WebhookDeliveryAttempt
from ..claims import Claim
from ..lanes import Lane

# Due deliveries of an endpoint are counted up to this many: more is "a lot" to the lanes.
DUE_COUNT_BOUND = 512


class Storage:
    """The engine's database steps; a backend implements each for its database."""

    # Whether outcomes may be written on a second connection while claims go on
    # (engine/recorder.py): not where the database has one writer at a time.
    concurrent_writers = False

    def due_lanes(self, *, now: datetime) -> list[Lane]:
        """Return the endpoints with deliveries due at `now` and not leased, with their limits."""
        raise NotImplementedError

    def claim_due(self, *, quotas: dict[int, int], now: datetime, lease: datetime) -> list[Claim]:
        """Lease up to `quotas[endpoint_id]` due deliveries of each endpoint until `lease`.

        Each endpoint's oldest due first; atomic by itself.
        """
        raise NotImplementedError

    def record(self, *, deliveries: Sequence[Claim], attempts: list[dict[str, Any]]) -> None:
        """Write a batch's outcomes and attempts; atomic by itself."""
        with transaction.atomic():
            self.outcomes_write(deliveries=deliveries)
            if attempts:
                self.attempts_write(attempts=attempts)

    def outcomes_write(self, *, deliveries: Sequence[Claim]) -> None:
        """Write the new state of every delivery of a batch, while its lease is still ours."""
        raise NotImplementedError

    def successors_defer(self, *, delivery_ids: list[int], window_seconds: float) -> None:
        """Defer the deliveries behind these retrying ones to the end of their retry window."""

    def successors_release(self, *, delivery_ids: list[int], now: datetime) -> None:
        """Make the deliveries behind these finished ones due now."""

    def attempts_write(self, *, attempts: list[dict[str, Any]]) -> None:
        """Insert a batch's attempts, each with its event's body as the request body it sent."""
        raise NotImplementedError

    def duration_percentiles(
        self, *, attempts: QuerySet[WebhookDeliveryAttempt], fractions: list[float]
    ) -> tuple[int, list[int | None]]:
        """Return how many `attempts` there are and their durations at each of `fractions`."""
        raise NotImplementedError

    def attempt_buckets(
        self,
        *,
        attempts: QuerySet[WebhookDeliveryAttempt],
        since: datetime,
        bucket_seconds: int,
        fractions: list[float],
    ) -> dict[int, tuple[int, int, list[int | None]]]:
        """Return, per bucket index since `since`, the attempts, how many got a 2xx, and their
        durations at each of `fractions`; buckets without attempts are left out."""
        raise NotImplementedError
