"""Abandons streams of every dialect the ways careless callers do, against a hostile server of
its own; run in a process of its own by ``test_adversarial_lifecycle`` (a hang fails there by
the process's deadline instead of blocking the run).

    python adversarial_play.py MODE COUNT

Modes: ``dialects`` (each dialect in turn, every way of dropping a stream, ``chat()`` between
them), ``threads`` (several threads share one client), ``custom`` (the caller's own
``httpx.Client`` with a small pool), ``crossdel`` (the last reference goes in another thread
while this one sends requests), ``freeze`` (``gc.freeze()`` and full collections at random
points, streams in reference cycles), ``async`` (every dialect on ``AsyncClient``), ``trio``
(the same on trio), ``syncpool``/``asyncpool`` (that many streams at once), ``storm``
(failures of every kind from threads sharing a client, then the whole pool at once). Prints
``ok <streams> <requests in flight>``.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import gzip
import json
import queue
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
from hostile_server import HostileServer, Seen, response

import fluent_ai
from fluent_ai import AsyncClient, Client, Timeout
from fluent_ai._http import httpx

TRANSCRIPTS = Path(__file__).resolve().parents[2] / "shared" / "spec" / "transcripts"
MESSAGES = [{"role": "user", "content": "What's the weather?"}]
KEY = "sk-canary-abandon-5b2d8046"


def _bedrock_stream() -> bytes:
    described = json.loads((TRANSCRIPTS / "bedrock_converse_stream_tool_use.json").read_text())
    return base64.b64decode(described["stream_base64"])


# dialect: (model, stream bytes, stream content type, whole answer of chat())
DIALECTS: dict[str, tuple[str, bytes, str, dict[str, Any]]] = {
    "openai": (
        "openai/gpt-4o",
        (TRANSCRIPTS / "openai_chat_parallel_tool_calls.txt").read_bytes(),
        "text/event-stream",
        {
            "id": "c",
            "object": "chat.completion",
            "model": "gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "hi"},
                    "finish_reason": "stop",
                }
            ],
        },
    ),
    "anthropic": (
        "anthropic/claude-sonnet-4-5",
        (TRANSCRIPTS / "anthropic_tool_use.txt").read_bytes(),
        "text/event-stream",
        {
            "id": "msg",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": [{"type": "text", "text": "hi"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 1, "output_tokens": 1},
        },
    ),
    "gemini": (
        "gemini/gemini-2.5-flash",
        (TRANSCRIPTS / "gemini_text_and_function_call.txt").read_bytes(),
        "text/event-stream",
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}
            ]
        },
    ),
    "ollama": (
        "ollama/llama3.2",
        (TRANSCRIPTS / "ollama_chat_tool_call.ndjson").read_bytes(),
        "application/x-ndjson",
        {
            "model": "llama3.2",
            "message": {"role": "assistant", "content": "hi"},
            "done": True,
            "done_reason": "stop",
        },
    ),
    "cohere": (
        "cohere/command-a-03-2025",
        (TRANSCRIPTS / "cohere_v2_tool_call.txt").read_bytes(),
        "text/event-stream",
        {
            "id": "c",
            "finish_reason": "COMPLETE",
            "message": {"role": "assistant", "content": [{"type": "text", "text": "hi"}]},
        },
    ),
    "bedrock": (
        "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
        _bedrock_stream(),
        "application/vnd.amazon.eventstream",
        {
            "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        },
    ),
}


SLOW = False  # the pool modes: each answer waits before its headers


def streaming(seen: Seen) -> bool:
    if "streamGenerateContent" in seen.path or seen.path.endswith("converse-stream"):
        return True
    body = seen.json()
    return isinstance(body, dict) and body.get("stream") is True


def answer(seen: Seen) -> list[Any]:
    if SLOW:
        time.sleep(0.2)  # a provider that thinks before its headers: connections stay busy
    model = seen.path  # each dialect is told apart by its path
    for name in ("openai", "anthropic", "gemini", "ollama", "cohere", "bedrock"):
        if PATHS[name] in model:
            break
    _, data, content_type, whole = DIALECTS[name]
    if FAULTY:
        with _STORM_LOCK:
            roll = _STORM.random()
        script = faulty(data, random.Random(roll))
        if script is not None:
            return script
    if streaming(seen):
        # The body in pieces, so that a dropped stream leaves a response half read.
        return [response(200, data, content_type, framing="chunked"), "keep"]
    return [response(200, json.dumps(whole).encode()), "keep"]


PATHS = {
    "openai": "/chat/completions",
    "anthropic": "/v1/messages",
    "gemini": "/models/gemini",
    "ollama": "/api/chat",
    "cohere": "/v2/chat",
    "bedrock": "/model/",
}


def providers(url: str) -> dict[str, dict[str, Any]]:
    return {
        "openai": {"base_url": url + "/v1", "api_key": KEY},
        "anthropic": {"base_url": url, "api_key": KEY},
        "gemini": {"base_url": url, "api_key": KEY},
        "ollama": {"base_url": url},
        "cohere": {"base_url": url, "api_key": KEY},
        "bedrock": {
            "base_url": url,
            "region": "us-west-2",
            "aws_access_key_id": "AKIDABANDON",
            "aws_secret_access_key": "secret-abandon",
        },
    }


class Boom(Exception):
    pass


def in_flight(metrics: Any) -> float:
    series = metrics.snapshot()["gauges"].get("fluent_ai_requests_in_flight", {})
    return float(sum(v["value"] for v in series.values())) if series else 0.0


def drop_one(client: Client, model: str, way: int, keep: list[Any]) -> None:
    """One stream dropped in the way numbered ``way``."""
    stream = client.stream(model, MESSAGES)
    if way == 0:
        for _event in stream:
            break
    elif way == 1:
        try:
            for _event in stream:
                raise Boom
        except Boom:
            pass
    elif way == 2:
        next(stream)  # one event, then the stream is just forgotten
    elif way == 3:
        events = iter(stream)  # the generator outlives the stream; never closed
        next(events)
        del stream
        keep.append(events)
        if len(keep) > 3:
            keep.pop(0)
        return
    elif way == 4:
        pass  # never started
    else:
        holder: list[Any] = [stream]
        holder.append(holder)  # a cycle: only the collector frees it
        next(stream)
    del stream


def run_dialects(count: int, url: str, names: list[str]) -> float:
    rng = random.Random(11)
    metrics = fluent_ai.Metrics()
    keep: list[Any] = []
    timeout = Timeout(connect=5, total=30)
    with Client(providers=providers(url), metrics=metrics, timeout=timeout) as client:
        for index in range(count):
            model = DIALECTS[names[index % len(names)]][0]
            drop_one(client, model, rng.randrange(6), keep)
            if index % 7 == 0:
                assert client.chat(model, MESSAGES).text == "hi"
            if rng.random() < 0.02:
                gc.collect()
        keep.clear()
        for name in names:
            assert client.stream(DIALECTS[name][0], MESSAGES).collect().finish_reason
        gc.collect()
        client.chat(DIALECTS[names[0]][0], MESSAGES)  # a safe point
    return in_flight(metrics)


def run_threads(count: int, url: str, threads: int = 8) -> float:
    metrics = fluent_ai.Metrics()
    errors: list[BaseException] = []
    timeout = Timeout(connect=10, total=60)
    names = list(DIALECTS)
    with Client(providers=providers(url), metrics=metrics, timeout=timeout) as client:

        def work(seed: int) -> None:
            rng = random.Random(seed)
            keep: list[Any] = []
            try:
                for index in range(count // threads):
                    model = DIALECTS[names[(index + seed) % len(names)]][0]
                    drop_one(client, model, rng.randrange(6), keep)
                    if rng.random() < 0.03:
                        gc.collect()
                keep.clear()
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        workers = [threading.Thread(target=work, args=(seed,)) for seed in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if errors:
            raise errors[0]
        gc.collect()
        assert client.stream(DIALECTS["openai"][0], MESSAGES).collect().finish_reason
    return in_flight(metrics)


def run_custom(count: int, url: str) -> float:
    metrics = fluent_ai.Metrics()
    rng = random.Random(5)
    keep: list[Any] = []
    limits = httpx.Limits(max_connections=5, max_keepalive_connections=1)
    timeout = Timeout(connect=5, total=30)
    with httpx.Client(limits=limits) as http:
        client = Client(
            http_client=http, providers=providers(url), metrics=metrics, timeout=timeout
        )
        for index in range(count):
            model = DIALECTS[list(DIALECTS)[index % len(DIALECTS)]][0]
            # Only what reference counting frees: a stream in the caller's own cycle, or a
            # generator the caller keeps, holds one of the few connections until it goes.
            drop_one(client, model, rng.choice([0, 1, 2, 4]), keep)
            if rng.random() < 0.05:
                gc.collect()
        keep.clear()
        gc.collect()
        assert client.stream(DIALECTS["anthropic"][0], MESSAGES).collect().finish_reason
        client.close()
    return in_flight(metrics)


def run_crossdel(count: int, url: str) -> float:
    metrics = fluent_ai.Metrics()
    handed: queue.Queue[Any] = queue.Queue(maxsize=4)
    timeout = Timeout(connect=5, total=30)

    def reaper() -> None:
        while True:
            item = handed.get()
            if item is None:
                return
            del item  # the last reference goes here, in this thread

    with Client(providers=providers(url), metrics=metrics, timeout=timeout) as client:
        thread = threading.Thread(target=reaper)
        thread.start()
        for index in range(count):
            model = DIALECTS[list(DIALECTS)[index % len(DIALECTS)]][0]
            stream = client.stream(model, MESSAGES)
            next(stream)
            handed.put(stream if index % 2 else iter(stream))
            del stream
            if index % 3 == 0:
                client.chat(model, MESSAGES)
        handed.put(None)
        thread.join()
        gc.collect()
        assert client.stream(DIALECTS["gemini"][0], MESSAGES).collect().finish_reason
    return in_flight(metrics)


def run_freeze(count: int, url: str) -> float:
    rng = random.Random(3)
    metrics = fluent_ai.Metrics()
    keep: list[Any] = []
    timeout = Timeout(connect=5, total=30)
    with Client(providers=providers(url), metrics=metrics, timeout=timeout) as client:
        for index in range(count):
            model = DIALECTS[list(DIALECTS)[index % len(DIALECTS)]][0]
            drop_one(client, model, 5 if index % 2 else rng.randrange(6), keep)
            roll = rng.random()
            if roll < 0.05:
                gc.freeze()
            elif roll < 0.1:
                gc.unfreeze()
                gc.collect()
            gc.set_threshold(rng.choice([1, 3, 10, 100, 700]))
        keep.clear()
        gc.unfreeze()
        gc.set_threshold(700)
        gc.collect()
        assert client.stream(DIALECTS["ollama"][0], MESSAGES).collect().finish_reason
    return in_flight(metrics)


def run_async(count: int, url: str, loop: str = "asyncio") -> float:
    metrics = fluent_ai.Metrics()

    async def run() -> None:
        rng = random.Random(9)
        timeout = Timeout(connect=5, total=30)
        async with AsyncClient(providers=providers(url), metrics=metrics, timeout=timeout) as c:
            for index in range(count):
                model = DIALECTS[list(DIALECTS)[index % len(DIALECTS)]][0]
                stream = c.stream(model, MESSAGES)
                way = rng.randrange(4)
                if way == 0:
                    async for _event in stream:
                        break
                elif way == 1:
                    try:
                        async for _event in stream:
                            raise Boom
                    except Boom:
                        pass
                elif way == 2:
                    holder: list[Any] = [stream]
                    holder.append(holder)
                    async for _event in stream:
                        break
                    del holder
                del stream
                if index % 7 == 0:
                    assert (await c.chat(model, MESSAGES)).text == "hi"
                if rng.random() < 0.03:
                    gc.collect()
            gc.collect()
            await anyio.sleep(0.05)
            answer = await c.stream(DIALECTS["cohere"][0], MESSAGES).collect()
            assert answer.finish_reason

    anyio.run(run, backend=loop)
    return in_flight(metrics)


def run_pool(count: int, url: str, kind: str) -> float:
    """``count`` streams at once on the client's own pool (threads, or tasks of one loop),
    with ``first_event=30``: every one must succeed (waiting for a connection of the pool is
    not waiting for the first event, which tests/test_client_lifecycle.py checks exactly;
    here 30 s leaves room for a loaded machine)."""
    metrics = fluent_ai.Metrics()
    timeout = Timeout(connect=60, total=120, first_event=30)
    model = DIALECTS["openai"][0]
    if kind == "sync":
        done: list[Any] = []
        with Client(providers=providers(url), metrics=metrics, timeout=timeout) as client:

            def one() -> None:
                try:
                    done.append(client.stream(model, MESSAGES).collect().finish_reason)
                except Exception as error:  # counted below
                    done.append(repr(error))

            workers = [threading.Thread(target=one) for _ in range(count)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
    else:

        async def run() -> list[Any]:
            async with AsyncClient(providers=providers(url), metrics=metrics, timeout=timeout) as c:

                async def one() -> Any:
                    try:
                        return (await c.stream(model, MESSAGES).collect()).finish_reason
                    except Exception as error:  # counted below
                        return repr(error)

                return list(await asyncio.gather(*(one() for _ in range(count))))

        done = asyncio.run(run())
    failed = [result for result in done if result != "tool_calls"]
    assert not failed, (len(failed), failed[:3])
    return in_flight(metrics)


FAULTY = False  # the "storm" mode: half the answers fail, in every way
_STORM = random.Random(4)
_STORM_LOCK = threading.Lock()


def faulty(data: bytes, rng: random.Random) -> list[Any] | None:
    roll = rng.random()
    if roll < 0.2:
        return [data[: rng.randrange(len(data))], "rst"]
    if roll < 0.3:
        return [response(200, b"", "text/event-stream")]
    if roll < 0.4:
        return [response(503, b"{}")]
    if roll < 0.45:
        return ["fin"]
    if roll < 0.5:
        packed = gzip.compress(b"x" * 50)[:-5] + b"zzzzz"
        return [response(200, packed, headers={"content-encoding": "gzip"})]
    return None


def run_storm(count: int, url: str, threads: int = 16) -> float:
    """Threads share one ``Client`` through a storm of failures (cuts, resets, empty bodies,
    503s, corrupt gzip) and every way of ending a stream; then the pool must still hold all
    its connections: ``count`` streams at once, each waiting for its connection at most 2 s."""
    global FAULTY, SLOW
    metrics = fluent_ai.Metrics()
    untyped: list[str] = []
    retry = fluent_ai.RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.002)
    names = list(DIALECTS)
    with Client(
        providers=providers(url),
        retry=retry,
        timeout=Timeout(connect=2, total=20),
        breaker=None,
        metrics=metrics,
    ) as client:

        def work(seed: int) -> None:
            rng = random.Random(seed)
            for _ in range(40):
                model = DIALECTS[names[rng.randrange(len(names))]][0]
                way = rng.randrange(4)
                try:
                    if way == 0:
                        client.chat(model, MESSAGES)
                    elif way == 1:
                        client.stream(model, MESSAGES).collect()
                    elif way == 2:
                        for _event in client.stream(model, MESSAGES):
                            break
                    else:
                        stream = client.stream(model, MESSAGES)
                        next(stream)
                        stream.close()
                except fluent_ai.FluentAIError:
                    pass
                except Exception as error:  # reported below
                    untyped.append(repr(error))

        FAULTY = True
        workers = [threading.Thread(target=work, args=(seed,)) for seed in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert not untyped, untyped[:5]
        FAULTY, SLOW = False, True
        gc.collect()
        client.chat(DIALECTS["openai"][0], MESSAGES)  # a safe point: deferred closes run
        # Every permit of the gate is back (one lost per failure would starve the pool).
        free = client._http._transport._gate._value  # type: ignore[attr-defined]
        assert free == 100, f"{100 - free} connections of the pool were never given back"
        done: list[Any] = []

        def one() -> None:
            try:
                done.append(client.stream(DIALECTS["openai"][0], MESSAGES).collect().finish_reason)
            except Exception as error:  # counted below
                done.append(repr(error))

        workers = [threading.Thread(target=one) for _ in range(count)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        failed = [result for result in done if result != "tool_calls"]
        assert not failed, (len(failed), failed[:3])
    return in_flight(metrics)


def main() -> None:
    global SLOW
    mode, count = sys.argv[1], int(sys.argv[2])
    SLOW = mode.endswith("pool")
    with HostileServer(answer) as server:
        if mode == "dialects":
            left = run_dialects(count, server.url, list(DIALECTS))
        elif mode == "threads":
            left = run_threads(count, server.url)
        elif mode == "custom":
            left = run_custom(count, server.url)
        elif mode == "crossdel":
            left = run_crossdel(count, server.url)
        elif mode == "freeze":
            left = run_freeze(count, server.url)
        elif mode == "async":
            left = run_async(count, server.url)
        elif mode == "trio":
            left = run_async(count, server.url, "trio")
        elif mode == "storm":
            left = run_storm(count, server.url)
        elif mode in ("syncpool", "asyncpool"):
            left = run_pool(count, server.url, mode[: -len("pool")])
        else:
            raise SystemExit(f"unknown mode {mode}")
    print("ok", count, int(left))


if __name__ == "__main__":
    main()
