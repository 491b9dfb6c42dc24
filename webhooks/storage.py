"""The engine's reads and writes, the one module that knows which database it talks to.

On PostgreSQL each step is one statement: the claim leases and fetches in one UPDATE … FROM
a SELECT … FOR UPDATE SKIP LOCKED compiled once per process, and outcomes and attempts are
written from one JSON document each (bulk_update's CASE per field and row, or binding typed
arrays, cost more than the HTTP requests at thousands of deliveries a second). SQLite (the
embedded default, one worker, writers serialised anyway) takes the plain ORM path.
"""

import json
import math
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, QuerySet
from django.db.models.expressions import RawSQL

from .claims import CLAIMED, RECORDED, Claim, due_deliveries
from .models import (
    UNFINISHED_STATUSES,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)

Status = WebhookDelivery.Status
DELIVERIES = WebhookDelivery._meta.db_table
EVENTS = WebhookEvent._meta.db_table
ENDPOINTS = WebhookEndpoint._meta.db_table
ATTEMPTS = WebhookDeliveryAttempt._meta.db_table
_ALIASES = {"delivery": "d", "event": "e", "endpoint": "p"}


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _sql_strings(*values: str) -> str:
    """Quote status values (identifiers from the model's choices) as SQL string literals."""
    assert all(value.isidentifier() for value in values)
    return ", ".join(f"'{value}'" for value in values)


def _sql_type(model, name: str) -> str:
    return model._meta.get_field(name).cast_db_type(connection)


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


# --- claim ---------------------------------------------------------------------------------


def claim_due(*, limit: int, now: datetime, lease: datetime) -> list[Claim]:
    """Lease up to `limit` due deliveries until `lease`; run inside a transaction."""
    if not _postgresql():
        # SQLite has no SKIP LOCKED and serialises writers anyway: claim plainly.
        rows = list(due_deliveries(now).select_related("event", "endpoint")[:limit])
        claims = [
            Claim(*(_orm_value(row, relation, column) for _, relation, column in CLAIMED))
            for row in rows
        ]
        for claim in claims:
            claim.claimed_until = lease
        WebhookDelivery.objects.filter(id__in=[c.id for c in claims]).update(locked_until=lease)
        return claims
    with connection.cursor() as cursor:
        # The claim must walk the due index in order and stop after `limit` heads. Right
        # after a burst the row estimates are stale, and the planner then prefers to fetch
        # and sort every due row on each claim: quadratic in the size of the backlog.
        cursor.execute("SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off")
        # SKIP LOCKED lets several workers claim side by side; the lease is set in the same
        # statement, which also returns what sending needs (no model instances: at
        # thousands a second, building them costs more than the query).
        cursor.execute(_claim_sql(limit), [now, *_locking_due_params(limit), lease])
        return [Claim(*row, claimed_until=lease) for row in cursor.fetchall()]


def _orm_value(delivery: WebhookDelivery, relation: str, column: str) -> Any:
    owner = delivery if relation == "delivery" else getattr(delivery, relation)
    return getattr(owner, column)


# The claim's clock, bound once per statement in its own CTE: the due query is compiled by
# the ORM once per process (compiling costs more than a millisecond, paid on every claim
# otherwise) and reads the clock from there, so its own parameters never change.
_CLAIM_CLOCK = RawSQL("(SELECT reading FROM claim_clock)", (), output_field=DateTimeField())


@lru_cache(maxsize=8)
def _locking_due(limit: int) -> tuple[str, tuple]:
    due = due_deliveries(_CLAIM_CLOCK).values("id")
    return due.select_for_update(skip_locked=True, of=("self",))[:limit].query.sql_with_params()


def _locking_due_params(limit: int) -> tuple:
    return _locking_due(limit)[1]


@lru_cache(maxsize=8)
def _claim_sql(limit: int) -> str:
    locking_due, _ = _locking_due(limit)
    returning = ", ".join(f"{_ALIASES[relation]}.{column}" for _, relation, column in CLAIMED)
    # `= ANY(ARRAY(…))` fetches the claimed rows by primary key. Joined to the CTE instead,
    # the planner hashes it against a scan of the whole table (and with the sort disabled
    # above, it has no cheaper plan it likes): a cost that grows with the delivery history,
    # paid on every claim.
    return (
        "WITH claim_clock AS (SELECT %s::timestamptz AS reading), "
        f"due AS ({locking_due}) "
        f"UPDATE {DELIVERIES} AS d SET locked_until = %s "
        f"FROM {EVENTS} AS e, {ENDPOINTS} AS p "
        "WHERE d.id = ANY(ARRAY(SELECT id FROM due)) "
        "AND e.id = d.event_id AND p.id = d.endpoint_id "
        f"RETURNING {returning}"
    )


# --- outcomes ------------------------------------------------------------------------------


def commit_relaxed() -> None:
    """Let this transaction's commit return before its WAL record reaches the disk."""
    if _postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def outcomes_write(*, deliveries: Sequence[Claim]) -> None:
    """Write the new state of every delivery of a batch, while its lease is still ours."""
    if not _postgresql():
        WebhookDelivery.objects.bulk_update(
            [
                WebhookDelivery(id=d.id, **{name: getattr(d, name) for name in RECORDED})
                for d in deliveries
            ],
            RECORDED,
        )
        return
    # JSON because the driver binds one string faster than typed arrays.
    columns = ["id", "claimed_until", *RECORDED]
    rows = [{name: _json_value(getattr(d, name)) for name in columns} for d in deliveries]
    with connection.cursor() as cursor:
        # A worker that overran its lease (stalled, not crashed) must not overwrite the state
        # written by the worker that took the delivery over; its attempt is still recorded.
        cursor.execute(_outcomes_sql(), [json.dumps(rows)])


@lru_cache(maxsize=1)
def _outcomes_sql() -> str:
    types = {name: _sql_type(WebhookDelivery, name) for name in ["id", *RECORDED]}
    # The lease this worker held has the type of the column it is compared with.
    types["claimed_until"] = _sql_type(WebhookDelivery, "locked_until")
    columns = ["id", "claimed_until", *RECORDED]
    record = ", ".join(f"{name} {types[name]}" for name in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in RECORDED)
    return (
        f"UPDATE {DELIVERIES} AS d SET {assignments} "
        f"FROM jsonb_to_recordset(%s::jsonb) AS v({record}) "
        "WHERE d.id = v.id AND d.locked_until = v.claimed_until"
    )


# Deliveries queued behind an unfinished one of the same (endpoint, resource): `s` behind `h`.
_SAME_RESOURCE_BEHIND = (
    "s.endpoint_id = h.endpoint_id AND s.resource_type = h.resource_type "
    "AND s.resource_id = h.resource_id AND s.id > h.id "
    f"AND s.status IN ({_sql_strings(*UNFINISHED_STATUSES)})"
)


def successors_defer(*, delivery_ids: list[int], window_seconds: float) -> None:
    """Defer the deliveries behind these retrying ones to the end of their retry window."""
    if not _postgresql() or not delivery_ids:
        # One embedded worker's claims walk few rows: nothing to gain from deferring.
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {DELIVERIES} AS s SET next_attempt_at = h.first_attempted_at "
            f"+ make_interval(secs => %s) FROM {DELIVERIES} AS h "
            f"WHERE h.id = ANY(%s) AND h.status = {_sql_strings(Status.RETRYING)} "
            f"AND {_SAME_RESOURCE_BEHIND} "
            "AND s.next_attempt_at < h.first_attempted_at + make_interval(secs => %s)",
            [window_seconds, delivery_ids, window_seconds],
        )


def successors_release(*, delivery_ids: list[int], now: datetime) -> None:
    """Make the deliveries behind these finished ones due now."""
    if not _postgresql() or not delivery_ids:
        return
    finished = _sql_strings(Status.SUCCEEDED, Status.FAILED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {DELIVERIES} AS s SET next_attempt_at = %s FROM {DELIVERIES} AS h "
            f"WHERE h.id = ANY(%s) AND h.status IN ({finished}) "
            f"AND {_SAME_RESOURCE_BEHIND} AND s.next_attempt_at > %s",
            [now, delivery_ids, now],
        )


# --- attempts ------------------------------------------------------------------------------


def attempts_write(*, attempts: list[dict[str, Any]]) -> None:
    """Insert a batch's attempts, each with its event's body as the request body it sent.

    The body is copied from the event row by the database rather than carried through
    Python and JSON again.
    """
    if not _postgresql():
        bodies = dict(
            WebhookDelivery.objects.filter(
                id__in={attempt["delivery_id"] for attempt in attempts}
            ).values_list("id", "event__body")
        )
        WebhookDeliveryAttempt.objects.bulk_create(
            WebhookDeliveryAttempt(**attempt, request_body=bodies[attempt["delivery_id"]])
            for attempt in attempts
        )
        return
    rows = [{name: _json_value(value) for name, value in attempt.items()} for attempt in attempts]
    with connection.cursor() as cursor:
        cursor.execute(_attempts_sql(tuple(attempts[0])), [json.dumps(rows)])


@lru_cache(maxsize=1)
def _attempts_sql(names: tuple[str, ...]) -> str:
    record = ", ".join(f"{name} {_sql_type(WebhookDeliveryAttempt, name)}" for name in names)
    selected = ", ".join(f"v.{name}" for name in names)
    return (
        f"INSERT INTO {ATTEMPTS} ({', '.join(names)}, request_body) "
        f"SELECT {selected}, e.body FROM jsonb_to_recordset(%s::jsonb) AS v({record}) "
        f"JOIN {DELIVERIES} AS d ON d.id = v.delivery_id "
        f"JOIN {EVENTS} AS e ON e.id = d.event_id"
    )


# --- statistics ----------------------------------------------------------------------------


def duration_percentiles(
    *, attempts: QuerySet[WebhookDeliveryAttempt], fractions: list[float]
) -> tuple[int, list[int | None]]:
    """Return how many `attempts` there are and their durations at each of `fractions`."""
    if not _postgresql():
        durations = sorted(attempts.values_list("duration_ms", flat=True))
        if not durations:
            return 0, [None] * len(fractions)
        return len(durations), [
            durations[max(0, math.ceil(fraction * len(durations)) - 1)] for fraction in fractions
        ]
    # Counted in the database: a busy endpoint has millions of attempts a month.
    sql, params = attempts.values("duration_ms").order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), percentile_disc(%s::float8[]) WITHIN GROUP "
            f"(ORDER BY t.duration_ms) FROM ({sql}) AS t",
            [fractions, *params],
        )
        count, values = cursor.fetchone()
    return count, values or [None] * len(fractions)


def attempt_buckets(
    *,
    attempts: QuerySet[WebhookDeliveryAttempt],
    since: datetime,
    bucket_seconds: int,
    fractions: list[float],
) -> dict[int, tuple[int, int, list[int | None]]]:
    """Return, per bucket index since `since`, the attempts, how many got a 2xx, and their
    durations at each of `fractions`; buckets without attempts are left out."""
    if not _postgresql():
        grouped: dict[int, list[tuple[int, bool]]] = {}
        for created_at, duration, status in attempts.values_list(
            "created_at", "duration_ms", "response_status_code"
        ):
            index = int((created_at - since).total_seconds() // bucket_seconds)
            grouped.setdefault(index, []).append(
                (duration, status is not None and 200 <= status < 300)
            )
        buckets = {}
        for index, rows in grouped.items():
            durations = sorted(duration for duration, _ in rows)
            buckets[index] = (
                len(rows),
                sum(ok for _, ok in rows),
                [durations[max(0, math.ceil(f * len(durations)) - 1)] for f in fractions],
            )
        return buckets
    sql, params = (
        attempts.values("created_at", "duration_ms", "response_status_code")
        .order_by()
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT floor(extract(epoch FROM t.created_at - %s) / %s)::int AS bucket, count(*), "
            "count(*) FILTER (WHERE t.response_status_code BETWEEN 200 AND 299), "
            "percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY t.duration_ms) "
            f"FROM ({sql}) AS t GROUP BY bucket",
            [since, bucket_seconds, fractions, *params],
        )
        return {bucket: (count, ok, values) for bucket, count, ok, values in cursor.fetchall()}
