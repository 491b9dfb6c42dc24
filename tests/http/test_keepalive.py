"""The delivery engine's HTTP client against a raw server on 127.0.0.1 that answers as told."""

import asyncio
import threading

import pytest

from omniflow.http.destinations import UnsafeDestination
from omniflow.http.keepalive import ConnectionFailed, Pool


async def _serve(answers: list[bytes], *, close_after_each: bool = False):
    """Serve each connection's requests with the next canned answer; return server, seen."""
    seen: list[bytes] = []
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            seen.append(head + await reader.readexactly(length))
            writer.write(answers.pop(0))
            await writer.drain()
            if close_after_each:
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, seen, connections


def _run(coroutine):
    """Run on a loop of its own thread: an earlier test (a browser's) may hold this one's."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def private_allowed(settings):
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True


def test_answers_by_length_and_by_chunks_reuse_one_connection(private_allowed):
    async def scenario():
        server, seen, connections = await _serve(
            [
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                b"HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n",
                b"HTTP/1.1 204 No Content\r\n\r\n",
            ]
        )
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook?a=1"
        pool = Pool(cap=4096)
        try:
            answers = [await pool.post(url, {"X-Test": "1"}, b'{"n": 1}') for _ in range(3)]
        finally:
            await pool.close()
            server.close()
        return answers, seen, connections

    answers, seen, connections = _run(scenario())

    assert [(a.status, a.body) for a in answers] == [(200, b"hello"), (503, b"abcdefg"), (204, b"")]
    assert answers[1].headers["Retry-After"] == "7"
    assert seen[0].startswith(b"POST /hook?a=1 HTTP/1.1\r\nHost: 127.0.0.1:")
    assert seen[0].endswith(b'X-Test: 1\r\nContent-Length: 8\r\n\r\n{"n": 1}')
    assert len(connections) == 1


def test_only_the_cap_of_a_long_body_is_kept(private_allowed):
    async def scenario():
        body = b"x" * 10_000
        server, _, _ = await _serve(
            [b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n" + body] * 2
        )
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        pool = Pool(cap=100)
        try:
            return [await pool.post(url, {}, b"") for _ in range(2)]
        finally:
            await pool.close()
            server.close()

    first, second = _run(scenario())
    assert first.body == b"x" * 100 and second.status == 200


def test_a_connection_the_server_closed_is_replaced(private_allowed):
    async def scenario():
        server, _, connections = await _serve(
            [b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"] * 2, close_after_each=True
        )
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        pool = Pool(cap=100)
        try:
            first = await pool.post(url, {}, b"")
            await asyncio.sleep(0.05)  # the server closes the kept-alive connection meanwhile
            second = await pool.post(url, {}, b"")
        finally:
            await pool.close()
            server.close()
        return first, second, connections

    first, second, connections = _run(scenario())
    assert (first.status, second.status, len(connections)) == (200, 200, 2)


def test_a_refused_connection_and_a_private_address_are_errors(settings):
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True

    async def refused():
        pool = Pool(cap=100)
        try:
            await pool.post("http://127.0.0.1:9/", {}, b"")
        finally:
            await pool.close()

    with pytest.raises(ConnectionFailed):
        _run(refused())
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(UnsafeDestination):
        _run(refused())
