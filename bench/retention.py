#!/usr/bin/env python
"""Retention at scale, run by hand: `.venv/bin/python bench/retention.py`.

Loads `--deliveries` old deliveries (with events and attempts, as bench/log.py does) into its
own database, then prunes them with the retention task's own code (`history_prune`, batched
deletes) while another process emits events in their own transactions, as domain services do.
Prints how long the prune took, its rate (deliveries with their attempts and events per
second), what that means for a day of ten million deliveries, and the emit rate and latency
before, during and after the prune.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import configure  # noqa: E402 - importable once the root is on the path
from bench.log import DAYS, START, bench_setup, load  # noqa: E402

DAY_OF_DELIVERIES = 10_000_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--quiet-seconds", type=float, default=15.0, help="before and after")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omniflow_bench_retention"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    return parser.parse_args()


def emitter(stop, commits) -> None:
    """Emit `ticket.created` in one transaction each until told to stop; report commit times.

    Forked from the set-up bench process, whose database connection was closed before.
    """
    from django.db import transaction

    from webhooks.events import emit
    from workspaces.models import Workspace

    workspace = Workspace.objects.get(slug="bench-log")
    times = []
    resource = 0
    while not stop.is_set():
        started = time.monotonic()
        with transaction.atomic():
            resource += 1
            emit(
                workspace=workspace,
                event_type="ticket.created",
                resource_id=f"live-{resource}",
                data={"id": resource},
            )
        times.append((started, time.monotonic()))
    commits.send(times)


def window(times: list[tuple[float, float]], start: float, end: float) -> tuple[float, float]:
    """Return (emits per second, p99 latency in ms) of the emits that ended in [start, end)."""
    inside = [(b, e) for b, e in times if start <= e < end]
    if not inside or end <= start:
        return 0.0, 0.0
    latencies = sorted((e - b) * 1000 for b, e in inside)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    return len(inside) / (end - start), p99


def main() -> None:
    args = parse_args()
    configure(args)
    import psycopg
    from django.db import connection

    ids = bench_setup()
    print(f"loading {args.deliveries:,} deliveries, all past retention", flush=True)
    with psycopg.connect(args.database_url) as conn, conn.cursor() as cursor:
        load(cursor, ids, deliveries=args.deliveries, chunk_events=250_000)
    connection.close()

    from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEvent
    from webhooks.services import history_prune

    counts = (
        WebhookDelivery.objects.count(),
        WebhookDeliveryAttempt.objects.count(),
        WebhookEvent.objects.count(),
    )
    stop = multiprocessing.Event()
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(
        target=emitter, args=(stop, send), daemon=True
    )
    connection.close()
    process.start()
    time.sleep(args.quiet_seconds)
    prune_started = time.monotonic()
    # Every loaded delivery is older than 30 days then (failed ones are kept 90).
    report = history_prune(now=START + timedelta(days=DAYS + 31))
    prune_ended = time.monotonic()
    time.sleep(args.quiet_seconds)
    stop.set()
    times = receive.recv()
    process.join()

    seconds = prune_ended - prune_started
    rate = report.deliveries / seconds if seconds else 0.0
    print(
        f"\nloaded {counts[0]:,} deliveries, {counts[1]:,} attempts, {counts[2]:,} events; "
        f"{os.cpu_count()} cores (shared)"
    )
    print(
        f"history_prune: {report.deliveries:,} deliveries (with their attempts) and "
        f"{report.events:,} events in {seconds:,.1f} s: {rate:,.0f} deliveries/s"
    )
    day = DAY_OF_DELIVERIES / rate / 3600 if rate else float("inf")
    print(f"  a day of {DAY_OF_DELIVERIES:,} deliveries at this rate: {day:,.1f} h of pruning")
    for name, start, end in [
        ("before", prune_started - args.quiet_seconds, prune_started),
        ("during", prune_started, prune_ended),
        ("after", prune_ended, prune_ended + args.quiet_seconds),
    ]:
        per_second, p99 = window(times, start, end)
        print(f"  emits {name:6}: {per_second:7,.0f}/s  p99 {p99:6.1f} ms")
    medians = statistics.median((e - b) * 1000 for b, e in times) if times else 0.0
    print(f"  emit median over the run {medians:.1f} ms")


if __name__ == "__main__":
    main()
