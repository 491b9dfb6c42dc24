from django.db import migrations, models

from omniflow.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("webhooks", "0004_endpoint_deleted_at_sweeper_heartbeat"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="webhookdelivery",
            index=models.Index(fields=["created_at"], name="webhook_delivery_created_idx"),
        ),
    ]
