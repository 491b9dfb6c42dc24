import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from inbound.services import trigger_create
from tests.inbound.conftest import (  # noqa: F401 - fixtures
    conversation,
    member,
    post_json,
    tag_trigger,
)


class DocumentServer:
    """A real HTTP server on 127.0.0.1 serving one JSON document and recording every hit."""

    def __init__(self, document: dict):
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                server.hits.append(self.path)
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}{path}"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


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


def connections_waiting(listener: socket.socket) -> int:
    """Return how many connections reached a silent server (accepting them without waiting)."""
    listener.setblocking(False)
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def event_trigger(workspace, **overrides):
    """Create a custom-event trigger (the action with the least to configure)."""
    config = {
        "name": "Shop",
        "resource": "custom_event",
        "payload_schema": {},
        "conversation_path": "conversation_id",
        "event_name": "order.shipped",
        **overrides,
    }
    return trigger_create(workspace=workspace, created_by=None, **config)


SHIPPED = {"order": {"conversation_id": "shop-order-42", "status": "shipped"}}


# Bounded and derandomized: the same examples every run in CI (FUZZ_RANDOM=1 explores).
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
)


# Text that reaches the edges: NUL, control characters, non-ASCII, lone surrogates.
EDGY_TEXT = st.text(
    alphabet=st.sampled_from(["a", "0", " ", "\x00", "\t", "é", "\u2028", "\ud800", "\\", '"']),
    max_size=12,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | EDGY_TEXT,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["order", "event_id", "x"]) | EDGY_TEXT, children, max_size=4
        )
    ),
    max_leaves=20,
)
