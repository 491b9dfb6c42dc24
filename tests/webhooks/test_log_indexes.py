"""The deliveries log's indexes: built concurrently, so a large table keeps taking writes."""

import importlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection

from tests.webhooks.pages import make_delivery, make_endpoint

MIGRATION = "0010_log_delivery_lookup_indexes"
INDEX = "webhook_delivery_resource_idx"


def _previous_migration() -> str:
    module = importlib.import_module(f"webhooks.migrations.{MIGRATION}")
    return module.Migration.dependencies[0][1]


@pytest.mark.django_db
def test_resource_index_is_built_concurrently_outside_a_transaction():
    out = StringIO()

    call_command("sqlmigrate", "webhooks", MIGRATION, stdout=out)

    sql = out.getvalue()
    assert f'CREATE INDEX CONCURRENTLY "{INDEX}" ON "webhooks_webhookdelivery"' in sql
    assert '("workspace_id", "resource_type", "resource_id", "id" DESC)' in sql
    # An atomic migration would be wrapped in BEGIN/COMMIT, where CONCURRENTLY fails.
    assert "BEGIN;" not in sql


def _index_state() -> tuple[bool, str] | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indexrelid = to_regclass(%s)",
            [INDEX],
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_migration_run_again_after_a_failed_build_replaces_the_invalid_index(workspace):
    # Given: the migration not applied, and what a failed concurrent build leaves behind (an
    # invalid index of the same name: here a unique build that met duplicates).
    endpoint = make_endpoint(workspace)
    make_delivery(endpoint, resource_id=1)
    make_delivery(endpoint, resource_id=2)
    call_command("migrate", "webhooks", _previous_migration(), verbosity=0)
    try:
        with connection.cursor() as cursor, pytest.raises(IntegrityError):
            cursor.execute(
                f"CREATE UNIQUE INDEX CONCURRENTLY {INDEX} ON webhooks_webhookdelivery "
                "(workspace_id)"
            )
        assert _index_state()[0] is False

        # When: the migration runs again.
        call_command("migrate", "webhooks", MIGRATION, verbosity=0)
    finally:
        call_command("migrate", "webhooks", verbosity=0)

    # Then: the index is there, valid, on the columns the log's resource lookup needs.
    valid, definition = _index_state()
    assert valid is True
    assert "(workspace_id, resource_type, resource_id, id DESC)" in definition


@pytest.mark.django_db(transaction=True)
def test_migration_stopped_after_its_builds_runs_again():
    # Given: the migration's indexes built, but the migration not recorded (a non-atomic
    # migration is recorded only once every operation ran).
    call_command("migrate", "webhooks", _previous_migration(), verbosity=0)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE INDEX {INDEX} ON webhooks_webhookdelivery "
                "(workspace_id, resource_type, resource_id, id DESC)"
            )

        # When / then: running it again completes.
        call_command("migrate", "webhooks", MIGRATION, verbosity=0)
    finally:
        call_command("migrate", "webhooks", verbosity=0)
    assert _index_state()[0] is True
