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
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configure(args: argparse.Namespace) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "omniflow.settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
            "OMNIFLOW_SECRETS_KEY": os.environ.get(
                "OMNIFLOW_SECRETS_KEY", "dGVzdC1zZWNyZXRzLWtleS0wMTIzNDU2Nzg5YWJjZGU="
            ),
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-secret-key"),
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    import psycopg

    name = args.database_url.rsplit("/", 1)[1]
    server = args.database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Nginx:
    """nginx answering 200 to every POST, logging when each delivery arrived."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "nginx"
        self.dir.mkdir()
        self.port = free_port()
        self.log = self.dir / "access.log"
        conf = self.dir / "nginx.conf"
        conf.write_text(
            f"""
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    log_format bench '$msec $http_x_omniflow_delivery $status';
    access_log {self.log} bench buffer=256k flush=100ms;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{self.port} backlog=4096;
        location / {{ return 200; }}
    }}
}}
"""
        )
        self.process = subprocess.Popen(
            ["/usr/sbin/nginx", "-c", str(conf), "-p", str(self.dir)],
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        self._offset = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def mark(self) -> None:
        """Ignore every receipt logged so far."""
        time.sleep(0.3)  # the log buffer flushes every 100 ms
        self._offset = self.log.stat().st_size if self.log.exists() else 0

    def receipts(self) -> list[tuple[float, str]]:
        """Return (time, delivery id) of each 200 logged since the mark."""
        if not self.log.exists():
            return []
        with open(self.log, "rb") as log:
            log.seek(self._offset)
            lines = log.read().decode().splitlines()
        out = []
        for line in lines:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "200":
                out.append((float(parts[0]), parts[1]))
        return out

    def stop(self) -> None:
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Workers:
    """`celery worker` processes in their own process group."""

    def __init__(self, workdir: Path, *, app: str, processes: int, queue: str, **env: str):
        self.log = workdir / f"worker-{app}-{time.monotonic_ns()}.log"
        command = [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            app,
            "worker",
            f"--concurrency={processes}",
            "-Q",
            queue,
            "--loglevel=" + os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"bench-{time.monotonic_ns()}@%h",
        ]
        if app == "omniflow":
            command += ["--beat", "--schedule", str(workdir / f"beat-{time.monotonic_ns()}")]
        self.handle = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        time.sleep(4)  # let the pool processes fork and connect
        if self.process.poll() is not None:
            raise SystemExit(f"worker died: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.handle.close()


def reset_database() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE webhooks_webhookdeliveryattempt, webhooks_webhookdelivery, "
            "webhooks_webhookevent, webhooks_webhookendpoint RESTART IDENTITY CASCADE"
        )
    # The broker's queues may hold wake-ups of an earlier run; they only add noise.
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete("celery", "naive")
    from django.core.cache import cache

    from webhooks.tasks import NUDGE_FLAG

    # Its wake-up was just deleted with the queue: do not let the flag hold back new ones.
    cache.delete(NUDGE_FLAG)


def workspace_with_endpoint(url: str, slug: str = "bench"):
    from webhooks.events import EVENT_TYPES
    from webhooks.services import endpoint_create
    from workspaces.models import Workspace

    workspace, _ = Workspace.objects.get_or_create(slug=slug, defaults={"name": slug})
    endpoint_create(workspace=workspace, url=url, event_types=list(EVENT_TYPES))
    return workspace


def emit_burst(workspace, *, events: int, resources: int, offset: int = 0) -> float:
    """Emit `events` conversation events over `resources` in one transaction; return commit time."""
    from django.db import transaction

    from webhooks.events import EventType, emit

    started = time.monotonic()
    with transaction.atomic():
        for number in range(events):
            resource = offset + number % resources
            emit(
                workspace=workspace,
                event_type=EventType.CONVERSATION_CREATED,
                resource_id=resource,
                data={
                    "id": resource,
                    "object": "conversation",
                    "sequence": number // resources,
                    "channel": "chat",
                    "status": "open",
                    "subject": "Where is my order?",
                    "contact": {"id": 311, "email": "ada@example.com"},
                },
            )
    committed = time.time()
    print(f"    emitted {events} events in {time.monotonic() - started:.1f} s (one transaction)")
    return committed


def wait_for_receipts(nginx: Nginx, count: int, timeout: float = 600) -> list[tuple[float, str]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipts = nginx.receipts()
        if len({delivery for _, delivery in receipts}) >= count:
            return receipts
        time.sleep(0.25)
    raise SystemExit(f"only {len(nginx.receipts())} of {count} receipts after {timeout} s")


def rate(receipts: list[tuple[float, str]]) -> float:
    times = [moment for moment, _ in receipts]
    return len(times) / (max(times) - min(times))


def check_all_succeeded(expected: int) -> None:
    from webhooks.models import WebhookDelivery

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if WebhookDelivery.objects.filter(status="succeeded").count() >= expected:
            return
        time.sleep(0.2)
    raise SystemExit("deliveries received but not recorded as succeeded")


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


def main() -> None:
    args = parse_args()
    configure(args)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="omniflow-bench-") as tmp:
        workdir = Path(tmp)
        nginx = Nginx(workdir)
        try:
            print(f"nginx on {nginx.url}; {args.processes} worker processes; {os.cpu_count()} CPUs")
            # The machine may be shared: interleaving the repeats spreads load bursts evenly.
            runs: dict[str, list[float]] = {"a": [], "b": [], "e": []}
            for _ in range(args.repeat):
                if "a" in args.only:
                    runs["a"].append(scenario_engine(args, nginx, workdir))
                if "b" in args.only:
                    runs["b"].append(scenario_bare(args, nginx))
                if "e" in args.only:
                    runs["e"].append(scenario_dead_endpoint(args, nginx, workdir))
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
        finally:
            nginx.stop()
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
        print(f"  a/b = {results['a'] / results['b']:.0%} (target >= 50%)")
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


if __name__ == "__main__":
    main()
