import socket

import pytest

from tests.inbound.conftest import (  # noqa: F401 - fixtures
    conversation,
    member,
    tag_trigger,
)
from tests.support.http_servers import DocumentServer


@pytest.fixture
def private_urls_allowed(settings):
    """Agent tools' APIs in these tests listen on 127.0.0.1, which production refuses."""
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def document_server():
    server = DocumentServer({"secret": "LEAKED-FROM-AN-INTERNAL-SERVICE", "x": {"type": "integer"}})
    yield server
    server.close()


@pytest.fixture
def silent_server():
    """A socket that takes connections into its backlog and never answers any of them."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener
    listener.close()
