"""The README's "Running on PostgreSQL and Redis", run as a new operator runs it.

A fresh clone (no ./var, no .venv), a fresh venv from requirements.txt alone, a fresh
PostgreSQL database, gunicorn and `celery -A omniflow worker --beat` started by the README's
own lines. Then a delivery that got a 503 must be retried (by the sweeper: retries are never
nudged) and both probes must be 200. This is the test that catches a runtime import that only
the test tools happened to install, or a worker that needs a writable working directory.

Wheels are downloaded once per version of requirements.txt into
~/.cache/omniflow/wheelhouse/<hash> (`pip download` resolves exactly as `pip install` does) and
the install itself runs with no index, so reruns are quick and install only what
requirements.txt names.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection

from tests.support.checkout import ROOT, bare_env
from tests.support.processes import free_port, wait_for
from tests.support.receiver import Receiver

pytestmark = [pytest.mark.production, pytest.mark.worker]

WHEELHOUSE_ROOT = Path.home() / ".cache" / "omniflow" / "wheelhouse"
SECTION = "## Running on PostgreSQL and Redis"
# `check --deploy` warnings the README explains: the https redirect belongs to the TLS proxy in
# front, and HSTS for subdomains and preloading are the operator's opt-in.
ACCEPTED_DEPLOY_WARNINGS = {"security.W008", "security.W005", "security.W021"}


def readme_commands() -> list[str]:
    """Return the lines of the README's production code block."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(SECTION) :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the README's production section has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def exported_names(lines: list[str]) -> set[str]:
    return {
        name for line in lines if line.startswith("export ") for name in re.findall(r"(\w+)=", line)
    }


def wheelhouse() -> Path:
    """Return a folder holding every wheel requirements.txt needs, downloading it once."""
    requirements = (ROOT / "requirements.txt").read_bytes()
    folder = WHEELHOUSE_ROOT / hashlib.sha256(requirements).hexdigest()[:16]
    if (folder / ".complete").exists():
        return folder
    partial = folder.with_name(folder.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "-r", "requirements.txt"]
        + ["-d", str(partial)],
        cwd=ROOT,
        check=True,
    )
    (partial / ".complete").touch()
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


class FreshDatabase:
    """A PostgreSQL database of its own, created empty and dropped afterwards."""

    def __init__(self) -> None:
        params = connection.settings_dict
        self.name = f"{params['NAME']}_fresh_install"
        self.admin_dsn = f"postgresql://{params['USER']}@{params['HOST']}:{params['PORT']}/postgres"
        self.url = f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{self.name}"

    def _run(self, sql: str) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as admin:
            admin.execute(sql)

    def create(self) -> "FreshDatabase":
        self.drop()
        self._run(f'CREATE DATABASE "{self.name}"')
        return self

    def drop(self) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def http(method: str, url: str, *, body: dict | None = None, headers: dict | None = None):
    """Return (status, parsed JSON or text) of one request; never raises on HTTP errors."""
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        # As a TLS proxy would say: the app may redirect plain http to https.
        headers={
            "X-Forwarded-Proto": "https",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except OSError:
        return None, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


EXPECTED_METRICS = [
    'omniflow_webhook_deliveries_sent_total{outcome="succeeded"} 1.0',
    'omniflow_webhook_deliveries_sent_total{outcome="retrying"} 1.0',
    'omniflow_api_requests_total{status="201"} 2.0',
    "omniflow_webhook_attempt_duration_seconds_count 2.0",
]


def _two_requests(receiver: Receiver):
    received = receiver.received()
    return received if len(received) >= 2 else None


def _ok(answer):
    status, body = answer
    return body if status == 200 else None


def _containing(answer, lines: list[str]):
    status, body = answer
    return body if status == 200 and all(line in str(body) for line in lines) else None


@pytest.fixture
def fresh_database():
    database = FreshDatabase().create()
    yield database
    database.drop()


def test_readme_production_steps_install_run_and_retry_a_503_from_a_fresh_clone(
    tmp_path, fresh_database
):
    started = time.monotonic()
    commands = readme_commands()
    clone = tmp_path / "omniflow"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    assert not (clone / "var").exists() and not (clone / ".venv").exists()
    port = free_port()
    token = "metrics-token-of-the-fresh-install"
    # The README's exports, with this test's values.
    exports = {
        "DATABASE_URL": fresh_database.url,
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": hashlib.sha256(os.urandom(32)).hexdigest(),
        "OMNIFLOW_SECRETS_KEY": Fernet.generate_key().decode(),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "OMNIFLOW_METRICS_TOKEN": token,
    }
    assert exported_names(commands) == set(exports)
    env = bare_env(
        **exports,
        PORT=str(port),
        # The install step reads only the wheels of requirements.txt, never an index.
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse()),
        # Test knobs, not in the README: a receiver on loopback and quick retries and sweeps.
        OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS="true",
        OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS="0.2",
        OMNIFLOW_WEBHOOK_SWEEP_SECONDS="1",
    )
    # The README's lines as they are, the exports taken from the environment above.
    script = "set -euo pipefail\n" + "\n".join(
        line for line in commands if not line.startswith("export ")
    )
    log_path = tmp_path / "readme-steps.log"
    receiver = Receiver(behaviour=lambda number, request: (503, {}) if number == 1 else (200, {}))
    with open(log_path, "w") as log:
        steps = subprocess.Popen(
            ["bash", "-c", script],
            cwd=clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert steps.poll() is None, log_path.read_text()[-5000:]
            worker_ready = " ready." in log_path.read_text()
            return worker_ready and http("GET", f"{base}/healthz")[0] == 200

        wait_for(up, timeout=900, interval=0.5)
        log = log_path.read_text()
        issues = set(re.findall(r"\((\w+\.\w\d+)\)", log))
        assert issues <= ACCEPTED_DEPLOY_WARNINGS, log[-5000:]
        assert "ERRORS:" not in log

        manage = [str(clone / ".venv/bin/python"), "manage.py"]
        subprocess.run([*manage, "create_workspace", "fresh"], cwd=clone, env=env, check=True)
        key = (
            subprocess.run(
                [
                    *manage,
                    "create_api_key",
                    "--workspace",
                    "fresh",
                    "--name",
                    "install test",
                    "--scope",
                    "webhooks:write",
                    "--scope",
                    "tickets:write",
                ],
                cwd=clone,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        auth = {"Authorization": f"Bearer {key}"}
        status, endpoint = http(
            "POST",
            f"{base}/api/v1/webhook-endpoints",
            body={"url": receiver.url(), "event_types": ["ticket.created"], "secret": ""},
            headers=auth,
        )
        assert status == 201, endpoint
        status, ticket = http(
            "POST", f"{base}/api/v1/tickets", body={"subject": "Refund"}, headers=auth
        )
        assert status == 201, ticket

        first, retry = wait_for(lambda: _two_requests(receiver), timeout=120)

        assert (first.status, retry.status) == (503, 200)
        assert first.delivery_id == retry.delivery_id
        assert retry.json["data"]["id"] == ticket["id"]
        assert http("GET", f"{base}/readyz")[0] == 200
        worker_ready = wait_for(lambda: _ok(http("GET", f"{base}/readyz?worker=1")), timeout=60)
        assert worker_ready["checks"]["sweeper"] == "ok"
        scrape = {"Authorization": f"Bearer {token}"}
        # Each process writes its counts within a second: the totals of web and worker
        # processes (3 gunicorn workers, Celery's pool) add up in every scrape.
        wait_for(
            lambda: _containing(http("GET", f"{base}/metrics", headers=scrape), EXPECTED_METRICS),
            timeout=60,
        )
        # Retention ran once at beat's start (an hourly task under an in-memory schedule).
        assert re.search(r"Task webhooks\.prune\[\S+\] succeeded", log_path.read_text())
        assert re.search(r"Task inbound\.prune\[\S+\] succeeded", log_path.read_text())
        assert not (clone / "var").exists(), "something wrote ./var"
    finally:
        os.killpg(steps.pid, signal.SIGTERM)
        try:
            steps.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(steps.pid, signal.SIGKILL)
            steps.wait()
        receiver.close()
        print(f"fresh install test: {time.monotonic() - started:.0f} s")
