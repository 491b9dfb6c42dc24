#!/usr/bin/env python
"""Measure the keyed read path of the API against a plain-DRF service doing the same read.

Run by hand from the repository root, with PostgreSQL and Redis up (`make services`):

    .venv/bin/python bench/api.py

It migrates its own database and creates a workspace with 25 tagged tickets and a key with a
limit too high to ever answer 429. It then writes the *peer* into a temporary folder: a
throwaway Django project of DRF's `RetrieveAPIView` and `ListAPIView` over the same ticket
table (the same fields, tags by name, cursor pages of 25), keys from
`djangorestframework-api-key` (`HasAPIKey`) and a per-key DRF throttle (`SimpleRateThrottle`)
in Redis through Django's `RedisCache`, with the middleware of `startproject`. The peer's
throttle is set at 100000/s so that it never refuses and its history (one timestamp per request
in the window) stays at about one second of requests.

Both servers run at once, each under gunicorn `-w 2 --threads 4` (gthread); ours with its own
`gunicorn.conf.py`, access log included (to /dev/null). wrk rounds alternate between them
(the order flips each round), 64 connections each, and the run prints, for
`GET /api/v1/tickets/{id}` and the list of 25, both rates, both p99 latencies and the ratio
(medians of BENCH_ROUNDS rounds). Targets: ours at least 2x the peer's rate, and our p99 no worse
than the peer's. Before the servers start it also times counting one request against a key's
limits with our counter (omniflow.ratelimits, one script) and with django-ratelimit's public
`get_usage` doing the same, the measurement behind owning the counter.

Needs `wrk` (Debian/Ubuntu: `apt-get install wrk`; `make bench` installs it).

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/omniflow_keys_bench),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/7), BENCH_CONNECTIONS (wrk connections, 64),
BENCH_SECONDS (per run, 10), BENCH_ROUNDS (3), BENCH_PROFILE (a folder: sample each of our
workers with py-spy while the rounds run, keep the stacks there and print the functions that
took most of the samples; py-spy needs ptrace rights, e.g. root).
"""

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import pyspy  # noqa: E402 - importable once the repository root is on the path
from bench.peer import peer_key, write_peer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
TARGET_RATIO = 2.0
GUNICORN_ARGS = ["--workers=2", "--worker-class=gthread", "--threads=4", "--log-level=warning"]

SETUP = """
from apikeys.models import ApiKey
from apikeys.services import api_key_create, api_key_revoke
from inbox.models import Ticket
from inbox.services import ticket_create
from workspaces.models import Workspace
from workspaces.services import workspace_create

workspace = Workspace.objects.filter(slug="bench").first() or workspace_create(slug="bench")
for old in ApiKey.objects.filter(workspace=workspace, revoked_at__isnull=True):
    api_key_revoke(api_key=old, actor=None)
_, plaintext = api_key_create(
    workspace=workspace, name="bench", scopes=["tickets:read"], tier="custom",
    custom_rate="1000000000/m",
)
tickets = Ticket.objects.filter(workspace=workspace)
while tickets.count() < 25:
    ticket_create(
        workspace=workspace, subject="Bench ticket", actor="bench", tags=["billing", "vip"]
    )
print(workspace.pk, tickets.order_by("id").first().pk, plaintext)
"""

# Our counter (omniflow.ratelimits: one script checks the key's generation, counts both windows
# of a burstable key and the day's tally) against django-ratelimit's public `get_usage` doing
# the same (the generation read, one call per window, the tally), in this process on the
# bench Redis; rounds alternate. Prints µs per counted request for each, then the ratio.
COUNTERS = """
import statistics, time
from django.core.cache import cache
from django.test import RequestFactory
from django_ratelimit.core import get_usage
from omniflow.ratelimits import Extras, count, parse_rates

rates = parse_rates("1000000000/m,1000000000/h")
cache.set("bench:generation", 7, 3600)
request = RequestFactory().get("/")
extras = Extras(guard=("bench:generation", "7"), tallies=(("bench:tally", 86400),))


def ours():
    count(group="bench", value="1", rates=rates, extras=extras)


def library():
    assert cache.get("bench:generation") == 7
    for rate in ("1000000000/m", "1000000000/h"):
        get_usage(request, group="bench", key=lambda g, r: "1", rate=rate, increment=True)
    if not cache.add("bench:tally", 1, 86400):
        cache.incr("bench:tally")


times = {"ours": [], "library": []}
for _ in range(3):
    for name, counted in (("ours", ours), ("library", library)):
        started = time.perf_counter()
        for _ in range(2000):
            counted()
        times[name].append((time.perf_counter() - started) / 2000 * 1e6)
ours_us, library_us = (statistics.median(times[name]) for name in ("ours", "library"))
print(f"{ours_us:.1f} {library_us:.1f}")
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="omniflow.settings",
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


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait_until_up(url: str, headers: dict[str, str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if _get(url, headers)[0] == 200:
                return
        except OSError:  # refused while starting, or slow to answer the first request
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, headers: dict[str, str], *, seconds: int, connections: int) -> dict:
    # A long timeout: on a loaded machine a slow answer is a latency to count, not an error.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout=30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise SystemExit(f"{url} answered errors under load:\n{output}")
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)],
    }


class Server:
    """gunicorn serving `app` from `cwd` on a free port, in its own process group."""

    def __init__(self, app: str, *, cwd: Path, env: dict[str, str]):
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(GUNICORN), app, f"--bind=127.0.0.1:{self.port}", *GUNICORN_ARGS],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,  # our access log: written, as in production, unread
            start_new_session=True,
        )

    def worker_pids(self) -> list[int]:
        output = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in output.split()]

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def _output(command: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    """Run a command to its end and return what it printed (raise if it failed)."""
    return subprocess.run(
        command, cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def _setup(env: dict[str, str]) -> tuple[int, int, str]:
    _ensure_database(env["DATABASE_URL"])
    manage = [str(PYTHON), "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    output = _output([*manage, "shell", "-c", SETUP], cwd=ROOT, env=env)
    workspace_id, ticket_id, plaintext = output.split()[-3:]
    return int(workspace_id), int(ticket_id), plaintext


def _counters(env: dict[str, str]) -> tuple[float, float]:
    output = _output([str(PYTHON), "manage.py", "shell", "-c", COUNTERS], cwd=ROOT, env=env)
    ours_us, library_us = output.split()[-2:]
    return float(ours_us), float(library_us)


def _rounds(targets: dict, *, rounds: int, seconds: int, connections: int) -> dict:
    """Run wrk on each (read, server) pair `rounds` times, alternating; return the runs."""
    runs = {pair: [] for pair in targets}
    for number in range(rounds):
        for read in ("detail", "list"):
            servers = ("ours", "peer") if number % 2 == 0 else ("peer", "ours")
            for side in servers:
                url, headers = targets[(read, side)]
                runs[(read, side)].append(
                    _wrk(url, headers, seconds=seconds, connections=connections)
                )
    return runs


def _report(runs: dict, *, rounds: int, seconds: int, connections: int, load: tuple) -> bool:
    print(
        f"gunicorn {' '.join(GUNICORN_ARGS[:3])} for both, side by side, on {os.cpu_count()} "
        f"CPUs; wrk {connections} connections, {rounds} rounds of {seconds}s per read and "
        "server, alternating; medians"
    )
    # wrk, both servers, PostgreSQL and Redis share this machine, and so does any other load.
    print(f"load average (1 min): {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    met = True
    names = {"detail": "GET /api/v1/tickets/{id}", "list": "GET /api/v1/tickets (25)"}
    for read, name in names.items():
        ours, peer = runs[(read, "ours")], runs[(read, "peer")]
        rps = [statistics.median(run["rps"] for run in side) for side in (ours, peer)]
        p99 = [statistics.median(run["p99_ms"] for run in side) for side in (ours, peer)]
        ratio = rps[0] / rps[1]
        print(f"{name}")
        print(f"  ours:       {rps[0]:8.1f} req/s   p99 {p99[0]:7.2f} ms")
        print(f"  plain DRF:  {rps[1]:8.1f} req/s   p99 {p99[1]:7.2f} ms")
        print(
            f"  ratio:      {ratio:8.2f}x (target >= {TARGET_RATIO:.1f}x), p99 ours/peer "
            f"{p99[0] / p99[1]:.2f} (target <= 1)"
        )
        print(
            "  rounds ours "
            + ", ".join(f"{run['rps']:.0f}" for run in ours)
            + " | peer "
            + ", ".join(f"{run['rps']:.0f}" for run in peer)
        )
        met = met and ratio >= TARGET_RATIO and p99[0] <= p99[1]
    print("targets met" if met else "targets NOT met")
    return met


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (Debian/Ubuntu), brew install wrk.")
    env = _env()
    connections = int(os.environ.get("BENCH_CONNECTIONS", "64"))
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    profile = os.environ.get("BENCH_PROFILE")

    load = os.getloadavg()
    workspace_id, ticket_id, plaintext = _setup(env)
    counters = _counters(env)
    with tempfile.TemporaryDirectory(prefix="omniflow-bench-peer-") as folder:
        folder = Path(folder)
        write_peer(
            folder,
            workspace_id=workspace_id,
            database_url=env["DATABASE_URL"],
            redis_url=env["REDIS_URL"],
        )
        peer_plaintext = peer_key(folder, env, python=str(PYTHON), output=_output)
        ours = Server("omniflow.wsgi:application", cwd=ROOT, env=env)
        peer = Server(
            "peer_wsgi:application",
            cwd=folder,
            env={**env, "DJANGO_SETTINGS_MODULE": "peer_settings", "PYTHONPATH": str(folder)},
        )
        try:
            ours_auth = {"Authorization": f"Bearer {plaintext}"}
            peer_auth = {"Authorization": f"Api-Key {peer_plaintext}"}
            targets = {
                ("detail", "ours"): (f"{ours.base_url}/api/v1/tickets/{ticket_id}", ours_auth),
                ("detail", "peer"): (f"{peer.base_url}/tickets/{ticket_id}", peer_auth),
                ("list", "ours"): (f"{ours.base_url}/api/v1/tickets?limit=25", ours_auth),
                ("list", "peer"): (f"{peer.base_url}/tickets", peer_auth),
            }
            for url, headers in targets.values():
                _wait_until_up(url, headers)
            _check_same_reads(targets)
            for url, headers in targets.values():  # warm up every worker and connection
                _wrk(url, headers, seconds=2, connections=connections)
            spies = (
                pyspy.record(ours.worker_pids(), profile, rounds * seconds * 4 + 5)
                if profile
                else []
            )
            runs = _rounds(targets, rounds=rounds, seconds=seconds, connections=connections)
            for spy in spies:
                spy.wait(timeout=120)
        finally:
            ours.stop()
            peer.stop()
    met = _report(runs, rounds=rounds, seconds=seconds, connections=connections, load=load)
    ours_us, library_us = counters
    print(
        f"counting a burstable key's request (generation check, two windows, the day's tally): "
        f"ours {ours_us:.0f} us, django-ratelimit's get_usage {library_us:.0f} us "
        f"({library_us / ours_us:.1f}x)"
    )
    if profile:
        pyspy.print_summary(profile)
    sys.exit(0 if met else 1)


def _check_same_reads(targets: dict) -> None:
    """Fail unless both servers answer the same tickets, ours with its RateLimit fields."""
    import json

    for read in ("detail", "list"):
        answers = {}
        for side in ("ours", "peer"):
            status, headers, body = _get(*targets[(read, side)])
            assert status == 200, (read, side, status, body[:300])
            data = json.loads(body)
            answers[side] = data if read == "detail" else data["results"]
            if side == "ours":
                assert "RateLimit" in headers and "RateLimit-Policy" in headers, headers
        assert answers["ours"] == answers["peer"], (read, answers)


if __name__ == "__main__":
    main()
