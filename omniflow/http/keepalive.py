"""A lean HTTP/1.1 client for the delivery engine: POSTs over kept-alive connections.

Webhook delivery sends one small POST after another to the same few hosts and keeps only the
status, the headers and the first bytes of each answer. aiohttp's general machinery (request
and response objects, multidicts, tracing hooks, timers per request) costs more CPU per request
than the engine's bookkeeping, and CPU is what bounds a worker. This client writes each request
in one buffer on a pooled connection and parses the answer as it arrives (status line, headers,
a body by Content-Length or chunks, of which it keeps `cap` bytes). Connections go only to the
addresses `PublicOnlyResolver` vetted (the pinned resolver of `client`), over TLS for https.
Redirects are never followed: the answer is returned as it is.
"""

import asyncio
import ssl
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from .client import PublicOnlyResolver
from .destinations import UnsafeDestination


class ConnectionFailed(OSError):
    """No answer: the connection could not be made, or it closed before the answer ended."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Target:
    """Where a URL's requests go: its connection pool key and the request line's pieces."""

    scheme: str
    host: str
    port: int
    path: bytes
    host_header: bytes


@lru_cache(maxsize=1024)
def target(url: str) -> Target:
    """Parse `url` once per endpoint."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = port == (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port,
        path=path.encode("ascii", "strict"),
        host_header=(shown if default else f"{shown}:{port}").encode("idna"),
    )


class _Reader(asyncio.Protocol):
    """One connection: writes a request, parses its answer."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.transport: asyncio.Transport | None = None
        self.answer: asyncio.Future | None = None
        self.closed = False
        self._reset()

    def _reset(self) -> None:
        self.buffer = bytearray()
        self.status = 0
        self.headers: dict[str, str] | None = None
        self.body = bytearray()
        self.remaining: int | None = None  # body bytes still to come; None: until close
        self.chunked = False
        self.crlf_due = False
        self.keep_alive = True
        self.received_any = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.answer is not None and not self.answer.done():
            if self.headers is not None and self.remaining is None and not self.chunked:
                self._finish()  # a body delimited by the connection's end
            else:
                reason = exc or "end of stream"
                self.answer.set_exception(
                    ConnectionFailed(f"Server disconnected before the answer ended ({reason}).")
                )

    def send(self, request: bytes, answer: asyncio.Future) -> None:
        self._reset()
        self.answer = answer
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        self.buffer += data
        try:
            if self.headers is None and not self._parse_head():
                return
            self._parse_body()
        except ValueError as exc:
            if self.answer is not None and not self.answer.done():
                self.answer.set_exception(ConnectionFailed(f"Malformed answer: {exc}"))
            self.transport.close()

    def _parse_head(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > 65536:
                raise ValueError("headers too long (over 64 KB)")
            return False
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        version, _, rest = lines[0].partition(" ")
        status = int(rest[:3])
        if 100 <= status < 200:  # an interim answer: the real one follows
            return self._parse_head() if self.buffer else False
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        lowered = {name.lower(): value for name, value in headers.items()}
        connection = lowered.get("connection", "").lower()
        self.keep_alive = "close" not in connection and (
            version != "HTTP/1.0" or "keep-alive" in connection
        )
        self.status, self.headers = status, headers
        if "chunked" in lowered.get("transfer-encoding", "").lower():
            self.chunked = True
        elif status in (204, 304):
            self.remaining = 0
        elif "content-length" in lowered:
            self.remaining = int(lowered["content-length"])
        else:
            self.keep_alive = False  # the body ends when the connection does
        return True

    def _keep(self, data) -> None:
        room = self.cap - len(self.body)
        if room > 0:
            self.body += data[:room]

    def _parse_body(self) -> None:
        if self.chunked:
            self._parse_chunks()
            return
        if self.remaining is None:
            self._keep(self.buffer)
            self.buffer.clear()
            return
        taken = self.buffer[: self.remaining]
        self._keep(taken)
        self.remaining -= len(taken)
        del self.buffer[: len(taken)]
        if self.remaining == 0:
            self._finish()

    def _parse_chunks(self) -> None:
        while True:
            if self.remaining:  # a chunk's data still to come
                taken = self.buffer[: self.remaining]
                self._keep(taken)
                self.remaining -= len(taken)
                del self.buffer[: len(taken)]
                if self.remaining:
                    return
                self.crlf_due = True
            if self.crlf_due:  # the CRLF that ends a chunk's data
                if len(self.buffer) < 2:
                    return
                del self.buffer[:2]
                self.crlf_due = False
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                return
            size = int(bytes(self.buffer[:line_end]).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # The last chunk, then trailers (ignored) and an empty line.
                rest = self.buffer[line_end + 2 :]
                if rest.startswith(b"\r\n") or b"\r\n\r\n" in rest:
                    self.buffer.clear()
                    self._finish()
                return
            del self.buffer[: line_end + 2]
            self.remaining = size

    def _finish(self) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(Answer(self.status, self.headers or {}, bytes(self.body)))


@dataclass
class Pool:
    """Kept-alive connections per (scheme, host, port), made through the public-only resolver."""

    cap: int
    idle: dict[tuple[str, str, int], list[_Reader]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Made on the loop that uses it (aiohttp's resolver binds to the running loop).
        self.resolver: PublicOnlyResolver | None = None
        self.tls = ssl.create_default_context()

    async def _connect(self, where: Target) -> _Reader:
        loop = asyncio.get_running_loop()
        if self.resolver is None:
            self.resolver = PublicOnlyResolver()
        addresses = await self.resolver.resolve(where.host, where.port)
        if not addresses:
            raise UnsafeDestination(f"{where.host} has no address.")
        error: OSError | None = None
        for address in addresses:
            try:
                _, reader = await loop.create_connection(
                    lambda: _Reader(self.cap),
                    host=address["host"],
                    port=where.port,
                    ssl=self.tls if where.scheme == "https" else None,
                    server_hostname=where.host if where.scheme == "https" else None,
                )
                return reader
            except OSError as exc:
                error = exc
        raise ConnectionFailed(f"Cannot connect to host {where.host}:{where.port}: {error}")

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        """POST `body` to `url`; return the answer (its first `cap` body bytes)."""
        where = target(url)
        request = self._request(where, headers, body)
        key = (where.scheme, where.host, where.port)
        idle = self.idle.setdefault(key, [])
        while idle:
            reader = idle.pop()
            if reader.closed:
                continue
            try:
                return await self._exchange(key, reader, request)
            except ConnectionFailed:
                # A kept-alive connection the server had closed meanwhile: on a new one.
                if reader.received_any:
                    raise
        return await self._exchange(key, await self._connect(where), request)

    async def _exchange(self, key, reader: _Reader, request: bytes) -> Answer:
        answer = asyncio.get_running_loop().create_future()
        reader.send(request, answer)
        try:
            result = await answer
        except BaseException:
            reader.transport.close()  # a cancelled or failed exchange leaves it unusable
            raise
        if reader.keep_alive and not reader.closed and not reader.buffer:
            self.idle.setdefault(key, []).append(reader)
        else:
            reader.transport.close()
        return result

    @staticmethod
    def _request(where: Target, headers: dict[str, str], body: bytes) -> bytes:
        head = [b"POST ", where.path, b" HTTP/1.1\r\nHost: ", where.host_header]
        for name, value in headers.items():
            head += [b"\r\n", name.encode("latin-1"), b": ", value.encode("latin-1")]
        head += [b"\r\nContent-Length: ", str(len(body)).encode(), b"\r\n\r\n", body]
        return b"".join(head)

    async def close(self) -> None:
        for readers in self.idle.values():
            for reader in readers:
                reader.transport.close()
        self.idle.clear()
        if self.resolver is not None:
            await self.resolver.close()
