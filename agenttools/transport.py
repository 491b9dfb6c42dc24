"""Send one tool request synchronously, through `omniflow.http`'s guard against private addresses.

The destination is checked when the call is made, not only when the tool was saved: the URL by
`validate_url`, an IP literal directly, and a host name by the pinned public-only resolver of
`omniflow.http.client`, whose answer aiohttp connects to. Redirects are never followed.
"""

import time
from dataclasses import dataclass, field

import aiohttp
from yarl import URL

from omniflow.http.client import (
    REFUSED_NAME,
    is_refusal,
    literal_refused,
    public_connector,
    read_capped,
    run_to_completion,
)
from omniflow.http.destinations import validate_url


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
    if literal_refused(url):
        return "The URL's address is not public."
    return ""


async def _send(request: ToolRequest, timeout_seconds: float, cap: int) -> ToolResponse:
    result = ToolResponse()
    connector = public_connector(limit=1, force_close=True)
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
        result.body, result.truncated = await read_capped(response, cap)
    return result


def send(*, request: ToolRequest, timeout_seconds: float, max_response_bytes: int) -> ToolResponse:
    """Send the request and wait for its answer, at most `timeout_seconds` in all."""
    refusal = _refusal(request.url)
    if refusal:
        return ToolResponse(failure="refused", error=f"Refused: {refusal}")
    started = time.monotonic()
    try:
        result = run_to_completion(_send(request, timeout_seconds, max_response_bytes))
    except TimeoutError:
        result = ToolResponse(failure="timeout", error=f"Timed out after {timeout_seconds:g} s.")
    except (aiohttp.ClientError, OSError, ValueError) as error:
        # ValueError: aiohttp refusing what it cannot put on the wire (kept out on save).
        if is_refusal(error):
            result = ToolResponse(failure="refused", error=REFUSED_NAME)
        else:
            result = ToolResponse(
                failure="connection_error", error=f"{type(error).__name__}: {error}"
            )
    result.latency_ms = int((time.monotonic() - started) * 1000)
    return result
