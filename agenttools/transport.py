"""Send one tool request synchronously, through the webhooks' guard against private addresses.

The destination is checked when the call is made, not only when the tool was saved: the URL by
`webhooks.destinations.validate_url`, an IP literal directly, and a host name by the webhooks'
`PublicOnlyResolver`, whose answer aiohttp connects to (so a name cannot resolve to a public
address when checked and to a private one when used). Redirects are never followed.
"""

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from webhooks.destinations import (
    UnsafeDestination,
    is_public_address,
    literal_address,
    private_urls_allowed,
    validate_url,
)
from webhooks.engine.transport import PublicOnlyResolver


@dataclass(frozen=True)
class ToolRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


@dataclass
class ToolResponse:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    latency_ms: int = 0
    # "timeout", "refused" or "connection_error" when no answer came.
    failure: str = ""
    error: str = ""


def _refusal(url: str) -> str:
    """Return why `url` may not be called now ('' when it may)."""
    try:
        validate_url(url)
    except ValueError as error:
        return str(error)
    literal = literal_address(urlsplit(url).hostname or "")
    # aiohttp skips the resolver for IP literals, so they are checked here.
    if literal is not None and not private_urls_allowed() and not is_public_address(literal):
        return "The URL's address is not public."
    return ""


def _unsafe(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, UnsafeDestination):
            return True
        error = error.__cause__ or getattr(error, "os_error", None)
    return False


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> tuple[bytes, bool]:
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


async def _send(request: ToolRequest, timeout_seconds: float, cap: int) -> ToolResponse:
    result = ToolResponse()
    connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver(), force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.request(
            request.method,
            URL(request.url, encoded=True),
            data=request.body,
            headers=request.headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        ) as response,
    ):
        result.status = response.status
        result.headers = dict(response.headers)
        result.body, result.truncated = await _read_capped(response, cap)
    return result


def send(*, request: ToolRequest, timeout_seconds: float, max_response_bytes: int) -> ToolResponse:
    """Send the request and wait for its answer, at most `timeout_seconds` in all."""
    refusal = _refusal(request.url)
    if refusal:
        return ToolResponse(failure="refused", error=f"Refused: {refusal}")
    started = time.monotonic()
    try:
        result = asyncio.run(_send(request, timeout_seconds, max_response_bytes))
    except TimeoutError:
        result = ToolResponse(failure="timeout", error=f"Timed out after {timeout_seconds:g} s.")
    except (aiohttp.ClientError, OSError, ValueError) as error:
        # ValueError: aiohttp refusing what it cannot put on the wire (kept out on save).
        if _unsafe(error):
            result = ToolResponse(
                failure="refused",
                error="Refused: the URL's host resolves to a non-public address.",
            )
        else:
            result = ToolResponse(
                failure="connection_error", error=f"{type(error).__name__}: {error}"
            )
    result.latency_ms = int((time.monotonic() - started) * 1000)
    return result
