"""The deliveries table's storage: each page leaves room for a claim's lease (migration 0013),
set without a rewrite or a lock that would hold back the engine's writes."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from tests.support.webhook_events import emit_committed
from webhooks.engine.storage import backend
from webhooks.services import endpoint_create

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's storage"),
]
MIGRATION = "0013_delivery_fillfactor"


def _updates_in_this_transaction() -> tuple[int, int]:
    """(rows updated, of which HOT) in the deliveries table by the test's transaction so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(oid), pg_stat_get_xact_tuples_hot_updated(oid) "
            "FROM pg_class WHERE oid = 'webhooks_webhookdelivery'::regclass"
        )
        return cursor.fetchone()


def test_a_claim_leases_its_rows_in_place_writing_no_index(workspace):
    """The lease is a HOT update (migration 0013 leaves each page room for it): a claim writes
    the heap and none of the table's indexes, however many rows of a page it takes at once.
    With full pages (fillfactor 100) most of these 150 leases went to other pages."""
    endpoint = endpoint_create(
        workspace=workspace, url="https://hooks.example.com/in", event_types=["ticket.created"]
    )
    for resource in range(150):  # consecutive rows: pages of them, claimed together
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=resource)
    updated_before, hot_before = _updates_in_this_transaction()
    now = timezone.now()

    claims = backend().claim_due(
        quotas={endpoint.pk: 150}, now=now, lease=now + timedelta(minutes=1)
    )

    updated, hot = _updates_in_this_transaction()
    assert len(claims) == 150
    assert (updated - updated_before, hot - hot_before) == (150, 150)


def test_the_fillfactor_is_set_in_place_under_a_lock_that_lets_writes_go_on():
    out = StringIO()
    call_command("sqlmigrate", "webhooks", MIGRATION, stdout=out)
    statement = 'ALTER TABLE "webhooks_webhookdelivery" SET (fillfactor = 50)'
    assert statement in out.getvalue()

    # The same statement in another session's open transaction: the lock it holds.
    other = type(connections["default"])(connection.settings_dict.copy(), alias="other")
    other.connect()
    try:
        other.connection.execute("BEGIN")
        other.connection.execute(statement)
        pid = other.connection.info.backend_pid
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT mode FROM pg_locks WHERE pid = %s "
                "AND relation = 'webhooks_webhookdelivery'::regclass",
                [pid],
            )
            modes = {mode for (mode,) in cursor.fetchall()}
        other.connection.execute("ROLLBACK")
    finally:
        other.close()
    # Not ACCESS EXCLUSIVE (a rewrite, or blocking reads) nor anything that blocks inserts and
    # updates (ROW EXCLUSIVE): SHARE UPDATE EXCLUSIVE only conflicts with VACUUM and DDL.
    assert modes == {"ShareUpdateExclusiveLock"}
