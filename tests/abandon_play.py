"""Abandons streams the way careless callers do, against a server given on the command line;
run in a process of its own by ``test_client_lifecycle`` (so that a hang fails there, by the
process's deadline, instead of blocking the test run).

    python abandon_play.py URL sync|async|gc COUNT

``sync``: ``for event in client.stream(...): break`` without ``with``, and every third stream
an exception raised in the loop body. ``gc``: the same with the collector running at every
allocation (``gc.set_threshold(1)``), every stream also put in a reference cycle so that only
the collector frees it, and full collections at random points. ``async``: ``async for ...:
break`` (or an exception) on ``AsyncClient``, every other stream in a cycle, with the
collector at random points. Prints ``ok <streams> <requests in flight>``.
"""

from __future__ import annotations

import asyncio
import gc
import random
import sys
from typing import Any

import fluent_ai
from fluent_ai import AsyncClient, Client, Timeout

MESSAGES = [{"role": "user", "content": "What's the weather?"}]
MODEL = "openai/gpt-4o"


class Boom(Exception):
    pass


def in_flight(metrics: Any) -> float:
    series = metrics.snapshot()["gauges"].get("fluent_ai_requests_in_flight", {})
    return sum(value["value"] for value in series.values()) if series else 0.0


def run_sync(url: str, count: int, collect: bool) -> float:
    rng = random.Random(7)
    metrics = fluent_ai.Metrics()
    options: dict[str, Any] = {
        "providers": {"openai": {"base_url": url + "/v1", "api_key": "sk-test"}},
        "timeout": Timeout(connect=5, total=30),
        "metrics": metrics,
    }
    with Client(**options) as client:
        for index in range(count):
            stream = client.stream(MODEL, MESSAGES)
            if collect:
                # A cycle through the stream: only the collector can free it.
                holder: list[Any] = [stream]
                holder.append(holder)
            try:
                for _event in stream:
                    if index % 3 == 0:
                        raise Boom
                    break
            except Boom:
                pass
            del stream
            if collect:
                del holder
                # The next collection comes after a random number of allocations: at any
                # point of the next request, inside httpcore's pool lock too.
                gc.set_threshold(rng.choice([1, 1, 2, 5, 10, 30, 100]))
                if rng.random() < 0.05:
                    gc.collect()
        # One complete stream at the end: the client still works.
        answer = client.stream(MODEL, MESSAGES).collect()
        assert answer.finish_reason == "tool_calls", answer
        gc.set_threshold(700)
        gc.collect()
        client.stream(MODEL, MESSAGES).close()  # a safe point: deferred closes run
    return in_flight(metrics)


def run_async(url: str, count: int) -> float:
    metrics = fluent_ai.Metrics()

    async def main() -> None:
        options: dict[str, Any] = {
            "providers": {"openai": {"base_url": url + "/v1", "api_key": "sk-test"}},
            "timeout": Timeout(connect=5, total=30),
            "metrics": metrics,
        }
        rng = random.Random(11)
        async with AsyncClient(**options) as client:
            for index in range(count):
                stream = client.stream(MODEL, MESSAGES)
                if index % 2:
                    # Every other stream in a cycle, for the collector to end at any point.
                    holder: list[Any] = [stream]
                    holder.append(holder)
                    del holder
                try:
                    async for _event in stream:
                        if index % 3 == 0:
                            raise Boom
                        break
                except Boom:
                    pass
                del stream
                gc.set_threshold(rng.choice([1, 2, 5, 10, 30, 100, 700]))
            gc.set_threshold(700)
            answer = await client.stream(MODEL, MESSAGES).collect()
            assert answer.finish_reason == "tool_calls", answer
            gc.collect()  # streams still in cycles
            for _ in range(20):  # the loop's finalizer tasks of the last streams
                await asyncio.sleep(0.01)

    asyncio.run(main())
    return in_flight(metrics)


if __name__ == "__main__":
    url, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    left = run_async(url, count) if mode == "async" else run_sync(url, count, mode == "gc")
    print(f"ok {count} {left:g}")
