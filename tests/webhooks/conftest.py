import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.webhooks.receiver import Receiver
from webhooks.engine import transport

ROOT = Path(__file__).resolve().parents[2]


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float = 60.0,
    interval=0.05,
    explain: Callable[[], str] | None = None,
):
    """Poll until `condition()` is truthy; fail the test when it never is.

    `explain` adds what the failure needs to be understood (a worker's log, say).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    message = f"Condition not met within {timeout} s: {condition}"
    if explain is not None:
        message += "\n" + explain()
    raise AssertionError(message)


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pool():
    """Close this process's delivery connection pool (tests drive the engine in-process too)."""
    yield
    transport.close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def allow_private_urls(settings):
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Worker:
    """`celery -A omniflow worker --beat` in its own process group, on the test database."""

    def __init__(self, *, env: dict[str, str], workdir: Path, include: str = "") -> None:
        self.env = env
        self.workdir = workdir
        # Modules the worker imports beyond the app's tasks (test-only tasks).
        self.include = include
        self.log_path = workdir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.process: subprocess.Popen | None = None

    def start(self, *, wait: bool = True) -> "Worker":
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "omniflow",
                "worker",
                "--beat",
                "--schedule",
                str(self.workdir / f"beat-{uuid.uuid4().hex[:8]}"),
                "--concurrency=2",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "-n",
                f"hooks-test-{uuid.uuid4().hex[:8]}@%h",
                *(["--include", self.include] if self.include else []),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        wait_for(lambda: " ready." in self.log_path.read_text() or self._died(), timeout=60)
        assert self.process.poll() is None, self.log_path.read_text()[-3000:]

    def _died(self) -> bool:
        return self.process.poll() is not None

    def kill(self) -> None:
        """SIGKILL the whole worker: main process, pool children and beat."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.terminate()
        self.wait_stopped()

    def terminate(self) -> None:
        """Ask the worker to stop (SIGTERM to its group), without waiting."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def wait_stopped(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text()

    def log_tail(self, characters: int = 6000) -> str:
        return f"--- worker log (last {characters} characters) ---\n" + self.log()[-characters:]


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start real Celery workers on the test database; they see what the test commits."""
    workers: list[Worker] = []
    database = connection.settings_dict

    def start(*, wait: bool = True, include: str = "", **overrides: str) -> Worker:
        env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
                f"/{database['NAME']}"
            ),
            "REDIS_URL": django_settings.REDIS_URL,
            "OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
            "OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
            "OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS": "2",
            "OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS": "1",
            "OMNIFLOW_WEBHOOK_SWEEP_SECONDS": "0.2",
            "DATABASE_CONN_MAX_AGE": "0",
            **overrides,
        }
        # wait=False: started side by side (see Worker.wait_ready), each takes seconds to boot.
        worker = Worker(env=env, workdir=tmp_path, include=include).start(wait=wait)
        workers.append(worker)
        return worker

    yield start
    # All told first, then waited for: each takes seconds to wind down.
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait_stopped()


@pytest.fixture
def own_redis(tmp_path):
    """A private redis-server that a test may stop and restart (never the shared one)."""
    binary = shutil.which("redis-server")
    port = free_port()
    handle: dict[str, subprocess.Popen | None] = {"process": None}

    def start() -> None:
        handle["process"] = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _redis_up(port), timeout=10)

    def stop() -> None:
        process = handle["process"]
        if process and process.poll() is None:
            process.kill()
            process.wait()

    start()
    yield type(
        "OwnRedis",
        (),
        {
            "url": f"redis://127.0.0.1:{port}/0",
            "port": port,
            "start": staticmethod(start),
            "stop": staticmethod(stop),
        },
    )
    stop()


def _redis_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
