"""The project's processes in tests: waiting on them, a free port, a real Celery worker, Redis."""

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.support.checkout import ROOT


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


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
