import os
import shutil
import subprocess

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.support.processes import Worker, free_port, redis_up, wait_for
from tests.support.receiver import Receiver
from webhooks.engine import transport


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
        wait_for(lambda: redis_up(port), timeout=10)

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
