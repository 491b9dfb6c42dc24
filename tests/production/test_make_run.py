"""`make run` for real, once: a fresh clone and ./var, typed into a terminal, driven over HTTP.

The steps share one start (it takes ~20 s) and run in this order: the address it prints, an
event delivered, a burst on SQLite, a hung then killed worker, Ctrl-C. `make soak-run`
(test_run_soak.py) does the 20 fresh starts and the 10-minute run.
"""

import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.production.makerun import MakeRun, make_clone, troubles
from tests.support.processes import wait_for
from tests.support.receiver import Receiver

pytestmark = [pytest.mark.production, pytest.mark.worker]

BANNER = "Webhooks are not being sent"
BURST_EVENTS = 150


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("make-run")
    started = MakeRun(
        make_clone(folder / "omniflow"),
        folder / "make-run.log",
        # Quick sweeps and a short staleness, so that a hung worker shows within seconds.
        OMNIFLOW_WEBHOOK_SWEEP_SECONDS="1",
        OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS="3",
    ).start()
    started.wait_up()
    yield started
    started.kill()


@pytest.fixture(scope="module")
def endpoint(run, receiver):
    response = run.api(
        "POST",
        "webhook-endpoints",
        run.demo_key(),
        {"url": receiver.url(), "event_types": ["ticket.created"], "secret": ""},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _ticket_ids(receiver: Receiver) -> set[int]:
    return {request.json["data"]["id"] for request in receiver.received()}


def test_make_run_prints_the_address_it_listens_on_everywhere(run):
    log = run.log()

    assert f"Omniflow is up at {run.url} " in log
    assert f"Log in at {run.url} as admin@example.com" in log
    assert f"{run.url}api/v1/webhook-event-types" in log
    assert f"Starting development server at {run.url}" in log
    assert ":8000" not in log


def test_an_event_sent_through_the_api_reaches_a_local_receiver(run, endpoint, receiver):
    response = run.api("POST", "tickets", run.demo_key(), {"subject": "First"})
    assert response.status_code == 201, response.text

    wait_for(lambda: response.json()["id"] in _ticket_ids(receiver), timeout=30)


def test_a_burst_of_events_is_delivered_with_no_database_is_locked(run, endpoint, receiver):
    key = run.api_key(rate="100000/m")

    def create(number: int) -> int:
        answer = run.api("POST", "tickets", key, {"subject": f"Burst {number}"})
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    # Web threads write tickets and events while the worker records deliveries and attempts.
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = set(pool.map(create, range(BURST_EVENTS)))

    wait_for(lambda: created <= _ticket_ids(receiver), timeout=120)
    assert troubles(run.log()) == []


def test_a_hung_worker_shows_the_banner_and_a_killed_one_is_restarted(run, endpoint, receiver):
    browser = run.log_in()
    assert BANNER not in browser.get(f"{run.url}settings/", timeout=10).text
    first_worker = run.worker_pids()[-1]

    # Hung: no sweep, no heartbeat, and Settings says so.
    os.killpg(first_worker, signal.SIGSTOP)
    wait_for(lambda: BANNER in browser.get(f"{run.url}settings/", timeout=10).text, timeout=30)
    # Killed: make run says why and starts another, which delivers what was sent meanwhile.
    os.kill(first_worker, signal.SIGKILL)
    ticket = run.api("POST", "tickets", run.demo_key(), {"subject": "After the kill"}).json()
    wait_for(lambda: len(run.worker_pids()) == 2, timeout=30)

    assert "The worker stopped (killed by SIGKILL); restarting it" in run.log()
    wait_for(lambda: ticket["id"] in _ticket_ids(receiver), timeout=60)
    wait_for(lambda: BANNER not in browser.get(f"{run.url}settings/", timeout=10).text, timeout=30)
    # Its beat and pool children went with it.
    assert first_worker not in run.alive()


def test_ctrl_c_stops_web_worker_and_beat_and_make_exits_0(run):
    running = run.alive()
    assert len(running) == 2  # the web and the (restarted) worker

    status = run.ctrl_c()

    assert status == 0, run.log()[-3000:]
    assert run.alive() == []
    assert "Stopping" in run.log()
    assert not re.search(r"make: \*\*\*", run.log())
