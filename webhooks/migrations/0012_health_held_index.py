"""The partial index of held deliveries, built without locking the table's writes."""

from django.db import migrations, models

from omniflow.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("webhooks", "0011_health_endpoint_state"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(status="held"),
                fields=["endpoint", "id"],
                name="webhook_delivery_held_idx",
            ),
        ),
    ]
