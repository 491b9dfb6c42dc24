"""HTTP send: each worker process keeps one event loop, in a thread of its own, with one pool
of kept-alive connections, and requests stream through it.

The dispatcher (on the process's main thread, which owns the database connection) hands
requests over as slots free (`Sender.start`) and collects results as they finish
(`Sender.finished`): no request waits for another. Connections are kept alive and reused
across requests and dispatch runs; the dispatcher never has more than
`OMNIFLOW_WEBHOOK_CONCURRENCY` requests out, so never more connections. Where a request may go
and how it is made is `omniflow.http`'s (the lean client of `omniflow.http.keepalive`).
"""

import asyncio
import os
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from omniflow.http.client import (
    REFUSED_LITERAL,
    REFUSED_NAME,
    excerpt,
    is_refusal,
    literal_refused,
    run_to_completion,
)
from omniflow.http.keepalive import Pool

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
    # No answer came: the connection failed or the request timed out.
    unanswered: bool = False


async def _post(pool: Pool, request: Request, timeout: float) -> Result:
    result = Result(delivery_id=request.delivery_id)
    started = time.monotonic()
    if literal_refused(request.url):
        result.error = REFUSED_LITERAL
        result.unsafe_destination = True
        return result
    try:
        async with asyncio.timeout(timeout):
            answer = await pool.post(request.url, request.headers, request.body)
        result.status_code = answer.status
        result.headers = answer.headers
        result.body = excerpt(answer.body)
    except TimeoutError:
        result.error = f"Timed out after {timeout:g} s."
        result.unanswered = True
    except (OSError, ValueError) as exc:
        # ValueError: a URL the client cannot put on the wire (kept out on save).
        result.unanswered = True
        if is_refusal(exc):
            result.error = REFUSED_NAME
            result.unsafe_destination = True
        else:
            result.error = f"{type(exc).__name__}: {exc}"
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


class Sender:
    """A process's event loop (in its own thread) and connection pool."""

    def __init__(self, concurrency: int) -> None:
        self.pid = os.getpid()
        self.concurrency = concurrency
        self.results: queue.SimpleQueue[Result] = queue.SimpleQueue()
        self.loop = asyncio.new_event_loop()
        self.pool = Pool(cap=RESPONSE_BODY_CAP)
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="webhooks-sender", daemon=True
        )
        self.thread.start()

    def start(self, requests: Iterable[Request]) -> None:
        """Send `requests` now; each one's result comes out of `finished` when it is over."""
        self.loop.call_soon_threadsafe(self._start_all, list(requests))

    def finished(self, *, wait: float) -> list[Result]:
        """Return the results finished so far, waiting up to `wait` seconds for the first."""
        try:
            results = [self.results.get(timeout=wait) if wait > 0 else self.results.get_nowait()]
        except queue.Empty:
            return []
        while True:
            try:
                results.append(self.results.get_nowait())
            except queue.Empty:
                return results

    def _start_all(self, requests: list[Request]) -> None:
        timeout = float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS)
        for request in requests:
            self.loop.create_task(self._send(request, timeout))

    async def _send(self, request: Request, timeout: float) -> None:
        try:
            result = await _post(self.pool, request, timeout)
        except Exception as exc:  # a result must come back, or its slot is lost
            result = Result(delivery_id=request.delivery_id, error=repr(exc), unanswered=True)
        self.results.put(result)

    def close(self) -> None:
        future = asyncio.run_coroutine_threadsafe(self.pool.close(), self.loop)
        future.result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


_sender: Sender | None = None


def sender() -> Sender:
    """Return this process's sender, made on first use (and anew in a forked child)."""
    global _sender
    concurrency = int(settings.OMNIFLOW_WEBHOOK_CONCURRENCY)
    if _sender is not None and _sender.pid == os.getpid() and _sender.concurrency != concurrency:
        close()  # the setting changed (tests do): a pool of the new size
    if _sender is None or _sender.pid != os.getpid():
        # A forked child must not reuse its parent's loop, thread or sockets.
        _sender = Sender(concurrency)
    return _sender


def send_one(*, request: Request) -> Result:
    """POST one request now, outside the workers' pool, with the same timeout and SSRF guard.

    For a request a person waits on (a test event from a web process): a connection of its
    own, on an event loop of its own, so it never shares the workers' loop across threads.
    """

    async def post() -> Result:
        pool = Pool(cap=RESPONSE_BODY_CAP)
        try:
            return await _post(pool, request, float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS))
        finally:
            await pool.close()

    return run_to_completion(post())


def close() -> None:
    """Close this process's connection pool and stop its loop."""
    global _sender
    if _sender is not None and _sender.pid == os.getpid():
        _sender.close()
    _sender = None
