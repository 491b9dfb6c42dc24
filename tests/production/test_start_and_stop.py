"""Shutdown and start-up that behave: a worker stops on SIGTERM, `make run` refuses a taken port.

`make run` started for real (address, delivery, burst, killed worker, Ctrl-C): test_make_run.py.
"""

import os
import signal
import socket
import subprocess

import pytest
from django.db import transaction

from tests.support.checkout import ROOT, bare_env
from tests.support.processes import wait_for
from webhooks.events import emit
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

# Generous for a stop that takes about two leases (3 s each here); a worker that waited for
# its dispatch run (a minute per run before) or for the backlog (15 minutes) would not make it.
STOP_BOUND_SECONDS = 30


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_a_busy_worker_without_waiting_for_its_backlog(
    start_worker, receiver, workspace, allow_private_urls
):
    receiver.delay_seconds = 1.0
    endpoint_create(workspace=workspace, url=receiver.url(), event_types=["ticket.created"])
    # 2 requests at a time, 1 s each: the backlog alone keeps a dispatch busy for 15 minutes.
    worker = start_worker(OMNIFLOW_WEBHOOK_CONCURRENCY="2")
    with transaction.atomic():
        for resource in range(1800):
            emit(
                workspace=workspace,
                event_type="ticket.created",
                resource_id=resource,
                data={"id": resource},
            )
    wait_for(lambda: len(receiver.received()) >= 4)

    # What a supervisor sends: SIGTERM to the main process only (a warm shutdown).
    os.kill(worker.process.pid, signal.SIGTERM)

    assert worker.process.wait(timeout=STOP_BOUND_SECONDS) == 0, worker.log()[-3000:]
    assert WebhookDelivery.objects.exclude(status="succeeded").count() > 1000


def _run_make_run(clone, port: int, log_path):
    # The clone shares this checkout's virtualenv: installing is the fresh-install test's job.
    (clone / ".venv").symlink_to(ROOT / ".venv")
    with open(log_path, "w") as log:
        return subprocess.Popen(
            ["scripts/run.sh"],
            cwd=clone,
            env=bare_env(HOST_PORT=f"127.0.0.1:{port}"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.mark.production
def test_make_run_says_so_and_fails_when_its_port_is_taken(fresh_clone, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = _run_make_run(fresh_clone, port, tmp_path / "make-run.log")
        try:
            # Said before the migrations, not after them.
            status = run.wait(timeout=30)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)

    log = (tmp_path / "make-run.log").read_text()
    assert status != 0
    assert f"did not start on 127.0.0.1:{port}" in log
    assert "is up" not in log


@pytest.mark.production
def test_loading_settings_in_a_fresh_clone_creates_no_files(fresh_clone):
    before = sorted(path.relative_to(fresh_clone) for path in fresh_clone.rglob("*"))

    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "check"],
        cwd=fresh_clone,
        env=bare_env(PYTHONDONTWRITEBYTECODE="1"),
        check=True,
        capture_output=True,
    )

    after = sorted(path.relative_to(fresh_clone) for path in fresh_clone.rglob("*"))
    assert after == before
    assert not (fresh_clone / "var").exists()
    assert not (fresh_clone / "control").exists()
