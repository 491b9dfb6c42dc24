"""`make soak-run`: the embedded default started many times, and left up with steady traffic.

20 fresh starts (a fresh ./var each), each delivering a webhook and stopped with Ctrl-C; then
one `make run` up for 10 minutes with an event a second and beat's periodic tasks running:
every event delivered, no crash, no `database is locked`; then a worker killed more often than
`make run` restarts one, which stops everything with a message. SOAK_STARTS and SOAK_SECONDS change
the figures; each test prints what it measured. Skipped unless OMNIFLOW_SOAK=1 (the target
sets it): ~25 minutes is no part of `make test`.
"""

import os
import re
import signal
import time

import pytest

from tests.production.makerun import MakeRun, make_clone, troubles
from tests.support.processes import wait_for
from tests.support.receiver import Receiver

pytestmark = [
    pytest.mark.production,
    pytest.mark.worker,
    pytest.mark.skipif(
        os.environ.get("OMNIFLOW_SOAK") != "1", reason="a soak: run it with `make soak-run`"
    ),
]

STARTS = int(os.environ.get("SOAK_STARTS", "20"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _deliver_one(run: MakeRun, receiver: Receiver, *, subject: str) -> bool:
    key = run.demo_key()
    endpoint = run.api(
        "POST",
        "webhook-endpoints",
        key,
        {"url": receiver.url(f"/{subject}"), "event_types": ["ticket.created"], "secret": ""},
    )
    assert endpoint.status_code == 201, endpoint.text
    ticket = run.api("POST", "tickets", key, {"subject": subject}).json()
    try:
        wait_for(lambda: ticket["id"] in _ticket_ids(receiver, f"/{subject}"), timeout=60)
    except AssertionError:
        return False
    return True


def _ticket_ids(receiver: Receiver, path: str | None = None) -> set[int]:
    return {request.json["data"]["id"] for request in receiver.received(path)}


def test_fresh_starts_each_deliver_a_webhook_and_stop_cleanly(tmp_path, receiver):
    clone = make_clone(tmp_path / "omniflow")
    starts = deliveries = crashes = clean_stops = 0
    up_seconds = []
    for number in range(1, STARTS + 1):
        run = MakeRun(clone, tmp_path / f"start-{number}.log").start(fresh=True)
        try:
            up_seconds.append(run.wait_up())
            starts += 1
            deliveries += _deliver_one(run, receiver, subject=f"start-{number}")
            status = run.ctrl_c()
            clean_stops += status == 0 and run.alive() == []
        finally:
            run.kill()
        crashes += bool(troubles(run.log()))
        print(f"start {number}: up in {up_seconds[-1]:.1f} s, delivered {deliveries}")

    up_seconds.sort()
    print(
        f"\nsoak-run starts: {starts} fresh starts, {deliveries} deliveries, {crashes} crashes, "
        f"{clean_stops} Ctrl-C stops with status 0; up in median "
        f"{up_seconds[len(up_seconds) // 2]:.1f} s (min {up_seconds[0]:.1f}, "
        f"max {up_seconds[-1]:.1f})"
    )
    assert (starts, deliveries, crashes, clean_stops) == (STARTS, STARTS, 0, STARTS)


def test_one_run_up_with_an_event_a_second_delivers_every_event(tmp_path, receiver):
    clone = make_clone(tmp_path / "omniflow")
    run = MakeRun(clone, tmp_path / "soak.log").start(fresh=True)
    try:
        run.wait_up()
        key = run.api_key(rate="100000/m")
        endpoint = run.api(
            "POST",
            "webhook-endpoints",
            key,
            {"url": receiver.url(), "event_types": ["ticket.created"], "secret": ""},
        )
        assert endpoint.status_code == 201, endpoint.text
        sent: set[int] = set()
        refused = 0
        began = time.monotonic()
        while (elapsed := time.monotonic() - began) < SECONDS:
            answer = run.api("POST", "tickets", key, {"subject": f"Soak {len(sent)}"})
            if answer.status_code == 201:
                sent.add(answer.json()["id"])
            else:
                refused += 1
            time.sleep(max(0.0, len(sent) + refused - (time.monotonic() - began)))
        wait_for(lambda: sent <= _ticket_ids(receiver), timeout=120)
        delivered = len(sent & _ticket_ids(receiver))
        status = run.ctrl_c()
    finally:
        run.kill()
    log = run.log()
    sweeps = len(re.findall(r"Task webhooks\.sweep\[\S+\] succeeded", log))
    print(
        f"\nsoak-run up: {elapsed:.0f} s, {len(sent)} events sent, {delivered} delivered, "
        f"{refused} refused, {sweeps} sweeps by beat, {len(troubles(log))} trouble lines, "
        f"Ctrl-C status {status}"
    )
    assert refused == 0
    assert delivered == len(sent)
    assert troubles(log) == []
    # Beat ran its periodic sweep all along (every 5 s by default).
    assert sweeps >= SECONDS / 5 * 0.8
    assert status == 0


def test_a_worker_that_keeps_dying_stops_everything_with_a_message(tmp_path):
    clone = make_clone(tmp_path / "omniflow")
    run = MakeRun(clone, tmp_path / "crashes.log", OMNIFLOW_RUN_MAX_RESTARTS="1").start()
    try:
        run.wait_up()
        os.kill(run.worker_pids()[0], signal.SIGKILL)
        wait_for(lambda: len(run.worker_pids()) == 2, timeout=60)
        os.kill(run.worker_pids()[1], signal.SIGKILL)
        status = run.process.wait(timeout=60)
        left = run.alive()
    finally:
        run.kill()

    assert status != 0
    assert "The worker stopped (killed by SIGKILL); restarting it (restart 1 of at most 1" in (
        run.log()
    )
    assert "after 1 restarts in 10 minutes; stopping Omniflow" in run.log()
    assert left == []
