from django.db import migrations, models

from omniflow.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("webhooks", "0008_event_is_test"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="max_in_flight",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="rate_limit_per_second",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        AddIndexConcurrently(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("status__in", ("pending", "retrying"))),
                fields=["endpoint", "next_attempt_at", "id"],
                name="webhook_delivery_lane_idx",
            ),
        ),
    ]
