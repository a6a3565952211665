"""How streams end and wait: a stream the caller drops is released at once (no reference cycle
keeps it), one the garbage collector ends never takes a lock the next request may hold, and the
phase limits of a stream count from the moment its request is on the wire, not from the wait
for a pool connection (which is bounded by ``connect`` and reported as such)."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fake_providers import KEY, install, openai_checks, transcript
from loopback import LoopbackServer, chunked

import fluent_ai
from fluent_ai import AsyncClient, Client, Timeout, errors
from fluent_ai._http import httpx

HERE = Path(__file__).parent
MESSAGES = [{"role": "user", "content": "What's the weather?"}]
MODEL = "openai/gpt-4o"
STREAM = transcript("openai_chat_parallel_tool_calls.txt")


def play(server: LoopbackServer, key: str = KEY, **options: Any) -> None:
    install(
        server,
        "/v1/chat/completions",
        auth=("authorization", f"Bearer {key}"),
        checks=openai_checks(),
        stream=chunked(STREAM, 400),
        **options,
    )


def providers(server: LoopbackServer) -> dict[str, dict[str, str]]:
    return {"openai": {"base_url": server.url + "/v1", "api_key": KEY}}


def in_flight(metrics: Any) -> float:
    series = metrics.snapshot()["gauges"].get("fluent_ai_requests_in_flight", {})
    return float(sum(v["value"] for v in series.values())) if series else 0.0


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


# --- Abandoned streams ----------------------------------------------------------------------


def abandon(server: LoopbackServer, mode: str, count: int, deadline: float) -> None:
    """Runs ``abandon_play.py`` in a process of its own: a hang fails by the deadline."""
    server.reset()
    play(server, key="sk-test")
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "abandon_play.py"), server.url, mode, str(count)],
            capture_output=True,
            text=True,
            timeout=deadline,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{count} abandoned {mode} streams: still running after {deadline}s (a hang)")
    assert done.returncode == 0, done.stderr[-3000:]
    # Every call ended: none is left in flight.
    assert done.stdout.split() == ["ok", str(count), "0"], done.stdout
    assert server.count("/v1/chat/completions") == count + 1


def test_3000_abandoned_sync_streams_do_not_hang(server: LoopbackServer) -> None:
    abandon(server, "sync", 3000, deadline=120)


def test_abandoned_sync_streams_with_the_collector_at_any_point(server: LoopbackServer) -> None:
    # The streams are freed by the collector only, which runs after a random number of
    # allocations: inside httpcore's pool lock too.
    abandon(server, "gc", 600, deadline=120)


def test_abandoned_async_streams(server: LoopbackServer) -> None:
    abandon(server, "async", 1000, deadline=120)


def test_a_dropped_sync_stream_is_released_at_once(server: LoopbackServer) -> None:
    # With the collector off, only reference counting can free a stream: nothing may keep it
    # (or its connection) alive once the caller lets go of it.
    server.reset()
    play(server)
    metrics = fluent_ai.Metrics()
    timeout = Timeout(connect=2, total=20)
    gc.disable()
    try:
        with Client(providers=providers(server), metrics=metrics, timeout=timeout) as client:
            for index in range(150):  # more than the pool's 100 connections
                stream = client.stream(MODEL, MESSAGES)
                ref = weakref.ref(stream)
                if index % 3 == 0:
                    with pytest.raises(KeyError):
                        for _event in stream:
                            raise KeyError("in the loop body")
                elif index % 3 == 1:
                    for _event in stream:
                        break
                else:
                    next(stream)
                del stream
                assert ref() is None, f"stream {index} is kept alive"
                assert in_flight(metrics) == 0, f"stream {index} is still in flight"
            assert client.stream(MODEL, MESSAGES).collect().finish_reason == "tool_calls"
    finally:
        gc.enable()
    outcomes = metrics.snapshot()["counters"]["fluent_ai_requests"]
    assert sum(v for k, v in outcomes.items() if "outcome=closed" in k) == 150


def test_a_dropped_async_stream_is_released_at_once(server: LoopbackServer) -> None:
    server.reset()
    play(server)
    metrics = fluent_ai.Metrics()

    async def run() -> None:
        timeout = Timeout(connect=2, total=20)
        async with AsyncClient(providers=providers(server), metrics=metrics, timeout=timeout) as c:
            for index in range(120):
                stream = c.stream(MODEL, MESSAGES)
                ref = weakref.ref(stream)
                async for _event in stream:
                    break
                del stream
                assert ref() is None, f"stream {index} is kept alive"
                # The loop closes the generator in a task of its own, right away.
                for _ in range(100):
                    if in_flight(metrics) == 0:
                        break
                    await asyncio.sleep(0.002)
                assert in_flight(metrics) == 0, f"stream {index} is still in flight"

    gc.disable()
    try:
        asyncio.run(run())
    finally:
        gc.enable()


# --- Phase limits and the pool --------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_first_event_counts_from_the_wire_not_from_the_pool(
    server: LoopbackServer, mode: str
) -> None:
    # One connection; the first stream holds it for 1.5 s. The second waits for it, then gets
    # its first event 0.3 s after sending: its first_event limit of 0.6 s is not spent in the
    # pool.
    server.reset()
    play(server, pauses={0: 0.3, 4: 1.2})
    timeout = Timeout(connect=5, total=20, first_event=0.6)
    limits = httpx.Limits(max_connections=1)

    def one_sync(client: Client) -> Any:
        return client.stream(MODEL, MESSAGES).collect()

    if mode == "sync":
        with httpx.Client(limits=limits) as http:
            client = Client(http_client=http, providers=providers(server), timeout=timeout)
            with ThreadPoolExecutor(2) as pool:
                first = pool.submit(one_sync, client)
                time.sleep(0.2)
                second = pool.submit(one_sync, client)
                answers = [first.result(), second.result()]
    else:

        async def run() -> list[Any]:
            async with httpx.AsyncClient(limits=limits) as http:
                client = AsyncClient(http_client=http, providers=providers(server), timeout=timeout)
                first = asyncio.ensure_future(client.stream(MODEL, MESSAGES).collect())
                await asyncio.sleep(0.2)
                second = client.stream(MODEL, MESSAGES).collect()
                return list(await asyncio.gather(first, second))

        answers = asyncio.run(run())
    assert [a.finish_reason for a in answers] == ["tool_calls", "tool_calls"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_waiting_for_the_pool_is_bounded_by_connect(server: LoopbackServer, mode: str) -> None:
    # The only connection is held for 3 s; the second call may wait `connect` (0.4 s) for it.
    server.reset()
    play(server, pauses={4: 3.0})
    timeout = Timeout(connect=0.4, total=20)
    limits = httpx.Limits(max_connections=1)
    started = time.monotonic()
    if mode == "sync":
        with httpx.Client(limits=limits) as http:
            client = Client(http_client=http, providers=providers(server), timeout=timeout)
            holder = client.stream(MODEL, MESSAGES)
            next(holder)
            started = time.monotonic()
            with pytest.raises(errors.TimeoutError) as caught:
                client.chat(MODEL, MESSAGES, timeout=Timeout(connect=0.4, total=20))
            holder.close()
    else:

        async def run() -> Any:
            nonlocal started
            async with httpx.AsyncClient(limits=limits) as http:
                client = AsyncClient(http_client=http, providers=providers(server), timeout=timeout)
                holder = client.stream(MODEL, MESSAGES)
                await holder.__anext__()
                started = time.monotonic()
                with pytest.raises(errors.TimeoutError) as caught:
                    await client.chat(MODEL, MESSAGES, timeout=Timeout(connect=0.4, total=20))
                await holder.aclose()
                return caught

        caught = asyncio.run(run())
    error = caught.value
    assert "no connection of the client's pool became free within 0.4s" in str(error)
    assert "(Timeout.connect)" in str(error)
    assert isinstance(error.__cause__, httpx.PoolTimeout)
    # Retried like a connect timeout (2 retries), each wait bounded by connect (unbounded, the
    # call would have got the connection after 3 s and succeeded). Far below total=20, with
    # room for the collection a pool timeout runs (_release.collect_abandoned) in a big process.
    assert time.monotonic() - started < 10.0


def test_1000_concurrent_async_streams_on_the_default_pool(server: LoopbackServer) -> None:
    # 1,000 streams share the default pool of 100 connections; each holds its connection for
    # about 0.6 s, so the last ones wait several seconds for one: first_event=5 still holds
    # for all (it counts from the request on the wire), and the wait is not spent in
    # httpcore's queue, whose bookkeeping grows with its length (see fluent_ai._gate).
    server.reset()
    play(server, delay=0.03)

    async def run() -> list[Any]:
        timeout = Timeout(connect=30, total=60, first_event=5)
        async with AsyncClient(providers=providers(server), timeout=timeout) as client:

            async def one() -> Any:
                stream = client.stream(MODEL, MESSAGES)
                return await stream.collect()

            return list(await asyncio.gather(*(one() for _ in range(1000)), return_exceptions=True))

    started = time.monotonic()
    answers = asyncio.run(run())
    failures = [a for a in answers if isinstance(a, BaseException)]
    assert failures == [], f"{len(failures)} failed, the first: {failures[:1]!r}"
    assert all(a.finish_reason == "tool_calls" for a in answers)
    # The pool was the bottleneck: some streams waited longer than first_event in it.
    assert time.monotonic() - started > 5
