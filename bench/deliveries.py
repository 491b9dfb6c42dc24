#!/usr/bin/env python
"""Delivery benchmark, run by hand: `.venv/bin/python bench/deliveries.py [--events 20000]`.

Real Celery worker processes deliver to nginx on 127.0.0.1 (`return 200;`, one nginx worker).
Receipts are counted from nginx's access log (`$msec` and the X-Omniflow-Delivery header), so
every rate is first to last receipt as the receiver saw it. Prints:
  (a) our engine, (b) the bare limit: aiohttp posting the same signed bodies with the same
  process count and no database, (c) the naive design: one Celery task per POST with requests;
  the ratios; p50/p99 latency from emit commit to receipt at a steady rate; and throughput to a
  healthy endpoint while deliveries retry against a dead one.
Uses its own database (omniflow_bench) and stops every process it starts.
"""

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (  # noqa: E402 - importable once the repository root is on the path
    Nginx,
    Workers,
    check_all_succeeded,
    configure,
    emit_burst,
    free_port,
    rate,
    reset_database,
    wait_for_receipts,
    workspace_with_endpoint,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--resources", type=int, default=2_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--naive-events", type=int, default=3_000)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--latency-rate", type=float, default=100.0)
    parser.add_argument("--dead-deliveries", type=int, default=10_000)
    parser.add_argument("--dead-resources", type=int, default=1_000)
    parser.add_argument("--bare-connections", type=int, default=64)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the throughput scenarios (a, b, e) this many times; the median is reported",
    )
    parser.add_argument(
        "--only", default="abcde", help="scenarios to run, e.g. 'abc' (d=latency, e=dead endpoint)"
    )
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/omniflow_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    return parser.parse_args()


def scenario_engine(args, nginx: Nginx, workdir: Path) -> float:
    print("(a) engine: emit in one transaction, real workers deliver")
    reset_database()
    workspace = workspace_with_endpoint(nginx.url)
    workers = Workers(workdir, app="omniflow", processes=args.processes, queue="celery")
    try:
        nginx.mark()
        emit_burst(workspace, events=args.events, resources=args.resources)
        receipts = wait_for_receipts(nginx, args.events)
        check_all_succeeded(args.events)
    finally:
        workers.stop()
    duplicates = len(receipts) - len({d for _, d in receipts})
    value = rate(receipts)
    print(f"    {len(receipts)} receipts ({duplicates} duplicates): {value:,.0f} deliveries/s")
    return value


def _bare_process(url: str, bodies: list[tuple[bytes, dict]], connections: int) -> None:
    import aiohttp

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector) as session:
            queue = list(reversed(bodies))

            async def sender() -> None:
                while queue:
                    body, headers = queue.pop()
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()

            await asyncio.gather(*(sender() for _ in range(connections)))

    asyncio.run(run())


def scenario_bare(args, nginx: Nginx) -> float:
    print(f"(b) bare aiohttp: same signed bodies, {args.processes} processes, no database")
    from omniflow.crypto import body_signature as sign
    from omniflow.crypto import decrypt_secret
    from webhooks.models import WebhookDelivery

    deliveries = list(
        WebhookDelivery.objects.select_related("event", "endpoint").order_by("id")[: args.events]
    )
    if len(deliveries) < args.events:
        workspace = workspace_with_endpoint(nginx.url)
        emit_burst(workspace, events=args.events, resources=args.resources)
        deliveries = list(
            WebhookDelivery.objects.select_related("event", "endpoint").order_by("id")[
                : args.events
            ]
        )
    secret = decrypt_secret(token=deliveries[0].endpoint.secret_encrypted)
    bodies = []
    for delivery in deliveries:
        body = delivery.event.body.encode()
        bodies.append(
            (
                body,
                {
                    "Content-Type": "application/json",
                    "User-Agent": "Omniflow-Webhooks/1.0",
                    "X-Omniflow-Event": delivery.event_type,
                    "X-Omniflow-Delivery": str(delivery.id),
                    "X-Omniflow-Timestamp": str(int(time.time())),
                    "X-Omniflow-Signature": sign(secret=secret, body=body),
                },
            )
        )
    shares = [bodies[i :: args.processes] for i in range(args.processes)]
    nginx.mark()
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_bare_process, args=(nginx.url, share, args.bare_connections))
        for share in shares
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    receipts = wait_for_receipts(nginx, len(bodies))
    value = rate(receipts)
    print(f"    {len(receipts)} receipts: {value:,.0f} posts/s")
    return value


def scenario_naive(args, nginx: Nginx, workdir: Path) -> float:
    print(f"(c) naive: one Celery task per POST with requests ({args.naive_events} events)")
    from django.db import transaction

    from bench.naive import naive_deliver
    from webhooks.models import WebhookDelivery

    reset_database()
    workspace = workspace_with_endpoint(nginx.url)
    workers = Workers(workdir, app="bench.naive", processes=args.processes, queue="naive")
    try:
        nginx.mark()
        with transaction.atomic():
            emit_burst(workspace, events=args.naive_events, resources=args.resources)
            ids = list(WebhookDelivery.objects.values_list("id", flat=True))
            transaction.on_commit(lambda: [naive_deliver.delay(pk) for pk in ids])
        receipts = wait_for_receipts(nginx, args.naive_events)
    finally:
        workers.stop()
    value = rate(receipts)
    print(f"    {len(receipts)} receipts: {value:,.0f} deliveries/s")
    return value


def scenario_latency(args, nginx: Nginx, workdir: Path) -> tuple[float, float]:
    print(f"(d) latency: {args.latency_rate:g} events/s for {args.latency_seconds:g} s")
    from django.db import transaction

    from webhooks.events import EventType, emit
    from webhooks.models import WebhookDelivery

    reset_database()
    workspace = workspace_with_endpoint(nginx.url)
    workers = Workers(workdir, app="omniflow", processes=args.processes, queue="celery")
    committed: dict[str, float] = {}
    try:
        nginx.mark()
        total = int(args.latency_rate * args.latency_seconds)
        started = time.monotonic()
        for number in range(total):
            due = started + number / args.latency_rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            with transaction.atomic():
                event = emit(
                    workspace=workspace,
                    event_type=EventType.TICKET_CREATED,
                    resource_id=number % 200,
                    data={"id": number % 200, "sequence": number},
                )
            committed_at = time.time()
            for pk in WebhookDelivery.objects.filter(event=event).values_list("id", flat=True):
                committed[str(pk)] = committed_at
        receipts = wait_for_receipts(nginx, total)
    finally:
        workers.stop()
    first_receipt: dict[str, float] = {}
    for moment, delivery in receipts:
        first_receipt.setdefault(delivery, moment)
    latencies = sorted(first_receipt[d] - committed[d] for d in committed)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"    p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    return p50, p99


def scenario_dead_endpoint(args, nginx: Nginx, workdir: Path) -> float:
    print(
        f"(e) healthy endpoint while {args.dead_deliveries} deliveries over "
        f"{args.dead_resources} resources retry against a dead one (retry base 1 s)"
    )
    from webhooks.models import WebhookDelivery

    reset_database()
    dead_port = free_port()  # nothing listens: connection refused
    dead = workspace_with_endpoint(f"http://127.0.0.1:{dead_port}/hook", slug="dead")
    healthy = workspace_with_endpoint(nginx.url)
    workers = Workers(
        workdir,
        app="omniflow",
        processes=args.processes,
        queue="celery",
        OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS="1",
        OMNIFLOW_WEBHOOK_SWEEP_SECONDS="1",
    )
    try:
        emit_burst(
            dead, events=args.dead_deliveries, resources=args.dead_resources, offset=10_000_000
        )
        deadline = time.monotonic() + 120
        while WebhookDelivery.objects.filter(workspace=dead, status="retrying").count() < min(
            args.dead_resources, args.dead_deliveries
        ):
            if time.monotonic() > deadline:
                raise SystemExit("dead-endpoint deliveries never started retrying")
            time.sleep(0.2)
        nginx.mark()
        emit_burst(healthy, events=args.events, resources=args.resources)
        receipts = wait_for_receipts(nginx, args.events)
        attempts_on_dead = WebhookDelivery.objects.filter(workspace=dead).values_list(
            "attempt_count", flat=True
        )
    finally:
        workers.stop()
    value = rate(receipts)
    print(
        f"    {len(receipts)} receipts: {value:,.0f} deliveries/s "
        f"(dead endpoint: {sum(attempts_on_dead)} attempts so far)"
    )
    return value


def _scenarios_run(args, nginx: "Nginx", workdir: Path) -> dict[str, float]:
    """Run the chosen scenarios, the repeated ones interleaved; return each one's figure."""
    results: dict[str, float] = {}
    scenarios = {
        "a": lambda: scenario_engine(args, nginx, workdir),
        "b": lambda: scenario_bare(args, nginx),
        "e": lambda: scenario_dead_endpoint(args, nginx, workdir),
    }
    # The machine may be shared: interleaving the repeats spreads load bursts evenly.
    runs: dict[str, list[float]] = {key: [] for key in scenarios}
    for _ in range(args.repeat):
        for key, scenario in scenarios.items():
            if key in args.only:
                runs[key].append(scenario())
    for key, values in runs.items():
        if values:
            results[key] = statistics.median(values)
            if len(values) > 1:
                listed = ", ".join(f"{v:,.0f}" for v in values)
                print(f"    ({key}) runs: {listed}; median {results[key]:,.0f}")
    if "c" in args.only:
        results["c"] = scenario_naive(args, nginx, workdir)
    if "d" in args.only:
        results["p50"], results["p99"] = scenario_latency(args, nginx, workdir)
    return results


def _summary_print(results: dict[str, float]) -> None:
    print("\nSummary")
    for key, label in [
        ("a", "(a) engine"),
        ("b", "(b) bare aiohttp"),
        ("c", "(c) naive"),
        ("e", "(e) healthy while dead retries"),
    ]:
        if key in results:
            print(f"  {label:34} {results[key]:>9,.0f} deliveries/s")
    if "a" in results and "b" in results:
        print(f"  a/b = {results['a'] / results['b']:.2f}x (target >= 1.2x)")
    if "a" in results and "c" in results:
        print(f"  a/c = {results['a'] / results['c']:.1f}x (target >= 10x)")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if "p99" in results:
        print(
            f"  latency p50 {results['p50'] * 1000:.0f} ms, p99 {results['p99'] * 1000:.0f} ms "
            "(target p99 < 1 s)"
        )
    if "a" in results and "e" in results:
        print(f"  e/a = {results['e'] / results['a']:.0%} (target >= 80%)")


def main() -> None:
    args = parse_args()
    configure(args)
    with tempfile.TemporaryDirectory(prefix="omniflow-bench-") as tmp:
        workdir = Path(tmp)
        nginx = Nginx(workdir)
        try:
            print(f"nginx on {nginx.url}; {args.processes} worker processes; {os.cpu_count()} CPUs")
            results = _scenarios_run(args, nginx, workdir)
        finally:
            nginx.stop()
    _summary_print(results)


if __name__ == "__main__":
    main()
