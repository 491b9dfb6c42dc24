"""What a held backlog costs the claims: a disabled endpoint with many held deliveries beside
an active one with due work.

Prints the median claim time of each variant, alternated over rounds, and their ratios: held
rows cost the claim what finished history costs (they are in none of its indexes), against
rows it would have to walk past. Run by hand:

    .venv/bin/python bench/held.py --held 200000
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import configure  # noqa: E402


def _fill(*, workspace, endpoint, count: int, status: str) -> None:
    from django.utils import timezone

    from webhooks.models import WebhookDelivery, WebhookEvent

    event = WebhookEvent.objects.create(
        workspace=workspace,
        event_type="ticket.created",
        resource_type="ticket",
        resource_id="0",
        data={},
        body="{}",
    )
    now = timezone.now()
    for start in range(0, count, 10_000):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                event=event,
                endpoint=endpoint,
                workspace=workspace,
                event_type="ticket.created",
                resource_type="ticket",
                resource_id=str(n),
                status=status,
                next_attempt_at=now,
                created_at=now,
            )
            for n in range(start, min(start + 10_000, count))
        )


def _claim_seconds(limit: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from webhooks.engine import storage
    from webhooks.engine.claims import lease_end

    started = time.perf_counter()
    with transaction.atomic():
        now = timezone.now()
        claims = storage.backend().claim_due(limit=limit, now=now, lease=lease_end(now=now))
        assert len(claims) == limit, len(claims)
        transaction.set_rollback(True)  # the same due rows for the next round
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/omniflow_bench_held"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--held", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    configure(args)

    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
    from workspaces.models import Workspace

    WebhookDelivery.objects.all().delete()
    WebhookEvent.objects.all().delete()
    workspace, _ = Workspace.objects.get_or_create(slug="bench-held", defaults={"name": "Held"})
    active = WebhookEndpoint.objects.create(
        workspace=workspace, url="http://127.0.0.1:9/a", event_types=["ticket.created"]
    )
    dead = WebhookEndpoint.objects.create(
        workspace=workspace,
        url="http://127.0.0.1:9/d",
        event_types=["ticket.created"],
        state=WebhookEndpoint.State.DISABLED,
    )
    _fill(workspace=workspace, endpoint=active, count=5_000, status="pending")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    _fill(workspace=workspace, endpoint=dead, count=args.held, status="held")
    backlog = WebhookDelivery.objects.filter(endpoint=dead)
    # Older than the active endpoint's work, as a dead endpoint's backlog is: walked first.
    backlog.update(next_attempt_at=timezone.now() - timedelta(days=1))
    # The backlog as held rows; as finished history (what every table carries anyway); and
    # as due rows the claim must skip (what holding by a join on the endpoint's state, or
    # leaving them pending, would cost). Alternated, VACUUM ANALYZE before each measurement.
    variants = {
        "held": {"status": "held", "locked_until": None},
        "finished": {"status": "succeeded", "locked_until": None},
        "due, skipped": {"status": "pending", "locked_until": timezone.now() + timedelta(days=9)},
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, fields in variants.items():
            backlog.update(**fields)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE webhooks_webhookdelivery")
            times[name].append(statistics.median(_claim_seconds(args.limit) for _ in range(5)))
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    for name, value in medians.items():
        print(f"claim of {args.limit} beside {args.held} deliveries {name:>13}: {value:7.2f} ms")
    print(f"ratio held/finished: {medians['held'] / medians['finished']:.2f}")
    print(f"ratio due-skipped/held: {medians['due, skipped'] / medians['held']:.1f}")


if __name__ == "__main__":
    main()
