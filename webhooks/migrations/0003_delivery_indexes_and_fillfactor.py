import django.db.models.deletion
from django.db import migrations, models


# Deliveries are updated twice each (claim, outcome). Room left in every page lets PostgreSQL
# write the claim's new row version beside the old one without touching any index (a HOT
# update: the claim changes only locked_until, which no index holds). SQLite has no fillfactor.
def leave_room_for_claims(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE webhooks_webhookdelivery SET (fillfactor = 70)")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE webhooks_webhookdelivery RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0002_outbound_deliveries'),
        ('workspaces', '0001_initial'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='webhookdelivery',
            name='webhook_delivery_status_idx',
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='replay_of',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='replays', to='webhooks.webhookdelivery'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='workspace',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workspaces.workspace'),
        ),
        migrations.AddIndex(
            model_name='webhookdelivery',
            index=models.Index(condition=models.Q(('status', 'succeeded'), _negated=True), fields=['workspace', 'status', '-id'], name='webhook_delivery_status_idx'),
        ),
        migrations.AddIndex(
            model_name='webhookdelivery',
            index=models.Index(condition=models.Q(('replay_of__isnull', False)), fields=['replay_of'], name='webhook_delivery_replay_idx'),
        ),
        migrations.RunPython(leave_room_for_claims, fill_pages),
    ]
