"""Requests a person waits on run their own event loop, even where the thread already runs one
(a test harness driving a browser, an ASGI server): a tool call must not fail with asyncio's
"cannot be called from a running event loop"."""

import asyncio
import concurrent.futures

import pytest

from omniflow.http.client import run_to_completion


async def _answer() -> int:
    await asyncio.sleep(0)
    return 42


async def _fail() -> None:
    raise TimeoutError("too slow")


def _on_a_fresh_thread(function):
    # The test process itself may already run a loop on this thread (the browser tests'
    # harness leaves one), so the outer loop of each test starts on a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def test_a_coroutine_runs_where_no_loop_runs():
    assert run_to_completion(_answer()) == 42


def test_a_coroutine_runs_from_synchronous_code_inside_a_running_loop():
    async def caller() -> int:
        return run_to_completion(_answer())  # synchronous call, as a view under a running loop

    assert _on_a_fresh_thread(lambda: asyncio.run(caller())) == 42


def test_the_coroutines_error_reaches_the_caller_inside_a_running_loop():
    async def caller() -> None:
        run_to_completion(_fail())

    with pytest.raises(TimeoutError, match="too slow"):
        _on_a_fresh_thread(lambda: asyncio.run(caller()))
