"""Receivers and helpers for the engine's fairness tests: concurrency-counting and hanging."""

import threading
import time
from http.server import BaseHTTPRequestHandler

import redis
from django.conf import settings

from tests.support.receiver import ReceiverServer


class CountingReceiver:
    """Answers 200 after `delay_seconds`, counting how many requests it holds at once."""

    def __init__(self, *, delay_seconds: float = 0.0) -> None:
        self.delay_seconds = delay_seconds
        self.lock = threading.Lock()
        self.holding = 0
        self.most_held = 0
        self.answered: list[tuple[float, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.holding += 1
                    receiver.most_held = max(receiver.most_held, receiver.holding)
                time.sleep(receiver.delay_seconds)
                # No longer held once it answers: counted before the answer goes, as the
                # sender may send the next one the moment it has this one's answer.
                with receiver.lock:
                    receiver.holding -= 1
                    receiver.answered.append((time.monotonic(), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ReceiverServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def lanes_forget() -> None:
    """Drop the lanes' shared state in the test Redis (workers of earlier tests registered)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match="*webhooks:lanes*", count=1000):
        client.delete(key)
