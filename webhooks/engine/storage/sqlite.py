"""The engine's steps on SQLite (the embedded default): the plain ORM.

One embedded worker, writers serialised by SQLite anyway: no SKIP LOCKED to reach for, and its
claims walk few rows, so deferring queued successors would gain nothing (the base's no-ops).
"""

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from ...models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from ..claims import CLAIMED, RECORDED, Claim, due_deliveries
from ..lanes import Lane
from .base import DUE_COUNT_BOUND, Storage


def _orm_value(delivery: WebhookDelivery, relation: str, column: str) -> Any:
    owner = delivery if relation == "delivery" else getattr(delivery, relation)
    return getattr(owner, column)


class DatabaseStorage(Storage):
    def due_lanes(self, *, now: datetime) -> list[Lane]:
        due = Counter(due_deliveries(now).order_by().values_list("endpoint_id", flat=True))
        return [
            Lane(*row, due=min(due[row[0]], DUE_COUNT_BOUND))
            for row in WebhookEndpoint.objects.filter(id__in=due)
            .order_by("id")
            .values_list("id", "max_in_flight", "rate_limit_per_second")
        ]

    def claim_due(self, *, quotas: dict[int, int], now: datetime, lease: datetime) -> list[Claim]:
        with transaction.atomic():
            return self._claim_due(quotas=quotas, now=now, lease=lease)

    def _claim_due(self, *, quotas: dict[int, int], now: datetime, lease: datetime) -> list[Claim]:
        rows = [
            row
            for endpoint_id, quota in quotas.items()
            for row in due_deliveries(now)
            .filter(endpoint_id=endpoint_id)
            .select_related("event", "endpoint")[:quota]
        ]
        claims = [
            Claim(*(_orm_value(row, relation, column) for _, relation, column in CLAIMED))
            for row in rows
        ]
        for claim in claims:
            claim.claimed_until = lease
        WebhookDelivery.objects.filter(id__in=[c.id for c in claims]).update(locked_until=lease)
        return claims

    def outcomes_write(self, *, deliveries: Sequence[Claim]) -> None:
        WebhookDelivery.objects.bulk_update(
            [
                WebhookDelivery(id=d.id, **{name: getattr(d, name) for name in RECORDED})
                for d in deliveries
            ],
            RECORDED,
        )

    def attempts_write(self, *, attempts: list[dict[str, Any]]) -> None:
        bodies = dict(
            WebhookDelivery.objects.filter(
                id__in={attempt["delivery_id"] for attempt in attempts}
            ).values_list("id", "event__body")
        )
        WebhookDeliveryAttempt.objects.bulk_create(
            WebhookDeliveryAttempt(**attempt, request_body=bodies[attempt["delivery_id"]])
            for attempt in attempts
        )

    def duration_percentiles(
        self, *, attempts: QuerySet[WebhookDeliveryAttempt], fractions: list[float]
    ) -> tuple[int, list[int | None]]:
        durations = sorted(attempts.values_list("duration_ms", flat=True))
        if not durations:
            return 0, [None] * len(fractions)
        return len(durations), [
            durations[max(0, math.ceil(fraction * len(durations)) - 1)] for fraction in fractions
        ]

    def attempt_buckets(
        self,
        *,
        attempts: QuerySet[WebhookDeliveryAttempt],
        since: datetime,
        bucket_seconds: int,
        fractions: list[float],
    ) -> dict[int, tuple[int, int, list[int | None]]]:
        grouped: dict[int, list[tuple[int, bool]]] = {}
        rows = attempts.values_list("created_at", "duration_ms", "response_status_code")
        for created_at, duration, status in rows:
            index = int((created_at - since).total_seconds() // bucket_seconds)
            ok = status is not None and 200 <= status < 300
            grouped.setdefault(index, []).append((duration, ok))
        buckets = {}
        for index, found in grouped.items():
            durations = sorted(duration for duration, _ in found)
            buckets[index] = (
                len(found),
                sum(ok for _, ok in found),
                [durations[max(0, math.ceil(f * len(durations)) - 1)] for f in fractions],
            )
        return buckets
