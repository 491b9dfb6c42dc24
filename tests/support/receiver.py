"""A real HTTP receiver on 127.0.0.1 that records every request and answers as it is told."""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str:
        return self.headers["X-Omniflow-Delivery"]


# (request number for this path, starting at 1; the request) -> (status, headers)
Behaviour = Callable[[int, "Received"], tuple[int, dict[str, str]]]


def always_ok(number: int, request: Received) -> tuple[int, dict[str, str]]:
    return 200, {}


class ReceiverServer(ThreadingHTTPServer):
    # The default backlog of 5 drops connections of a burst; they would then time out
    # client-side yet still be answered later, which is noise rather than what is tested.
    request_queue_size = 512
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A worker killed by a test leaves broken pipes behind; they are expected.
        pass


@dataclass
class Receiver:
    behaviour: Behaviour = always_ok
    delay_seconds: float = 0.0
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                request = Received(time.monotonic(), self.path, dict(self.headers), body, 0)
                with receiver._lock:
                    number = receiver._counts.get(self.path, 0) + 1
                    receiver._counts[self.path] = number
                    status, headers = receiver.behaviour(number, request)
                    request.status = status
                    receiver.requests.append(request)
                reply = b'{"ok": true}' if status < 300 else b'{"error": "nope"}'
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ReceiverServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
