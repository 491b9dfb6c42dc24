"""What bench/deliveries.py runs its scenarios on: its database, nginx as the receiver, Celery
worker processes, event bursts and the receipts nginx logged."""

import argparse
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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

    def kill(self) -> None:
        """SIGKILL the workers at once (their leases are abandoned: fine between runs)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.handle.close()

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

    from webhooks.engine.wakeup import NUDGE_FLAG

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
