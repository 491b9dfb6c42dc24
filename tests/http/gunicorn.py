"""The README's gunicorn command, run for real from the repository root, for tests of what the
web server itself does (its access log, its own refusals)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_gunicorn(log_path: Path) -> Iterator[str]:
    """Run gunicorn on the test database with its output in `log_path`; yield its base URL."""
    port = _free_port()
    environment = {
        **os.environ,
        # The test database: its tables exist, so an unknown trigger is a plain 404.
        "DATABASE_URL": (
            f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:"
            f"{connection.settings_dict['PORT']}/{connection.settings_dict['NAME']}"
        ),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "omniflow.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):  # wait until it listens (start-up, not a timed assertion)
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            # A gthread worker takes the connection at once and may answer the first request
            # after its slow first import of the URLs: a timeout is "not up yet" too.
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
