import django.db.models.deletion
from django.db import migrations, models

from omniflow.migration_operations import AddIndexConcurrently

TABLE = "webhooks_webhookdelivery"


def _endpoint_id_indexes(schema_editor) -> list[str]:
    """Return the names of the indexes on endpoint_id alone (the foreign key's own)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [
        name
        for name, info in constraints.items()
        if info["index"]
        and info["columns"] == ["endpoint_id"]
        and not (info["primary_key"] or info["unique"])
    ]


def _concurrently(schema_editor) -> str:
    return "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""


def drop_endpoint_id_index(apps, schema_editor):
    for name in _endpoint_id_indexes(schema_editor):
        schema_editor.execute(
            f"DROP INDEX {_concurrently(schema_editor)}IF EXISTS {schema_editor.quote_name(name)}"
        )


def restore_endpoint_id_index(apps, schema_editor):
    name = schema_editor._create_index_name(TABLE, ["endpoint_id"])
    schema_editor.execute(
        f"CREATE INDEX {_concurrently(schema_editor)}IF NOT EXISTS "
        f"{schema_editor.quote_name(name)} ON {TABLE} (endpoint_id)"
    )


class Migration(migrations.Migration):
    # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction; built so, the deliveries
    # table (millions of rows, written by every emit) keeps taking writes meanwhile.
    atomic = False

    dependencies = [
        ("webhooks", "0009_engine_lanes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="webhookdelivery",
            index=models.Index(
                fields=["workspace", "resource_type", "resource_id", "-id"],
                name="webhook_delivery_resource_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="webhookdelivery",
            index=models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint_idx"),
        ),
        # The new endpoint index serves what the foreign key's index did (cascades, stats).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="webhookdelivery",
                    name="endpoint",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="webhooks.webhookendpoint",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_endpoint_id_index, restore_endpoint_id_index),
            ],
        ),
    ]
