"""Endpoint state (active, paused, disabled) replaces `enabled`; held deliveries; history.

An endpoint that was not enabled becomes paused: its events are held from now on rather than
dropped (a deleted endpoint keeps its state; deletion is `deleted_at`)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def _paused_from_disabled(apps, schema_editor):
    Endpoint = apps.get_model("webhooks", "WebhookEndpoint")
    Endpoint.objects.filter(enabled=False).update(
        state="paused", state_reason="Disabled before endpoint states existed."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0010_log_delivery_lookup_indexes"),
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookEndpointHistoryEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("paused", "Paused"),
                            ("resumed", "Resumed"),
                            ("disabled", "Disabled"),
                            ("recovered", "Recovered"),
                        ],
                        max_length=16,
                    ),
                ),
                ("detail", models.CharField(blank=True, default="", max_length=500)),
                ("actor", models.CharField(blank=True, default="", max_length=200)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["-id"],
            },
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="failing_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="probe_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="probe_interval_seconds",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="state",
            field=models.CharField(
                choices=[("active", "Active"), ("paused", "Paused"), ("disabled", "Disabled")],
                default="active",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="state_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="state_reason",
            field=models.CharField(blank=True, default="", max_length=500),
        ),
        migrations.RunPython(_paused_from_disabled, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="webhookendpoint",
            name="webhooks_we_workspa_8bf980_idx",
        ),
        migrations.RemoveField(
            model_name="webhookendpoint",
            name="enabled",
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("retrying", "Retrying"),
                    ("succeeded", "Succeeded"),
                    ("failed", "Failed"),
                    ("held", "Held"),
                ],
                default="pending",
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="webhookendpoint",
            index=models.Index(fields=["workspace", "state"], name="webhook_endpoint_state_idx"),
        ),
        migrations.AddField(
            model_name="webhookendpointhistoryentry",
            name="endpoint",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="history",
                to="webhooks.webhookendpoint",
            ),
        ),
        migrations.AddField(
            model_name="webhookendpointhistoryentry",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="workspaces.workspace",
            ),
        ),
        migrations.AddIndex(
            model_name="webhookendpointhistoryentry",
            index=models.Index(fields=["endpoint", "-id"], name="webhook_endpoint_history_idx"),
        ),
    ]
