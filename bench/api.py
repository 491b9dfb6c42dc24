#!/usr/bin/env python
"""Measure what API-key authentication plus rate limiting costs per request.

Run by hand from the repository root, with PostgreSQL and Redis up (`make services`):

    .venv/bin/python bench/api.py

It migrates its own database, creates a workspace and a key with a limit too high to ever
answer 429, starts gunicorn on 127.0.0.1 and, against that one server, alternates `wrk` runs on
two identical views: one behind the project's API defaults (Bearer key, scope, per-key limit
counted in Redis, RateLimit-* headers), one with authentication, permissions and throttles off.
It prints both throughputs with the workers saturated, their ratio (target: at least 70%), and
the time added to a lone request, from one-connection runs (target: under 2 ms).
In the same run it then times reads with the database, on the same server: `/healthz`, a plain DRF
view of one ticket without auth (bench/urls.py), `GET /api/v1/tickets/{id}` and
`GET /api/v1/tickets` (a page of the bench workspace's tickets, each with tags), and prints their
rates side by side (informative, no target).
Needs `wrk` (Debian/Ubuntu: `apt-get install wrk`; macOS: `brew install wrk`).

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/omniflow_keys_bench),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/7), BENCH_WORKERS (gunicorn workers, 3 as in the
Dockerfile: a sync worker waiting on Redis leaves its core to another),
BENCH_CONNECTIONS (wrk connections, 8), BENCH_SECONDS (per run, 10), BENCH_ROUNDS (2),
BENCH_WORKER_CLASS (gunicorn's, `sync` as in the Dockerfile: one connection per request;
`gthread` keeps wrk's connections alive), BENCH_THREADS (per gthread worker, 4).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
TARGET_RATIO = 0.70
TARGET_ADDED_MS = 2.0

SETUP_KEY = """
from apikeys.models import ApiKey
from apikeys.services import api_key_create, api_key_revoke
from workspaces.models import Workspace
from workspaces.services import workspace_create

workspace = Workspace.objects.filter(slug="bench").first() or workspace_create(slug="bench")
for old in ApiKey.objects.filter(workspace=workspace, revoked_at__isnull=True):
    api_key_revoke(api_key=old, actor=None)
_, plaintext = api_key_create(
    workspace=workspace, name="bench", scopes=["tickets:read"], tier="custom",
    custom_rate="1000000000/m",
)
from inbox.models import Ticket
from inbox.services import ticket_create

tickets = Ticket.objects.filter(workspace=workspace)
while tickets.count() < 25:
    ticket_create(
        workspace=workspace, subject="Bench ticket", actor="bench", tags=["billing", "vip"]
    )
print(tickets.order_by("id").first().pk)
print(plaintext)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omniflow_keys_bench"
        ),
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
        SECRET_KEY="bench-secret-key-not-for-production",
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
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base_url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:  # refused while starting, or slow to answer the first request
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def _wrk(url: str, headers: dict[str, str], *, seconds: int, connections: int) -> dict:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"{url} answered errors under load:\n{output}")
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[latency.group(2)]
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "latency_ms": float(latency.group(1)) * scale,
    }


def _reads(
    base_url: str,
    auth: dict[str, str],
    ticket_id: str,
    *,
    rounds: int,
    seconds: int,
    connections: int,
) -> dict[str, float]:
    """Return the mean rate of each read, alternating them like the views above."""
    reads = {
        "GET /healthz": (f"{base_url}/healthz", {}),
        "plain DRF ticket view (no auth)": (f"{base_url}/bench/plain-ticket/{ticket_id}", {}),
        "GET /api/v1/tickets/{id}": (f"{base_url}/api/v1/tickets/{ticket_id}", auth),
        "GET /api/v1/tickets (a page of 25)": (f"{base_url}/api/v1/tickets", auth),
    }
    for url, headers in reads.values():
        assert _get(url, headers)[0] == 200, url
        _wrk(url, headers, seconds=2, connections=connections)
    rates: dict[str, list[float]] = {name: [] for name in reads}
    for _ in range(rounds):
        for name, (url, headers) in reads.items():
            rates[name].append(_wrk(url, headers, seconds=seconds, connections=connections)["rps"])
    return {name: sum(values) / len(values) for name, values in rates.items()}


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (Debian/Ubuntu), brew install wrk.")
    env = _env()
    workers = int(os.environ.get("BENCH_WORKERS", "3"))
    connections = int(os.environ.get("BENCH_CONNECTIONS", "8"))
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    worker_class = os.environ.get("BENCH_WORKER_CLASS", "sync")
    threads = int(os.environ.get("BENCH_THREADS", "4"))

    load_before = os.getloadavg()[0]
    _ensure_database(env["DATABASE_URL"])
    manage = [str(PYTHON), "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    ticket_id, plaintext = (
        subprocess.run(
            [*manage, "shell", "-c", SETUP_KEY],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-2:]
    )

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "omniflow.wsgi:application",
            f"--workers={workers}",
            f"--worker-class={worker_class}",
            *([f"--threads={threads}"] if worker_class == "gthread" else []),
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_until_up(base_url)
        auth = {"Authorization": f"Bearer {plaintext}"}
        limited_url, bare_url = f"{base_url}/bench/limited", f"{base_url}/bench/bare"
        status, headers = _get(limited_url, auth)
        assert status == 200 and "RateLimit-Remaining" in headers, (status, headers)
        assert _get(limited_url, {})[0] == 401, "the limited view must require a key"
        assert _get(bare_url, {})[0] == 200

        for url, url_headers in ((bare_url, {}), (limited_url, auth)):  # warm up both
            _wrk(url, url_headers, seconds=2, connections=connections)
        # Alternate the views, so drift on a shared machine hits both alike. Throughput runs
        # saturate the workers; one-connection runs measure the latency of a lone request.
        runs: dict[str, list[dict]] = {"bare": [], "limited": []}
        lone: dict[str, list[dict]] = {"bare": [], "limited": []}
        for _ in range(rounds):
            for name, url, url_headers in (("bare", bare_url, {}), ("limited", limited_url, auth)):
                runs[name].append(_wrk(url, url_headers, seconds=seconds, connections=connections))
                lone[name].append(_wrk(url, url_headers, seconds=seconds, connections=1))
        reads = _reads(
            base_url, auth, ticket_id, rounds=rounds, seconds=seconds, connections=connections
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    def mean(values) -> float:
        values = list(values)
        return sum(values) / len(values)

    bare, limited = (mean(run["rps"] for run in runs[name]) for name in ("bare", "limited"))
    lone_bare, lone_limited = (
        mean(run["latency_ms"] for run in lone[name]) for name in ("bare", "limited")
    )
    ratio = limited / bare
    added_ms = lone_limited - lone_bare
    print(
        f"gunicorn {workers} {worker_class} workers"
        f"{f' of {threads} threads' if worker_class == 'gthread' else ''} on {os.cpu_count()} "
        f"CPUs; wrk {connections} "
        f"connections; {rounds} rounds of {seconds}s per view and run, alternating"
    )
    # wrk, gunicorn and Redis share this machine; other load there slows each Redis round trip.
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"bare view (no auth, no limits):    {bare:8.1f} req/s, lone request {lone_bare:.2f} ms")
    print(
        f"authenticated + rate-limited view: {limited:8.1f} req/s, "
        f"lone request {lone_limited:.2f} ms"
    )
    print(f"ratio: {ratio:.1%} (target >= {TARGET_RATIO:.0%})")
    print(f"added per request: {added_ms:.2f} ms (target < {TARGET_ADDED_MS} ms)")
    print("reads with the database (req/s, saturated workers):")
    for name, rps in reads.items():
        print(f"  {name:36} {rps:8.1f}")
    met = ratio >= TARGET_RATIO and added_ms < TARGET_ADDED_MS
    print("targets met" if met else "targets NOT met")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
