"""Streams dropped inside reference cycles the caller made (``stream.me = stream``) hold their
connection until the garbage collector finds the cycle, which may be never when little is
allocated (issue 10, hardening: pool exhaustion). A request that finds no free connection
collects them and runs the closes that defers, on the client's own pool (at its gate) and on
an ``http_client`` the caller gave (when its pool wait times out, before the retry): the next
calls succeed, nothing hangs. Also: ``gc.collect()`` after every event of streams abandoned at
every point, sync and async, leaves nothing in flight."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Iterator

import httpx
import pytest
from loopback import LoopbackServer, Response

from fluent_ai import AsyncClient, Client, Metrics, RetryPolicy, Timeout
from fluent_ai._release import reap

MESSAGES = [{"role": "user", "content": "x"}]
CHUNKS = [{"choices": [{"index": 0, "delta": {"content": str(i)}}]} for i in range(4)]
CHUNKS.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
BODY = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in CHUNKS) + b"data: [DONE]\n\n"
RETRY = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.01)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        # Chunked, so each event arrives in its own read.
        answer = Response(
            body=[BODY[i : i + 60] for i in range(0, len(BODY), 60)],
            headers={"content-type": "text/event-stream"},
        )
        running.route("POST", "/v1/chat/completions", lambda request: answer)
        yield running


@pytest.fixture
def no_collector() -> Iterator[None]:
    """The collector off: only fluent-ai's own collection can find the cycles."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def providers(server: LoopbackServer) -> dict[str, dict[str, str]]:
    return {"openai": {"base_url": server.url + "/v1", "api_key": "k"}}


def in_flight(metrics: Metrics) -> float:
    gauges = metrics.snapshot()["gauges"].get("fluent_ai_requests_in_flight", {})
    return sum(g["value"] for g in gauges.values())


def abandon_in_cycle(client: Client) -> None:
    stream = client.stream("openai/m", MESSAGES)
    stream.me = stream  # type: ignore[attr-defined]
    for _ in stream:
        break


@pytest.mark.usefixtures("no_collector")
def test_user_pool_of_one_recovers(server: LoopbackServer) -> None:
    metrics = Metrics()
    http = httpx.Client(limits=httpx.Limits(max_connections=1))
    timeout = Timeout(connect=0.3, total=20)
    with (
        http,
        Client(
            providers=providers(server),
            http_client=http,
            timeout=timeout,
            retry=RETRY,
            metrics=metrics,
        ) as client,
    ):
        for _ in range(3):
            abandon_in_cycle(client)
        with client.stream("openai/m", MESSAGES) as stream:
            assert "".join(e.text for e in stream if type(e).__name__ == "TextDelta") == "0123"
        gc.collect()
        reap()
    assert in_flight(metrics) == 0


@pytest.mark.usefixtures("no_collector")
def test_own_pool_exhausted_by_cycles_recovers(server: LoopbackServer) -> None:
    """More cycle-trapped streams than the own pool has connections (100)."""
    metrics = Metrics()
    timeout = Timeout(connect=5, total=60)
    with Client(providers=providers(server), timeout=timeout, metrics=metrics) as client:
        for _ in range(105):
            abandon_in_cycle(client)
        with client.stream("openai/m", MESSAGES) as stream:
            assert len(list(stream)) == 5
        # The streams past the pool's size were never needed back: still in their cycles.
        assert in_flight(metrics) > 0
        gc.collect()
        reap()
    assert in_flight(metrics) == 0


def test_collect_after_every_event_sync(server: LoopbackServer) -> None:
    metrics = Metrics()
    with Client(providers=providers(server), metrics=metrics) as client:
        for stop in range(6):
            for position, _event in enumerate(client.stream("openai/m", MESSAGES)):
                gc.collect()
                if position == stop:
                    break
            gc.collect()
        with client.stream("openai/m", MESSAGES) as stream:
            assert len(list(stream)) == 5
    assert in_flight(metrics) == 0


def test_collect_after_every_event_async(server: LoopbackServer) -> None:
    metrics = Metrics()

    async def run() -> int:
        async with AsyncClient(providers=providers(server), metrics=metrics) as client:
            for stop in range(6):
                stream = client.stream("openai/m", MESSAGES)
                position = 0
                async for _event in stream:
                    gc.collect()
                    if position == stop:
                        break
                    position += 1
                del stream
                gc.collect()
                await asyncio.sleep(0)  # the loop runs the finalizer's close
            async with client.stream("openai/m", MESSAGES) as whole:
                return len([e async for e in whole])

    assert asyncio.run(asyncio.wait_for(run(), 60)) == 5
    assert in_flight(metrics) == 0
