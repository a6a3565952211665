"""One ``AsyncClient`` used from several event loops (issue 10, hardening): successive
``asyncio.run()`` / ``trio.run()`` calls, and threads each running their own loop. Each loop
gets its own pool, closed inside that loop when it ends, so no socket is left to the garbage
collector (no ``ResourceWarning``), no file descriptor leaks, nothing hangs, and every call
after a loop change succeeds."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from loopback import LoopbackServer, Response

from fluent_ai import AsyncClient

MESSAGES = [{"role": "user", "content": "x"}]
ANSWER = {
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ]
}


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        running.json("POST", "/v1/chat/completions", ANSWER)
        yield running


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def sockets_left(records: list[warnings.WarningMessage]) -> list[str]:
    return [
        str(r.message)
        for r in records
        if issubclass(r.category, ResourceWarning)
        and ("unclosed" in str(r.message) or "Event loop is closed" in str(r.message))
    ]


async def calls(client: AsyncClient) -> str:
    answer = await client.chat("openai/m", MESSAGES)
    return answer.text


def run_in_thread(target: Any, seconds: float = 30.0) -> None:
    """``target`` in a thread with a deadline: a hang fails the test instead of blocking it."""
    errors: list[BaseException] = []

    def body() -> None:
        try:
            target()
        except BaseException as error:  # reported below
            errors.append(error)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "hung"
    if errors:
        raise errors[0]


def test_successive_loops_close_their_pools(server: LoopbackServer) -> None:
    settings = {"openai": {"base_url": server.url + "/v1", "api_key": "k"}}
    gc.collect()
    before = open_fds()
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")

        def scenario() -> None:
            client = AsyncClient(providers=settings)
            for _ in range(3):
                texts.append(asyncio.run(calls(client)))
                texts.append(trio.run(calls, client))
            # Threads sharing the client, each with its own loop, at the same time.
            threads = [
                threading.Thread(target=lambda: texts.append(asyncio.run(calls(client))))
                for _ in range(4)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)

            async def close() -> None:
                await client.aclose()

            asyncio.run(close())
            gc.collect()

        run_in_thread(scenario)
    assert texts == ["hi"] * 10
    assert sockets_left(records) == []
    assert open_fds() <= before


def test_streams_across_loops(server: LoopbackServer) -> None:
    """Streams read whole, closed early with ``async with`` and abandoned with ``break``, each
    in its own ``asyncio.run``: every loop's connections are closed at its end."""
    chunks = [
        {"choices": [{"index": 0, "delta": {"content": "a"}}]},
        {"choices": [{"index": 0, "delta": {"content": "b"}, "finish_reason": "stop"}]},
    ]
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    body += b"data: [DONE]\n\n"
    answer = Response(body=body, headers={"content-type": "text/event-stream"})
    server.route("POST", "/v1/chat/completions", lambda request: answer)
    settings = {"openai": {"base_url": server.url + "/v1", "api_key": "k"}}
    client = AsyncClient(providers=settings)

    async def read_whole() -> str:
        async with client.stream("openai/m", MESSAGES) as stream:
            async for _ in stream:
                pass
        return stream.response.text

    async def abandon() -> str:
        async for event in client.stream("openai/m", MESSAGES):
            return type(event).__name__
        return ""

    gc.collect()
    before = open_fds()
    results: list[str] = []
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")

        def scenario() -> None:
            for _ in range(3):
                results.append(asyncio.run(read_whole()))
                results.append(asyncio.run(abandon()))
            gc.collect()

        run_in_thread(scenario)
    assert results == ["ab", "TextDelta"] * 3
    assert sockets_left(records) == []
    assert open_fds() <= before
