import pytest
from django.core import signals
from django.db import close_old_connections


@pytest.fixture
def wsgi_in_test_transaction(db):
    """Let in-process WSGI calls (schemathesis, httpx's WSGI transport) run in the test's
    transaction: as Django's test client does, the end of a request must not close the
    connection that holds it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
