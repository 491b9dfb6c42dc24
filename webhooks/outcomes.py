"""Bulk writes of a batch's outcomes: new delivery states and attempt records.

On PostgreSQL each is one statement fed from a JSON document: bulk_update's CASE per field
and row, or binding typed arrays, cost more than the HTTP requests themselves at thousands of
deliveries a second. SQLite (the embedded default) takes the plain ORM path.
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEvent

if TYPE_CHECKING:
    from .delivery import Claim

_SQL_TYPES = {
    "id": "bigint",
    "claimed_until": "timestamptz",
    "status": "varchar",
    "attempt_count": "integer",
    "first_attempted_at": "timestamptz",
    "next_attempt_at": "timestamptz",
    "locked_until": "timestamptz",
    "last_status_code": "integer",
    "last_error": "text",
    "succeeded_at": "timestamptz",
    "failed_at": "timestamptz",
}
_OUTCOME_FIELDS = [
    "status",
    "attempt_count",
    "first_attempted_at",
    "next_attempt_at",
    "locked_until",
    "last_status_code",
    "last_error",
    "succeeded_at",
    "failed_at",
]


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def outcomes_write(*, deliveries: Sequence["Claim"]) -> None:
    """Write the new state of every delivery of a batch in one statement."""
    if connection.vendor != "postgresql":
        WebhookDelivery.objects.bulk_update(
            [
                WebhookDelivery(id=d.id, **{name: getattr(d, name) for name in _OUTCOME_FIELDS})
                for d in deliveries
            ],
            _OUTCOME_FIELDS,
        )
        return
    # One UPDATE from a JSON document rather than bulk_update's CASE per field and row: at
    # thousands of deliveries a second, building and binding that SQL costs more than the
    # HTTP requests do. JSON because the driver binds one string faster than typed arrays.
    columns = ["id", "claimed_until", *_OUTCOME_FIELDS]
    rows = [{name: _json_value(getattr(d, name)) for name in columns} for d in deliveries]
    record = ", ".join(f"{name} {_SQL_TYPES[name]}" for name in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in _OUTCOME_FIELDS)
    with connection.cursor() as cursor:
        # A worker that overran its lease (stalled, not crashed) must not overwrite the state
        # written by the worker that took the delivery over; its attempt is still recorded.
        cursor.execute(
            f"UPDATE {WebhookDelivery._meta.db_table} AS d SET {assignments} "
            f"FROM jsonb_to_recordset(%s::jsonb) AS v({record}) "
            "WHERE d.id = v.id AND d.locked_until = v.claimed_until",
            [json.dumps(rows)],
        )
        _defer_and_release_successors(cursor, deliveries)


# Deliveries queued behind a retrying one cannot go before it, yet they are due: left so,
# every claim walks past them again, and thousands of them behind a dead endpoint would slow
# every other endpoint's claims. So they are deferred to the end of its retry window once, at
# its first retry, and released (due now) as soon as it succeeds or finally fails.
_SAME_RESOURCE_BEHIND = (
    "s.endpoint_id = h.endpoint_id AND s.resource_type = h.resource_type "
    "AND s.resource_id = h.resource_id AND s.id > h.id AND s.status IN ('pending', 'retrying')"
)


def _defer_and_release_successors(cursor, deliveries: Sequence["Claim"]) -> None:
    table = WebhookDelivery._meta.db_table
    Status = WebhookDelivery.Status
    retrying = [d.id for d in deliveries if d.status == Status.RETRYING]
    # Only a delivery that has been retrying deferred its successors: one that succeeded at its
    # first attempt (most of them) has nothing to release. Failures are few: all released.
    finished = [
        d.id
        for d in deliveries
        if d.status == Status.FAILED or (d.status == Status.SUCCEEDED and d.attempt_count > 1)
    ]
    if retrying:
        window = float(settings.OMNIFLOW_WEBHOOK_RETRY_WINDOW_SECONDS)
        cursor.execute(
            f"UPDATE {table} AS s SET next_attempt_at = h.first_attempted_at "
            f"+ make_interval(secs => %s) FROM {table} AS h "
            f"WHERE h.id = ANY(%s) AND h.status = 'retrying' AND {_SAME_RESOURCE_BEHIND} "
            "AND s.next_attempt_at < h.first_attempted_at + make_interval(secs => %s)",
            [window, retrying, window],
        )
    if finished:
        now = timezone.now()
        cursor.execute(
            f"UPDATE {table} AS s SET next_attempt_at = %s FROM {table} AS h "
            "WHERE h.id = ANY(%s) AND h.status IN ('succeeded', 'failed') "
            f"AND {_SAME_RESOURCE_BEHIND} AND s.next_attempt_at > %s",
            [now, finished, now],
        )


_ATTEMPT_COLUMNS = {
    "delivery_id": "bigint",
    "request_headers": "jsonb",
    "response_status_code": "integer",
    "response_headers": "jsonb",
    "response_body": "text",
    "duration_ms": "integer",
    "error": "text",
    "created_at": "timestamptz",
}


def attempts_write(*, attempts: list[dict[str, Any]]) -> None:
    """Insert the attempts of a batch in one statement.

    The request body of an attempt is its event's body (the exact bytes sent): it is copied
    from the event row by the database rather than carried through Python and JSON again.
    """
    if connection.vendor != "postgresql":
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
    record = ", ".join(f"{name} {kind}" for name, kind in _ATTEMPT_COLUMNS.items())
    columns = ", ".join(_ATTEMPT_COLUMNS)
    selected = ", ".join(f"v.{name}" for name in _ATTEMPT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {WebhookDeliveryAttempt._meta.db_table} ({columns}, request_body) "
            f"SELECT {selected}, e.body FROM jsonb_to_recordset(%s::jsonb) AS v({record}) "
            f"JOIN {WebhookDelivery._meta.db_table} AS d ON d.id = v.delivery_id "
            f"JOIN {WebhookEvent._meta.db_table} AS e ON e.id = d.event_id",
            [json.dumps(rows)],
        )


def outcome_commit_relaxed() -> None:
    """Let this transaction's commit return before its WAL record reaches the disk.

    At-least-once still holds: the requests have gone out already, and an outcome lost in a
    database crash (the last few hundred milliseconds of commits at most) leaves the delivery
    leased and unfinished, so it is sent again once the lease expires: a duplicate, which the
    delivery id lets the consumer drop, never a lost event. Claims keep the durable default.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
