#!/usr/bin/env python
"""Tenant isolation benchmark, run by hand: `.venv/bin/python bench/isolation.py`.

Workspace B gets 1,000 events for an endpoint that answers at once (nginx), while workspace
A's endpoint is (1) slow: answers after 2 s, 3,000 events queued before B's; (2) hanging:
answers after the 10 s timeout, 3,000 queued; (3) dead: connection refused, 10,000 deliveries
retrying (retry base 1 s, so their retries keep coming back while B's go). B's time is from
the commit of its events to nginx's last receipt of them; its alone-speed is measured in the
same run, before each scenario (the machine may be shared: the median of those is used).
Prints B's share of its alone-speed per scenario (target >= 0.8). Real Celery workers
(`--processes`, default 2), PostgreSQL (its own database) and Redis (db 14).
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
    configure,
    emit_burst,
    free_port,
    reset_database,
    wait_for_receipts,
    workspace_with_endpoint,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast-events", type=int, default=1_000)
    parser.add_argument("--slow-events", type=int, default=3_000)
    parser.add_argument("--dead-deliveries", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--only", default="shd", help="s=slow, h=hanging, d=dead")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/omniflow_bench_isolation"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    return parser.parse_args()


def _slow_receiver(port: int) -> None:
    """Answer POST /slow after 2 s and POST /hang after an hour, any number at once."""
    from aiohttp import web

    async def slow(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(2)
        return web.Response(text="ok")

    async def hang(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(3600)
        return web.Response(text="late")

    app = web.Application()
    app.add_routes([web.post("/slow", slow), web.post("/hang", hang)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=4096)


def _lanes_forget(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match="*webhooks:lanes*", count=1000):
        client.delete(key)


def _fast_tenant_seconds(nginx: Nginx, events: int) -> float:
    """Emit B's events in one transaction; return seconds from commit to the last receipt."""
    fast = workspace_with_endpoint(nginx.url, slug="fast")
    nginx.mark()
    committed = emit_burst(fast, events=events, resources=events)
    receipts = wait_for_receipts(nginx, events, timeout=900)
    return max(moment for moment, _ in receipts) - committed


def _run(args, workdir: Path, nginx: Nginx, load=None, **env: str) -> float:
    reset_database()
    _lanes_forget(args.redis_url)
    workers = Workers(workdir, app="omniflow", processes=args.processes, queue="celery", **env)
    try:
        if load is not None:
            load()
        return _fast_tenant_seconds(nginx, args.fast_events)
    finally:
        workers.kill()


def _slow_load(args, url: str):
    def load() -> None:
        slow = workspace_with_endpoint(url, slug="slow")
        emit_burst(slow, events=args.slow_events, resources=args.slow_events, offset=10_000_000)
        time.sleep(3)  # the slow endpoint's requests are out, holding what they hold

    return load


def _dead_load(args):
    from django.db import connection, transaction
    from django.utils import timezone

    def load() -> None:
        dead = workspace_with_endpoint(f"http://127.0.0.1:{free_port()}/dead", slug="dead")
        now = timezone.now()
        with transaction.atomic():
            emit_burst(
                dead,
                events=args.dead_deliveries,
                resources=args.dead_deliveries,
                offset=20_000_000,
            )
            # Already failed once each and retrying, their next tries spread over 5 s.
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE webhooks_webhookdelivery SET status = 'retrying', attempt_count = 1, "
                    "first_attempted_at = %s, "
                    "next_attempt_at = %s + (id %% 5000) * interval '1 millisecond'",
                    [now, now],
                )

    return load


def main() -> None:
    args = parse_args()
    configure(args)
    receiver_port = free_port()
    context = multiprocessing.get_context("spawn")
    receiver = context.Process(target=_slow_receiver, args=(receiver_port,), daemon=True)
    receiver.start()
    scenarios = {
        "s": (
            "slow (2 s, 3,000 queued)",
            lambda: _slow_load(args, f"http://127.0.0.1:{receiver_port}/slow"),
            {},
        ),
        "h": (
            "hanging (past the 10 s timeout, 3,000 queued)",
            lambda: _slow_load(args, f"http://127.0.0.1:{receiver_port}/hang"),
            {},
        ),
        "d": (
            f"dead (refused, {args.dead_deliveries:,} retrying)",
            lambda: _dead_load(args),
            {"OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS": "1"},
        ),
    }
    alone: list[float] = []
    shared: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="omniflow-isolation-") as tmp:
        workdir = Path(tmp)
        nginx = Nginx(workdir)
        try:
            for key, (label, load, env) in scenarios.items():
                if key not in args.only:
                    continue
                alone.append(_run(args, workdir, nginx))
                print(f"B alone: {alone[-1]:.2f} s for {args.fast_events} deliveries")
                shared[key] = _run(args, workdir, nginx, load(), **env)
                print(f"B beside A {label}: {shared[key]:.2f} s")
        finally:
            nginx.stop()
            receiver.kill()
    baseline = statistics.median(alone)
    print(f"\nB alone (median of {len(alone)}): {baseline:.2f} s")
    for key, seconds in shared.items():
        print(f"  {scenarios[key][0]:45} B keeps {baseline / seconds:.2f} of its speed (>= 0.8)")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
