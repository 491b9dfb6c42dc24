#!/usr/bin/env python
"""Measure whether slow agent-tool calls starve the web tier: `/healthz` p95 during 20 concurrent
slow "Try it" calls against its p95 with no calls, in the same run, on the same server.

Run by hand from the repository root, with PostgreSQL and Redis up (`make services`):

    .venv/bin/python bench/tool_calls.py

It migrates its own database, creates a workspace with a full-access key and a tool whose API
(a local server started here) answers after BENCH_SLOW_SECONDS, starts gunicorn on 127.0.0.1 with
the project's `gunicorn.conf.py`, then alternates rounds: `/healthz` alone, then `/healthz`
while 20 clients keep calling the slow tool (`POST /api/v1/agent-tools/{id}/try`). It prints the
medians of each round's p95 and their ratio, and how the tool calls were answered (ok or
`concurrency_limited`: the workspace's bound, OMNIFLOW_TOOL_CALLS_PER_WORKSPACE). With
BENCH_COMPARE_SYNC=1 (the default) it measures the same on gunicorn's sync workers (the
configuration before gthread), for comparison.

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/omniflow_tool_bench),
BENCH_REDIS_URL (redis://127.0.0.1:6379/8), BENCH_WORKERS (gunicorn workers, 3 as in the
Dockerfile), BENCH_CALLERS (20), BENCH_SLOW_SECONDS (3), BENCH_ROUND_SECONDS (8),
BENCH_ROUNDS (3), BENCH_COMPARE_SYNC (1).
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import free_port  # noqa: E402 - the repository root is on the path first

PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

SETUP = """
import sys
from agenttools.models import AgentTool
from agenttools.services import tool_create
from apikeys.scopes import ALL_SCOPES
from apikeys.services import api_key_create
from workspaces.models import Workspace
from workspaces.services import workspace_create

workspace = Workspace.objects.filter(slug="bench-tools").first() or workspace_create(
    slug="bench-tools"
)
AgentTool.objects.filter(workspace=workspace).delete()
tool = tool_create(
    workspace=workspace, created_by=None, name="slow",
    input_schema={"type": "object", "properties": {}},
    url_template=sys.argv[1], timeout_seconds=10, max_concurrency=100, rate_limit="100000/m",
)
_, plaintext = api_key_create(
    workspace=workspace, name="bench", scopes=list(ALL_SCOPES), tier="custom",
    custom_rate="1000000/m",
)
print(tool.pk)
print(plaintext)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="omniflow.settings",
        DATABASE_URL=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omniflow_tool_bench"
        ),
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
        SECRET_KEY="bench-secret-key-not-for-production",
        OMNIFLOW_SECRETS_KEY="dGVzdC1zZWNyZXRzLWtleS0wMTIzNDU2Nzg5YWJjZGU=",
        OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS="true",
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="false",
        STATIC_MANIFEST="false",
        LOG_LEVEL="WARNING",
    )
    return env


def _ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def _slow_api(seconds: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            time.sleep(seconds)
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _gunicorn(env: dict[str, str], port: int, worker_class: str) -> subprocess.Popen:
    workers = os.environ.get("BENCH_WORKERS", "3")
    # gunicorn turns sync into gthread when threads > 1: sync means one thread.
    env = {**env, "GUNICORN_THREADS": "1"} if worker_class == "sync" else env
    process = subprocess.Popen(
        [str(GUNICORN), "omniflow.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", workers, "--worker-class", worker_class, "--access-logfile", "/dev/null"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return process
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def _healthz_p95(base_url: str, seconds: float) -> float:
    """Return the p95 in ms of /healthz asked one after the other for `seconds`."""
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=60) as response:
            response.read()
        latencies.append((time.monotonic() - started) * 1000)
        time.sleep(0.02)
    if len(latencies) < 20:
        # So few answers came that the slowest one is the honest figure.
        return max(latencies)
    return statistics.quantiles(latencies, n=20)[-1]


def _callers(base_url: str, tool_id: int, key: str, count: int, stop: threading.Event) -> Counter:
    outcomes: Counter = Counter()
    lock = threading.Lock()
    body = json.dumps({"arguments": {}}).encode()

    def call_forever():
        while not stop.is_set():
            request = urllib.request.Request(
                f"{base_url}/api/v1/agent-tools/{tool_id}/try",
                data=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    result = json.load(response)["result"]
                    outcome = "ok" if result["ok"] else result["error"]["type"]
            except (urllib.error.URLError, OSError) as error:
                outcome = f"error {getattr(error, 'code', type(error).__name__)}"
            with lock:
                outcomes[outcome] += 1
            if outcome == "concurrency_limited":
                time.sleep(1)  # retry_after_seconds, as a well-behaved client waits

    threads = [threading.Thread(target=call_forever, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    stop.threads = threads  # type: ignore[attr-defined]
    return outcomes


def _measure(env, worker_class: str, tool_id: int, key: str) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = _gunicorn(env, port, worker_class)
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds = float(os.environ.get("BENCH_ROUND_SECONDS", "8"))
    callers = int(os.environ.get("BENCH_CALLERS", "20"))
    idle, busy, outcomes = [], [], Counter()
    try:
        for _ in range(rounds):
            idle.append(_healthz_p95(base_url, seconds))
            stop = threading.Event()
            counted = _callers(base_url, tool_id, key, callers, stop)
            time.sleep(1)  # let the calls take their slots
            busy.append(_healthz_p95(base_url, seconds))
            stop.set()
            for thread in stop.threads:  # type: ignore[attr-defined]
                thread.join(timeout=30)
            outcomes.update(counted)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    idle_p95, busy_p95 = statistics.median(idle), statistics.median(busy)
    print(f"\n{worker_class} workers ({os.environ.get('BENCH_WORKERS', '3')}):")
    print(f"  /healthz p95, no tool calls:            {idle_p95:8.1f} ms  (rounds: {_ms(idle)})")
    print(
        f"  /healthz p95, {callers} slow calls in flight: {busy_p95:8.1f} ms  (rounds: {_ms(busy)})"
    )
    print(f"  ratio: {busy_p95 / idle_p95:.1f}x")
    print(f"  tool calls answered: {dict(outcomes)}")


def _ms(values: list[float]) -> str:
    return ", ".join(f"{value:.1f}" for value in values)


def main() -> None:
    if not PYTHON.exists():
        sys.exit("Run `make test` (or `make run`) once first: it builds .venv.")
    env = _env()
    _ensure_database(env["DATABASE_URL"])
    subprocess.run([str(PYTHON), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    slow = _slow_api(float(os.environ.get("BENCH_SLOW_SECONDS", "3")))
    url = f"http://127.0.0.1:{slow.server_address[1]}/slow"
    setup = subprocess.run(
        [str(PYTHON), "-c", "import django; django.setup()\n" + SETUP, url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    tool_id, key = setup.stdout.split()[-2:]
    print(
        f"Slow tool: answers after {os.environ.get('BENCH_SLOW_SECONDS', '3')} s; "
        f"OMNIFLOW_TOOL_CALLS_PER_WORKSPACE={env.get('OMNIFLOW_TOOL_CALLS_PER_WORKSPACE', '8')}"
    )
    _measure(env, "gthread", int(tool_id), key)
    if os.environ.get("BENCH_COMPARE_SYNC", "1") == "1":
        _measure(env, "sync", int(tool_id), key)


if __name__ == "__main__":
    main()
