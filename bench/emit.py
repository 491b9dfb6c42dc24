#!/usr/bin/env python
"""What `emit` adds to a domain write, run by hand: `.venv/bin/python bench/emit.py`.

Each operation is its own transaction, as a domain service's is: (a) the domain write alone
(a ticket row), (b) the same write plus `emit` of `ticket.created` to a workspace with three
endpoints subscribed and one not, (c) the same with no endpoint subscribed, (d) and (e): (b)
and (c) the way emit recorded before, with the ORM (event insert, endpoint lookup, bulk insert
of the deliveries; SQLite's path still). Rounds alternate (a, b, c, d, e, a, ...) and the
medians are printed: µs per operation, what emit adds, and the
queries each operation runs (counted once with CaptureQueriesContext).
Uses its own database (omniflow_bench_emit) and Redis db 12 (the commit's dispatch nudge).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import configure  # noqa: E402 - importable once the root is on the path

# A ticket as the API shows it: what `ticket.created` carries (built once, outside the timing:
# building it is the domain's cost, not emit's).
DATA = {
    "id": 1,
    "subject": "Refund for order 5521",
    "description": "The parcel arrived damaged.",
    "status": "open",
    "priority": "normal",
    "conversation": 1042,
    "tags": ["billing", "vip"],
    "created_at": "2026-11-27T09:14:03Z",
    "updated_at": "2026-11-27T09:14:03Z",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--operations", type=int, default=2_000, help="per round and case")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omniflow_bench_emit"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    return parser.parse_args()


def workspaces():
    """Return (workspace with three subscribed endpoints and one not, workspace with none)."""
    from webhooks.models import WebhookEndpoint
    from workspaces.models import Workspace

    subscribed, _ = Workspace.objects.get_or_create(slug="bench-emit")
    quiet, _ = Workspace.objects.get_or_create(slug="bench-emit-quiet")
    if not WebhookEndpoint.objects.filter(workspace=subscribed).exists():
        for name, event_types in [
            ("crm", ["ticket.created", "ticket.status_changed"]),
            ("warehouse", ["ticket.created"]),
            ("analytics", ["ticket.created", "conversation.created"]),
            ("chat", ["conversation.created"]),
        ]:
            WebhookEndpoint.objects.create(
                workspace=subscribed, url=f"https://{name}.example.com/", event_types=event_types
            )
    return subscribed, quiet


def write_alone(workspace) -> None:
    from django.db import transaction

    from inbox.models import Ticket

    with transaction.atomic():
        Ticket.objects.create(workspace=workspace, subject="Refund for order 5521")


def write_and_emit(workspace) -> None:
    from django.db import transaction

    from inbox.models import Ticket
    from webhooks.events import EventType, emit

    with transaction.atomic():
        ticket = Ticket.objects.create(workspace=workspace, subject="Refund for order 5521")
        emit(
            workspace=workspace,
            event_type=EventType.TICKET_CREATED,
            resource_id=ticket.pk,
            data={**DATA, "id": ticket.pk},
        )


def write_and_emit_in_three_statements(workspace) -> None:
    """As `write_and_emit`, the way emit recorded on PostgreSQL before (the ORM path)."""
    from webhooks import events

    one_statement = events._record_in_one_statement

    def in_three_statements(*, event, connection):  # noqa: ARG001 - the replaced signature
        return events._record_portably(event=event)

    events._record_in_one_statement = in_three_statements
    try:
        write_and_emit(workspace)
    finally:
        events._record_in_one_statement = one_statement


def per_operation_us(operation, workspace, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        operation(workspace)
    return (time.perf_counter() - started) / count * 1e6


def queries(operation, workspace) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        operation(workspace)
    # BEGIN/COMMIT are not captured (psycopg sends them on the connection), so: statements.
    return len(captured.captured_queries)


def main() -> None:
    args = parse_args()
    configure(args)
    subscribed, quiet = workspaces()
    cases = {
        "(a) domain write alone": (write_alone, subscribed),
        "(b) write + emit, 3 endpoints": (write_and_emit, subscribed),
        "(c) write + emit, 0 endpoints": (write_and_emit, quiet),
        "(d) = (b) in 3 statements (ORM)": (write_and_emit_in_three_statements, subscribed),
        "(e) = (c) in 2 statements (ORM)": (write_and_emit_in_three_statements, quiet),
    }
    for operation, workspace in cases.values():
        per_operation_us(operation, workspace, 200)  # warm up connections and caches
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for round_number in range(args.rounds):
        for name, (operation, workspace) in cases.items():
            timings[name].append(per_operation_us(operation, workspace, args.operations))
        print(
            f"  round {round_number + 1}: "
            + ", ".join(f"{name[:3]} {values[-1]:,.0f} µs" for name, values in timings.items()),
            flush=True,
        )
    medians = {name: statistics.median(values) for name, values in timings.items()}
    counts = {name: queries(*case) for name, case in cases.items()}
    baseline = "(a) domain write alone"
    print(f"\n{os.cpu_count()} cores, {args.rounds} rounds of {args.operations} operations each")
    for name in cases:
        line = f"  {name:32} {medians[name]:8,.0f} µs/op  {counts[name]} queries"
        if name != baseline:
            added = medians[name] - medians[baseline]
            ratio = medians[name] / medians[baseline]
            line += (
                f"  emit adds {added:,.0f} µs and {counts[name] - counts[baseline]} queries "
                f"({ratio:.2f}x the write alone)"
            )
        print(line)
    clean_up()


def clean_up() -> None:
    """Keep the bench database small between runs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE webhooks_webhookdeliveryattempt, webhooks_webhookdelivery, "
            "webhooks_webhookevent, inbox_ticket CASCADE"
        )


if __name__ == "__main__":
    main()
