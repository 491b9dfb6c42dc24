"""The PostgreSQL health check (omniflow/db/postgresql/base.py): free while a connection is as it
was left, and still replacing one the server dropped."""

import time

import pytest
import requests
from django.db import connection, connections

from tests.factories import TicketFactory
from tests.http.gunicorn import running_gunicorn

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the health check of the PostgreSQL backend"
)


@pytest.fixture
def probe():
    """A second connection to the test database, through our backend, closed afterwards."""
    wrapper = type(connections["default"])(connection.settings_dict.copy(), alias="probe")
    wrapper.connect()
    yield wrapper
    wrapper.close()


def _terminate(backend_pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])


def _readable_soon(wrapper) -> None:
    """Wait until the server's goodbye has reached the socket (it is sent, not awaited)."""
    import select

    for _ in range(100):
        if select.select([wrapper.connection.pgconn.socket], [], [], 0.05)[0]:
            return


@pytest.mark.django_db
def test_a_connection_as_it_was_left_is_usable_without_a_round_trip(probe, tmp_path):
    trace = tmp_path / "libpq.trace"
    with trace.open("w") as sink:
        probe.connection.pgconn.trace(sink.fileno())
        usable = probe.is_usable()
        probe.connection.pgconn.untrace()

    assert usable
    assert trace.read_text() == ""  # nothing was sent to the server, nor read from it


@pytest.mark.django_db
def test_a_connection_the_server_terminated_is_found_unusable(probe):
    _terminate(probe.connection.info.backend_pid)
    _readable_soon(probe)

    assert not probe.is_usable()


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_after_the_server_dropped_the_web_workers_connection(
    api_key, workspace, tmp_path
):
    """A restart or failover closes every connection; the next request gets a new one, not 500."""
    ticket = TicketFactory(workspace=workspace)
    headers = {"Authorization": f"Bearer {api_key[1]}"}
    with running_gunicorn(tmp_path / "gunicorn.log") as base:
        url = f"{base}/api/v1/tickets/{ticket.pk}"
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        time.sleep(0.2)  # the terminations are signals; let the backends exit

        answers = [requests.get(url, headers=headers, timeout=10).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 200]
