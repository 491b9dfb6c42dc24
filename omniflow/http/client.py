"""How outbound requests are made: a pinned, public-only resolver, capped reads, refusals.

aiohttp connects to the address the resolver returned, so a name cannot resolve to a public
address when checked and a private one when used. It skips the resolver for IP literals, so
those are checked before the request (`literal_refused`).
"""

import asyncio
import concurrent.futures
import socket
from collections.abc import Coroutine
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from .destinations import (
    UnsafeDestination,
    is_public_address,
    literal_address,
    private_urls_allowed,
)

REFUSED_LITERAL = "Refused: the URL's address is not public."
REFUSED_NAME = "Refused: the URL's host resolves to a non-public address."


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


def public_connector(*, limit: int, **options) -> aiohttp.TCPConnector:
    """Return a connector that reaches public addresses only (unless private URLs are allowed)."""
    return aiohttp.TCPConnector(limit=limit, resolver=PublicOnlyResolver(), **options)


@lru_cache(maxsize=1024)
def _public_literal_or_name(url: str) -> bool:
    literal = literal_address(urlsplit(url).hostname or "")
    return literal is None or is_public_address(literal)


def literal_refused(url: str) -> bool:
    """Tell whether `url`'s host is an IP literal that may not be reached."""
    return not private_urls_allowed() and not _public_literal_or_name(url)


def is_refusal(error: BaseException | None) -> bool:
    """Tell whether `error` (or what caused it) is a refused destination, not a network fault."""
    while error is not None:
        if isinstance(error, UnsafeDestination):
            return True
        error = error.__cause__ or getattr(error, "os_error", None)
    return False


async def read_capped(response: aiohttp.ClientResponse, cap: int) -> tuple[bytes, bool]:
    """Read at most `cap` bytes of the body; return them and whether the body was longer."""
    chunks: list[bytes] = []
    remaining = cap + 1  # one byte more tells a body of exactly `cap` from a longer one
    while remaining > 0:
        chunk = await response.content.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    body = b"".join(chunks)
    return body[:cap], len(body) > cap


def excerpt(body: bytes) -> str:
    """Return a body excerpt for people to read (and for PostgreSQL text, which holds no NUL)."""
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


T = TypeVar("T")


def run_to_completion(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from synchronous code and return its result (or raise its error).

    A request a person waits on (a tool call, a test event) is made on an event loop of its
    own. Where this thread already runs one (an ASGI server, a test harness driving a
    browser), `asyncio.run` refuses, so the loop then runs on a short-lived thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
