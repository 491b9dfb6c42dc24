"""`manage.py webhooks_status`: is the delivery machinery keeping up? For operators."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from webhooks import operations


class Command(BaseCommand):
    help = (
        "Print deliveries by status, the oldest due delivery's age, the last sweep time and "
        "the endpoints with the most failures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--top", type=int, default=10, help="endpoints to list (default 10)")

    def handle(self, *args, top: int, **options):
        now = timezone.now()
        write = self.stdout.write
        write("Deliveries by status:")
        for status, count in operations.deliveries_by_status().items():
            write(f"  {status:<10} {count}")
        queue = operations.queue_state(now=now)
        write(f"Due now: {queue.due}")
        if queue.oldest_due_at is None:
            write("Oldest due delivery: none waiting")
        else:
            write(
                f"Oldest due delivery: waiting {queue.oldest_due_age_seconds(now):.0f} s "
                f"(due since {queue.oldest_due_at:%Y-%m-%d %H:%M:%S} UTC)"
            )
        last_sweep = operations.sweeper_last_run()
        if last_sweep is None:
            write(
                self.style.WARNING(
                    "Last sweep: never (is `celery -A omniflow worker --beat` running?)"
                )
            )
        else:
            age = (now - last_sweep).total_seconds()
            line = f"Last sweep: {last_sweep:%Y-%m-%d %H:%M:%S} UTC ({age:.0f} s ago)"
            stale = age > settings.OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS
            write(self.style.WARNING(f"{line}: stale") if stale else line)
        failing = operations.endpoints_most_failing(limit=top)
        write("Endpoints with the most failures:")
        if not failing:
            write("  none")
        for row in failing:
            write(
                f"  #{row.endpoint_id} {row.url} (workspace {row.workspace_slug}): "
                f"{row.failed} failed, {row.retrying} retrying"
            )
