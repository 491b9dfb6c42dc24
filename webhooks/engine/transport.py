"""HTTP send: one pooled aiohttp session per worker process, requests sent concurrently.

Each worker process keeps its own event loop and keep-alive connection pool across batches.
A batch is sent by a fixed number of sender coroutines (`OMNIFLOW_WEBHOOK_CONCURRENCY`) that
each take the next request when done with one, over as many kept-alive connections: measured
against one coroutine per request, which opens a connection per request of the batch, this
costs about a third less CPU per request, and CPU is what bounds a worker's throughput.
The resolver refuses non-public addresses and aiohttp connects to the address it returned,
so a name cannot resolve to a public address when checked and a private one when used.
"""

import asyncio
import os
import socket
import time
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from django.conf import settings
from yarl import URL

from ..destinations import (
    UnsafeDestination,
    is_public_address,
    literal_address,
    private_urls_allowed,
)

RESPONSE_BODY_CAP = 4096


@dataclass(frozen=True)
class Request:
    delivery_id: int
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Result:
    delivery_id: int
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    duration_ms: int = 0
    error: str = ""
    # A connection error (retried) or a refused destination (not retried).
    unsafe_destination: bool = False
    # Not sent: its turn came after the batch's start deadline (see `send_all`).
    sent: bool = True


class PublicOnlyResolver(AbstractResolver):
    """Resolve names, keeping only public addresses unless private URLs are allowed."""

    def __init__(self) -> None:
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        if private_urls_allowed():
            return results
        public = [result for result in results if is_public_address(result["host"])]
        if not public:
            raise UnsafeDestination(f"{host} resolves to a non-public address.")
        return public

    async def close(self) -> None:
        await self._resolver.close()


def _is_unsafe(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, UnsafeDestination):
            return True
        exc = exc.__cause__ or getattr(exc, "os_error", None)
    return False


@lru_cache(maxsize=1024)
def _public_literal_or_name(url: str) -> bool:
    literal = literal_address(urlsplit(url).hostname or "")
    return literal is None or is_public_address(literal)


@lru_cache(maxsize=1024)
def _parsed_url(url: str) -> URL:
    # Parsed once per endpoint rather than once per request.
    return URL(url)


def _refused_literal(url: str, allow_private: bool) -> bool:
    # aiohttp skips the resolver for IP literals, so they are checked here.
    return not allow_private and not _public_literal_or_name(url)


async def _read_capped(response: aiohttp.ClientResponse) -> str:
    chunks: list[bytes] = []
    remaining = RESPONSE_BODY_CAP
    while remaining > 0:
        chunk = await response.content.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    # PostgreSQL text cannot hold NUL, and this excerpt is for people to read.
    return b"".join(chunks).decode("utf-8", errors="replace").replace("\x00", "\ufffd")


async def _post(
    session: aiohttp.ClientSession,
    request: Request,
    timeout: aiohttp.ClientTimeout,
    allow_private: bool,
) -> Result:
    result = Result(delivery_id=request.delivery_id)
    started = time.monotonic()
    if _refused_literal(request.url, allow_private):
        result.error = "Refused: the URL's address is not public."
        result.unsafe_destination = True
        return result
    try:
        async with session.post(
            _parsed_url(request.url),
            data=request.body,
            headers=request.headers,
            allow_redirects=False,
            timeout=timeout,
        ) as response:
            result.status_code = response.status
            result.headers = dict(response.headers)
            result.body = await _read_capped(response)
    except TimeoutError:
        result.error = f"Timed out after {timeout.total:g} s."
    except (aiohttp.ClientError, OSError) as exc:
        if _is_unsafe(exc):
            result.error = "Refused: the URL's host resolves to a non-public address."
            result.unsafe_destination = True
        else:
            result.error = f"{type(exc).__name__}: {exc}"
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


class _Sender:
    """A process's event loop and connection pool."""

    def __init__(self, concurrency: int) -> None:
        self.pid = os.getpid()
        self.concurrency = concurrency
        self.loop = asyncio.new_event_loop()
        self.session: aiohttp.ClientSession | None = None

    async def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency,
                limit_per_host=0,
                resolver=PublicOnlyResolver(),
                ttl_dns_cache=10,
                keepalive_timeout=30,
            )
            # No skip_auto_headers: every request sets its own User-Agent, which aiohttp then
            # leaves alone, and skipping any header takes aiohttp off its fast path (a header
            # dict copied and sorted per request, a sixth of the send loop's time in profiles).
            self.session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self.session

    async def _send_all(
        self, requests: list[Request], seconds: float, start_by: float
    ) -> list[Result]:
        session = await self._session()
        timeout = aiohttp.ClientTimeout(total=seconds)
        allow_private = private_urls_allowed()
        results: list[Result | None] = [None] * len(requests)
        pending = iter(range(len(requests)))

        async def sender() -> None:
            # The loop runs one coroutine at a time, so the shared iterator hands each index
            # out once. Each sender's first request always goes, so a batch always progresses.
            first = True
            for index in pending:
                request = requests[index]
                if not first and time.monotonic() > start_by:
                    results[index] = Result(delivery_id=request.delivery_id, sent=False)
                    continue
                first = False
                results[index] = await _post(session, request, timeout, allow_private)

        await asyncio.gather(*(sender() for _ in range(min(self.concurrency, len(requests)))))
        return results

    def send_all(self, requests: list[Request], start_within: float) -> list[Result]:
        timeout = float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS)
        start_by = time.monotonic() + start_within
        return self.loop.run_until_complete(self._send_all(requests, timeout, start_by))

    def close(self) -> None:
        if self.session is not None and not self.session.closed:
            self.loop.run_until_complete(self.session.close())
        self.loop.close()


_sender: _Sender | None = None


def send_all(*, requests: list[Request], start_within: float) -> list[Result]:
    """POST every request; return one result per request, in order.

    A request whose turn comes more than `start_within` seconds from now is not sent
    (`Result.sent` is false), unless it is among the first `OMNIFLOW_WEBHOOK_CONCURRENCY`: a
    batch whose endpoints answer slowly must not run past the lease it is claimed under.
    """
    global _sender
    concurrency = int(settings.OMNIFLOW_WEBHOOK_CONCURRENCY)
    if _sender is not None and _sender.pid == os.getpid() and _sender.concurrency != concurrency:
        close()  # the setting changed (tests do): a pool of the new size
    if _sender is None or _sender.pid != os.getpid():
        # A forked child must not reuse its parent's loop or sockets.
        _sender = _Sender(concurrency)
    return _sender.send_all(requests, start_within)


def send_one(*, request: Request) -> Result:
    """POST one request now, outside the workers' pool, with the same timeout and SSRF guard.

    For a request a person waits on (a test event from a web process): a connection of its
    own, on an event loop of its own, so it never shares the workers' loop across threads.
    """

    async def post() -> Result:
        connector = aiohttp.TCPConnector(limit=1, resolver=PublicOnlyResolver())
        async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
            timeout = aiohttp.ClientTimeout(total=float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS))
            return await _post(session, request, timeout, private_urls_allowed())

    return asyncio.run(post())


def close() -> None:
    """Close this process's connection pool."""
    global _sender
    if _sender is not None and _sender.pid == os.getpid():
        _sender.close()
    _sender = None
