from django.db import migrations, models

from omniflow.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; built so, the deliveries table
    # (millions of rows, written by every emit) keeps taking writes meanwhile.
    atomic = False

    dependencies = [
        ("webhooks", "0008_event_is_test"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="webhookdelivery",
            index=models.Index(
                fields=["workspace", "resource_type", "resource_id", "-id"],
                name="webhook_delivery_resource_idx",
            ),
        ),
    ]
