"""The engine's steps on PostgreSQL, each one statement.

The claim leases and fetches in one UPDATE … FROM a SELECT … FOR UPDATE SKIP LOCKED compiled
once per process, and outcomes and attempts are written from one JSON document each
(bulk_update's CASE per field and row, or binding typed arrays, cost more than the HTTP
requests at thousands of deliveries a second).
"""

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import BigIntegerField, DateTimeField, QuerySet
from django.db.models.expressions import RawSQL

from ...models import (
    UNFINISHED_STATUSES,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from ..claims import CLAIMED, RECORDED, Claim, due_deliveries
from ..lanes import Lane
from .base import DUE_COUNT_BOUND, Storage

Status = WebhookDelivery.Status
DELIVERIES = WebhookDelivery._meta.db_table
EVENTS = WebhookEvent._meta.db_table
ENDPOINTS = WebhookEndpoint._meta.db_table
ATTEMPTS = WebhookDeliveryAttempt._meta.db_table
_ALIASES = {"delivery": "d", "event": "e", "endpoint": "p"}


def _sql_strings(*values: str) -> str:
    """Quote status values (identifiers from the model's choices) as SQL string literals."""
    assert all(value.isidentifier() for value in values)
    return ", ".join(f"'{value}'" for value in values)


def _sql_type(model, name: str) -> str:
    return model._meta.get_field(name).cast_db_type(connection)


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


# Commit without waiting for the WAL flush (see outcomes.outcomes_record), set in the same
# string as the statement it precedes.
_RELAXED = "SET LOCAL synchronous_commit = off; "
_OUTCOME_COLUMNS = ("id", "claimed_until", *RECORDED)


def _outcomes_json(deliveries: Sequence[Claim]) -> str:
    # JSON because the driver binds one string faster than typed arrays.
    return json.dumps(
        [{name: _json_value(getattr(d, name)) for name in _OUTCOME_COLUMNS} for d in deliveries]
    )


def _attempts_json(attempts: list[dict[str, Any]]) -> str:
    return json.dumps([{name: _json_value(value) for name, value in a.items()} for a in attempts])


# The claim's clock, bound once per statement in its own CTE: the due query is compiled by
# the ORM once per process (compiling costs more than a millisecond, paid on every claim
# otherwise) and reads the clock from there, so its own parameters never change.
_CLAIM_CLOCK = RawSQL("(SELECT reading FROM claim_clock)", (), output_field=DateTimeField())


_UNFINISHED = _sql_strings(*UNFINISHED_STATUSES)
# The endpoint of the lane being claimed, from the `quota` list the claim joins laterally.
_LANE_ENDPOINT = RawSQL("q.endpoint_id", (), output_field=BigIntegerField())


@lru_cache(maxsize=1)
def _locking_due() -> tuple[str, tuple]:
    """One lane's due deliveries, oldest due first, at most its quota, locked or skipped."""
    due = due_deliveries(_CLAIM_CLOCK).filter(endpoint_id=_LANE_ENDPOINT).values("id")
    locking = due.select_for_update(skip_locked=True, of=("self",))[:1]
    # Django compiles FOR UPDATE only inside a transaction; compiling runs no query.
    with transaction.atomic():
        sql, params = locking.query.sql_with_params()
    assert sql.count(" LIMIT 1 FOR UPDATE") == 1, sql
    return sql.replace(" LIMIT 1 FOR UPDATE", " LIMIT q.quota FOR UPDATE"), params


@lru_cache(maxsize=1)
def _claim_sql() -> str:
    locking_due, _ = _locking_due()
    returning = ", ".join(f"{_ALIASES[relation]}.{column}" for _, relation, column in CLAIMED)
    # `= ANY(ARRAY(…))` fetches the claimed rows by primary key. Joined to the CTE instead,
    # the planner hashes it against a scan of the whole table (and with the sort disabled
    # below, it has no cheaper plan it likes): a cost that grows with the delivery history,
    # paid on every claim.
    return (
        "WITH claim_clock AS (SELECT %s::timestamptz AS reading), "
        "quota AS (SELECT * FROM unnest(%s::bigint[], %s::int[]) AS q(endpoint_id, quota)), "
        f"due AS (SELECT picked.id FROM quota AS q CROSS JOIN LATERAL ({locking_due}) AS picked) "
        f"UPDATE {DELIVERIES} AS d SET locked_until = %s "
        f"FROM {EVENTS} AS e, {ENDPOINTS} AS p "
        "WHERE d.id = ANY(ARRAY(SELECT id FROM due)) "
        "AND e.id = d.event_id AND p.id = d.endpoint_id "
        f"RETURNING {returning}"
    )


# The endpoints with unfinished deliveries, one index probe each (a skip scan of the lane
# index rather than a walk of every due row: one endpoint may have a million), with how many
# of their deliveries are due and not leased, counted up to a bound. Heads blocked behind a
# leased one of their resource count too: at worst a lane is dealt a slot its claim then
# finds no delivery for.
_DUE_LANES_SQL = (
    "WITH RECURSIVE walk(endpoint_id) AS ("
    f"(SELECT endpoint_id FROM {DELIVERIES} WHERE status IN ({_UNFINISHED}) "
    "ORDER BY endpoint_id LIMIT 1) "
    "UNION ALL "
    f"SELECT (SELECT n.endpoint_id FROM {DELIVERIES} AS n WHERE n.status IN ({_UNFINISHED}) "
    "AND n.endpoint_id > walk.endpoint_id ORDER BY n.endpoint_id LIMIT 1) "
    "FROM walk WHERE walk.endpoint_id IS NOT NULL) "
    "SELECT p.id, p.max_in_flight, p.rate_limit_per_second, due.count "
    f"FROM walk JOIN {ENDPOINTS} AS p ON p.id = walk.endpoint_id "
    "CROSS JOIN LATERAL (SELECT count(*) FROM ("
    f"SELECT 1 FROM {DELIVERIES} AS d WHERE d.endpoint_id = walk.endpoint_id "
    f"AND d.status IN ({_UNFINISHED}) AND d.next_attempt_at <= %s "
    "AND (d.locked_until IS NULL OR d.locked_until < %s) LIMIT %s) AS bounded) AS due "
    "WHERE due.count > 0 ORDER BY p.id"
)


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


class DatabaseStorage(Storage):
    concurrent_writers = True

    def due_lanes(self, *, now: datetime) -> list[Lane]:
        with connection.cursor() as cursor:
            cursor.execute(_DUE_LANES_SQL, [now, now, DUE_COUNT_BOUND])
            return [Lane(*row) for row in cursor.fetchall()]

    def claim_due(self, *, quotas: dict[int, int], now: datetime, lease: datetime) -> list[Claim]:
        with connection.cursor() as cursor:
            # One round trip: the settings and the claim go as one string (client-side
            # binding), which PostgreSQL runs as one transaction when none is open.
            cursor.execute(
                _RELAXED
                # Each lane's claim must walk the lane index in order and stop after its
                # quota. Right after a burst the row estimates are stale, and the planner
                # then prefers to fetch and sort every due row on each claim: quadratic.
                + "SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off; "
                # SKIP LOCKED lets several workers claim side by side; the lease is set in the
                # same statement, which also returns what sending needs (no model instances:
                # at thousands a second, building them costs more than the query).
                + _claim_sql(),
                [now, list(quotas), list(quotas.values()), *_locking_due()[1], lease],
            )
            while cursor.description is None and cursor.nextset():
                pass  # past the SETs' empty results to the claim's rows
            return [Claim(*row, claimed_until=lease) for row in cursor.fetchall()]

    def record(self, *, deliveries: Sequence[Claim], attempts: list[dict[str, Any]]) -> None:
        if not attempts:
            self.outcomes_write(deliveries=deliveries)
            return
        with connection.cursor() as cursor:
            # Outcomes and attempts in one statement, one round trip, one transaction.
            attempts_sql = _attempts_sql(tuple(attempts[0]))
            cursor.execute(
                f"{_RELAXED}WITH outcome AS ({_outcomes_sql()}) {attempts_sql}",
                [_outcomes_json(deliveries), _attempts_json(attempts)],
            )

    def outcomes_write(self, *, deliveries: Sequence[Claim]) -> None:
        with connection.cursor() as cursor:
            # A worker that overran its lease (stalled, not crashed) must not overwrite the
            # state written by the worker that took the delivery over; its attempt is still
            # recorded.
            cursor.execute(_RELAXED + _outcomes_sql(), [_outcomes_json(deliveries)])

    def successors_defer(self, *, delivery_ids: list[int], window_seconds: float) -> None:
        if not delivery_ids:
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

    def successors_release(self, *, delivery_ids: list[int], now: datetime) -> None:
        if not delivery_ids:
            return
        finished = _sql_strings(Status.SUCCEEDED, Status.FAILED)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {DELIVERIES} AS s SET next_attempt_at = %s FROM {DELIVERIES} AS h "
                f"WHERE h.id = ANY(%s) AND h.status IN ({finished}) "
                f"AND {_SAME_RESOURCE_BEHIND} AND s.next_attempt_at > %s",
                [now, delivery_ids, now],
            )

    def attempts_write(self, *, attempts: list[dict[str, Any]]) -> None:
        # The body is copied from the event row by the database rather than carried through
        # Python and JSON again.
        with connection.cursor() as cursor:
            cursor.execute(_attempts_sql(tuple(attempts[0])), [_attempts_json(attempts)])

    def duration_percentiles(
        self, *, attempts: QuerySet[WebhookDeliveryAttempt], fractions: list[float]
    ) -> tuple[int, list[int | None]]:
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
        self,
        *,
        attempts: QuerySet[WebhookDeliveryAttempt],
        since: datetime,
        bucket_seconds: int,
        fractions: list[float],
    ) -> dict[int, tuple[int, int, list[int | None]]]:
        # Grouped in the database, as the percentiles above: a week of a busy endpoint.
        sql, params = (
            attempts.values("created_at", "duration_ms", "response_status_code")
            .order_by()
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT floor(extract(epoch FROM t.created_at - %s) / %s)::int AS bucket, "
                "count(*), count(*) FILTER (WHERE t.response_status_code BETWEEN 200 AND 299), "
                "percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY t.duration_ms) "
                f"FROM ({sql}) AS t GROUP BY bucket",
                [since, bucket_seconds, fractions, *params],
            )
            rows = cursor.fetchall()
        return {bucket: (count, ok, values) for bucket, count, ok, values in rows}
