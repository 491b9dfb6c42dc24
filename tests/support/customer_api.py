"""A customer's API on 127.0.0.1 for agent tools to call: real HTTP, every request recorded.

Routes (what the tests' OpenAPI document describes):
- GET  /orders/{id}?expand=...   the order as JSON (404 for "missing")
- POST /orders/{id}/refunds      echoes the JSON body back with 201; with a signing secret set,
                                 401 unless X-Omniflow-Signature is base64(HMAC-SHA256(secret,
                                 raw body)), checked here independently of Omniflow's code
- GET  /slow                     answers after `slow_seconds`
- GET  /big                      a text body of `big_bytes` bytes
- GET  /moved                    302 to /orders/A-1
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    target: str = ""  # the request target as sent: path and query

    def url(self, base_url: str) -> str:
        """Return the full URL requested (what a signed call's request signature covers)."""
        return base_url + self.target

    @property
    def json(self):
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up (a timeout test) leaves a broken pipe behind


class CustomerApi:
    def __init__(self, *, signing_secret: str = "", slow_seconds: float = 3.0, big_bytes=5000):
        self.signing_secret = signing_secret
        self.slow_seconds = slow_seconds
        self.big_bytes = big_bytes
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    dict(self.headers),
                    body,
                    self.path,
                )
                with api._lock:
                    api.seen.append(seen)
                status, headers, reply = api.answer(seen)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        as_json = {"Content-Type": "application/json"}
        segments = seen.path.strip("/").split("/")
        if seen.method == "GET" and len(segments) == 2 and segments[0] == "orders":
            if segments[1] == "missing":
                return 404, as_json, b'{"error": "no such order"}'
            order = {"id": segments[1], "status": "shipped", "expand": seen.query.get("expand")}
            return 200, as_json, json.dumps(order).encode()
        if seen.method == "POST" and len(segments) == 3 and segments[2] == "refunds":
            if self.signing_secret:
                digest = hmac.new(self.signing_secret.encode(), seen.body, hashlib.sha256).digest()
                expected = base64.b64encode(digest).decode()
                given = seen.headers.get("X-Omniflow-Signature", "")
                if not hmac.compare_digest(expected, given):
                    return 401, as_json, b'{"error": "bad signature"}'
            return 201, as_json, json.dumps({"order": segments[1], "refund": seen.json}).encode()
        if seen.path == "/slow":
            time.sleep(self.slow_seconds)
            return 200, as_json, b'{"late": true}'
        if seen.path == "/big":
            return 200, {"Content-Type": "text/plain"}, b"x" * self.big_bytes
        if seen.path == "/moved":
            return 302, {"Location": "/orders/A-1"}, b""
        return 404, as_json, b'{"error": "no route"}'

    def received(self, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if path is None or seen.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def openapi_document(base_url: str) -> dict:
    """The customer's OpenAPI 3 document of the routes above (local $refs, a recursive schema)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Shop API", "version": "1"},
        "servers": [{"url": base_url}],
        "paths": {
            "/orders/{order_id}": {
                "parameters": [{"$ref": "#/components/parameters/OrderId"}],
                "get": {
                    "operationId": "getOrder",
                    "summary": "Look up an order",
                    "description": "Returns the order's status.",
                    "parameters": [
                        {
                            "name": "expand",
                            "in": "query",
                            "schema": {"type": "array", "items": {"type": "string"}},
                        },
                        {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": {"description": "The order"}},
                },
            },
            "/orders/{order_id}/refunds": {
                "post": {
                    "operationId": "refundOrder",
                    "summary": "Refund an order",
                    "parameters": [{"$ref": "#/components/parameters/OrderId"}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Refund"}}
                        },
                    },
                    "responses": {"201": {"description": "Refunded"}},
                }
            },
            "/slow": {"get": {"operationId": "slow", "responses": {"200": {"description": "ok"}}}},
        },
        "components": {
            "parameters": {
                "OrderId": {
                    "name": "order_id",
                    "in": "path",
                    "required": True,
                    "description": "The order number.",
                    "schema": {"type": "string", "minLength": 1},
                }
            },
            "schemas": {
                "Refund": {
                    "type": "object",
                    "required": ["amount", "reason"],
                    "properties": {
                        "amount": {"type": "number", "exclusiveMinimum": 0},
                        "reason": {"type": "string"},
                        "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
                    },
                },
                "Line": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
                    },
                },
            },
        },
    }
