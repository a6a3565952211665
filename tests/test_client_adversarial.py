"""Hostile servers against both clients, with inputs the other client tests do not use: every
dialect (SSE, NDJSON, AWS event-stream) and every API (chat, stream, embed, rerank) under random
cuts, resets, empty and gzip-cut bodies, HTTP/1.0 close-delimited bodies, chunked bodies with
trailers, wrong content types, HTML pages with status 200, corrupt compressed bodies, stalls
after the headers, stale keep-alive connections, and answers of the wrong shape. The caller
gets exactly one answer or one typed error; an answer the server sent whole is never lost nor
asked for twice; nothing that reached the caller is replayed."""

from __future__ import annotations

import asyncio
import gc
import json
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from adversarial_play import DIALECTS, providers, streaming
from client_helpers import mode  # noqa: F401
from hostile_server import HostileServer, Seen, gzip_bytes, response

import fluent_ai
from fluent_ai import AsyncClient, Client, RetryPolicy, StreamDecoder, Timeout, errors

DECODER = {
    "openai": "openai-chat",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "ollama": "ollama",
    "cohere": "cohere",
    "bedrock": "bedrock",
}
FAST = RetryPolicy(max_retries=3, backoff_base=0.0005, backoff_max=0.001)
EMBED = {"data": [{"index": 0, "embedding": [0.25, 0.5]}], "usage": {"prompt_tokens": 1}}
RERANK = {"results": [{"index": 1, "relevance_score": 0.75}, {"index": 0, "relevance_score": 0.5}]}
TRIAL = re.compile(rb"trial-(\d+)-")
MESSAGES = [{"role": "user", "content": "What's the weather?"}]


def complete_events(name: str) -> list[Any]:
    decoder = StreamDecoder(DECODER[name])
    return [*decoder.feed(DIALECTS[name][1]), *decoder.finish()]


def normal(events: list[Any]) -> list[str]:
    """The events with the ids the decoder makes up (Gemini sends none) numbered alike."""
    return [re.sub(r"call_fai_\d+", "call_fai_N", repr(event)) for event in events]


def call(client: Any, api: str, name: str, trial: int, sink: list[Any]) -> Any:
    """One call of ``api`` (sync client); the stream's events go to ``sink`` as they arrive."""
    tag = f"trial-{trial}-"
    if api == "embed":
        return client.embed("openai/text-embedding-3-small", [tag])
    if api == "rerank":
        return client.rerank("jina/jina-reranker-v2", tag, ["a", "b"])
    messages = [{"role": "user", "content": tag + "weather?"}]
    if api == "chat":
        return client.chat(DIALECTS[name][0], messages)
    stream = client.stream(DIALECTS[name][0], messages)
    with stream:
        for event in stream:
            sink.append(event)
    return stream.response


async def acall(client: Any, api: str, name: str, trial: int, sink: list[Any]) -> Any:
    tag = f"trial-{trial}-"
    if api == "embed":
        return await client.embed("openai/text-embedding-3-small", [tag])
    if api == "rerank":
        return await client.rerank("jina/jina-reranker-v2", tag, ["a", "b"])
    messages = [{"role": "user", "content": tag + "weather?"}]
    if api == "chat":
        return await client.chat(DIALECTS[name][0], messages)
    stream = client.stream(DIALECTS[name][0], messages)
    async with stream:
        async for event in stream:
            sink.append(event)
    return stream.response


def options(server: HostileServer, **more: Any) -> dict[str, Any]:
    settings = providers(server.url)
    settings["jina"] = {"base_url": server.url, "api_key": "sk-jina-adversarial"}
    return {
        "providers": settings,
        "retry": FAST,
        "timeout": Timeout(connect=5, total=20),
        "breaker": None,
        **more,
    }


def run(
    kind: str, server: HostileServer, calls: list[tuple[str, str, int]], **more: Any
) -> list[tuple[list[Any], Any, BaseException | None]]:
    """Each ``(api, dialect, trial)`` on one client: the events that reached the caller, the
    answer, the exception."""
    results: list[tuple[list[Any], Any, BaseException | None]] = []
    if kind == "sync":
        with Client(**options(server, **more)) as client:
            for api, name, trial in calls:
                sink: list[Any] = []
                try:
                    results.append((sink, call(client, api, name, trial, sink), None))
                except Exception as error:
                    results.append((sink, None, error))
        return results

    async def go() -> None:
        async with AsyncClient(**options(server, **more)) as client:
            for api, name, trial in calls:
                sink: list[Any] = []
                try:
                    results.append((sink, await acall(client, api, name, trial, sink), None))
                except Exception as error:
                    results.append((sink, None, error))

    asyncio.run(go())
    return results


def whole_body(seen: Seen, name: str) -> tuple[bytes, str]:
    """The clean answer's body and content type for the request ``seen``."""
    if seen.path.endswith("/embeddings"):
        return json.dumps(EMBED).encode(), "application/json"
    if seen.path.endswith("/rerank"):
        return json.dumps(RERANK).encode(), "application/json"
    if streaming(seen):
        return DIALECTS[name][1], DIALECTS[name][2]
    return json.dumps(DIALECTS[name][3]).encode(), "application/json"


def dialect_of(seen: Seen) -> str:
    paths = {
        "openai": "/chat/completions",
        "anthropic": "/v1/messages",
        "gemini": "/models/gemini",
        "ollama": "/api/chat",
        "cohere": "/v2/chat",
        "bedrock": "/model/",
    }
    return next((name for name, path in paths.items() if path in seen.path), "openai")


# --- Random faults: every dialect and API, counted ------------------------------------------


FAULTS = ["cut", "cut", "cut", "empty", "gzip-cut", "http10-cut", "html", "stale", "503"]


def faulty(rng: random.Random, kind: str, body: bytes, content_type: str) -> tuple[list[Any], bool]:
    """A failed answer of ``kind``: its socket script, and whether the body went out whole (a
    provider would bill it)."""
    if kind == "empty":
        framing = rng.choice(["length", "chunked", "close"])
        return [response(200, b"", content_type, framing=framing)], False
    if kind == "html":
        page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        return [response(200, page, "text/html")], False
    if kind == "503":
        return [response(503, b'{"error": {"message": "overloaded"}}')], False
    if kind == "stale":
        # The server ends the connection as the request arrives: nothing was answered.
        return ["fin"], False
    if kind == "gzip-cut":
        packed = gzip_bytes(body)
        data = response(200, packed, content_type, headers={"content-encoding": "gzip"})
        start = len(data) - len(packed)
        return [data[: rng.randrange(start, len(data))], rng.choice(["fin", "rst"])], False
    framing = "close" if kind == "http10-cut" else rng.choice(["length", "chunked"])
    version = "HTTP/1.0" if kind == "http10-cut" else "HTTP/1.1"
    data = response(200, body, content_type, framing=framing, version=version)
    head = data.index(b"\r\n\r\n") + 4
    cut = rng.randrange(0, len(data))
    # Billed when every byte of the body content went out (a chunked body: up to its last
    # data chunk, the terminator aside).
    billed = cut >= len(data) - (len(b"0\r\n\r\n") if framing == "chunked" else 0)
    billed = billed and cut > head
    return [data[:cut], rng.choice(["fin", "rst"])], billed


CASES = [
    *[("stream", name) for name in DIALECTS],
    *[("chat", name) for name in DIALECTS],
    ("embed", "openai"),
    ("rerank", "openai"),
]


def test_random_faults_give_one_answer_or_one_typed_error(mode: str) -> None:  # noqa: F811
    rng = random.Random(f"adversarial-{mode}")
    calls = [(*CASES[trial % len(CASES)], trial) for trial in range(len(CASES) * 14)]
    # Per trial: the fault kinds of its first attempts; then a clean answer (or none left).
    schedules = [[rng.choice(FAULTS) for _ in range(rng.choice([1, 1, 2, 3, 5]))] for _ in calls]
    requests: dict[int, int] = {}
    billed: dict[int, int] = {}

    def answer(seen: Seen) -> list[Any]:
        trial = int(TRIAL.search(seen.raw).group(1))  # type: ignore[union-attr]
        attempt = requests.get(trial, 0)
        requests[trial] = attempt + 1
        body, content_type = whole_body(seen, dialect_of(seen))
        if attempt < len(schedules[trial]):
            script, whole = faulty(rng, schedules[trial][attempt], body, content_type)
        else:
            script, whole = [response(200, body, content_type, framing="chunked"), "keep"], True
        billed[trial] = billed.get(trial, 0) + whole
        return script

    with HostileServer(answer) as server:
        results = run(mode, server, calls)
    lost = duplicated = billed_twice = untyped = answered = failed = 0
    for (api, name, trial), (events, answer_, error) in zip(calls, results):
        where = f"{api} {name} trial {trial}: {schedules[trial]}"
        billed_twice += billed.get(trial, 0) > 1
        if error is None:
            answered += 1
            if api == "stream":
                duplicated += normal(events) != normal(complete_events(name))
            elif api == "embed":
                assert answer_.embeddings == [[0.25, 0.5]], where
            elif api == "rerank":
                assert [r.index for r in answer_.results] == [1, 0], where
            else:
                assert answer_.text == "hi", where
            continue
        failed += 1
        lost += billed.get(trial, 0) > 0
        untyped += not isinstance(error, errors.FluentAIError)
        assert isinstance(error, errors.FluentAIError), (where, repr(error))
        if "html" not in schedules[trial]:
            # (An HTML page with status 200 is not the stream: a decode error may say so.)
            assert isinstance(error, errors.APIError), (where, repr(error))
            assert not isinstance(error, errors.StreamDecodeError), (where, repr(error))
        if events:
            # Output reached the caller: never retried after it, never replayed.
            assert isinstance(error, errors.StreamInterrupted), (where, repr(error))
            assert normal(events) == normal(complete_events(name))[: len(events)], where
    assert (lost, duplicated, billed_twice, untyped) == (0, 0, 0, 0)
    assert answered > 60 and failed > 5, (answered, failed)


# --- One hostile server at a time -----------------------------------------------------------


def once_then_clean(first: Callable[[Seen, bytes, str], list[Any]]) -> Callable[[Seen], list[Any]]:
    """The first request gets ``first(seen, body, content_type)``, the others a clean answer."""
    count = [0]

    def answer(seen: Seen) -> list[Any]:
        count[0] += 1
        body, content_type = whole_body(seen, dialect_of(seen))
        if count[0] == 1:
            return first(seen, body, content_type)
        return [response(200, body, content_type), "keep"]

    return answer


def corrupt_gzip(seen: Seen, body: bytes, content_type: str) -> list[Any]:
    packed = bytearray(gzip_bytes(body))
    packed[12:20] = b"\xff" * 8  # the deflate data no longer decodes
    return [response(200, bytes(packed), content_type, headers={"content-encoding": "gzip"})]


def bad_deflate(seen: Seen, body: bytes, content_type: str) -> list[Any]:
    return [response(200, b"not deflate", content_type, headers={"content-encoding": "deflate"})]


@pytest.mark.parametrize("api", ["chat", "stream", "embed", "rerank"])
@pytest.mark.parametrize("first", [corrupt_gzip, bad_deflate])
def test_a_body_that_does_not_decompress_is_a_retried_connection_error(
    mode: str,  # noqa: F811
    api: str,
    first: Callable[[Seen, bytes, str], list[Any]],
) -> None:
    # httpx raises DecodingError (not a TransportError): it escaped untyped before.
    with HostileServer(once_then_clean(first)) as server:
        ((_, _, error),) = run(mode, server, [(api, "openai", 0)])
        assert error is None, repr(error)
        assert len(server.seen) == 2
    with HostileServer(lambda seen: corrupt_gzip(seen, *whole_body(seen, "openai"))) as server:
        ((_, _, error),) = run(mode, server, [(api, "openai", 0)], retry=None)
        assert isinstance(error, errors.ConnectionError), repr(error)
        assert "decompress" in str(error)


# A stream without its content type (or a generic one) is sniffed for openai-chat's SSE only.
FRAMINGS = [
    *[(name, variant) for name in sorted(DIALECTS) for variant in ("http10", "trailers", "gzip")],
    *[(name, "tiny-chunks") for name in sorted(DIALECTS)],
    ("openai", "octet-stream"),
    ("openai", "no-content-type"),
]


@pytest.mark.parametrize(("name", "variant"), FRAMINGS)
def test_unusual_but_valid_framings_decode_exactly(
    mode: str,  # noqa: F811
    name: str,
    variant: str,
) -> None:
    def answer(seen: Seen) -> list[Any]:
        body, content_type = whole_body(seen, name)
        if variant == "http10":
            return [response(200, body, content_type, framing="close", version="HTTP/1.0")]
        if variant == "trailers":
            trailers = b"x-usage: 5\r\nx-checksum: 00ff\r\n"
            data = response(200, body, content_type, framing="chunked", trailers=trailers)
            return [data, "keep"]
        if variant == "gzip":
            packed = gzip_bytes(body)
            return [response(200, packed, content_type, headers={"content-encoding": "gzip"})]
        if variant == "octet-stream":
            return [response(200, body, "application/octet-stream")]
        if variant == "no-content-type":
            data = response(200, body, content_type)
            return [re.sub(rb"content-type: [^\r]*\r\n", b"", data, count=1)]
        data = response(200, body, content_type)
        head = data.index(b"\r\n\r\n") + 4
        return [data[:head], *(data[i : i + 1] for i in range(head, len(data))), "keep"]

    with HostileServer(answer) as server:
        results = run(mode, server, [("stream", name, 0), ("chat", name, 1)])
    (events, _, error), (_, whole, chat_error) = results
    assert error is None and chat_error is None, (repr(error), repr(chat_error))
    assert normal(events) == normal(complete_events(name))
    assert whole.text == "hi"


@pytest.mark.parametrize("api", ["chat", "stream"])
def test_headers_then_a_stall_is_a_timeout_not_a_hang(mode: str, api: str) -> None:  # noqa: F811
    def answer(seen: Seen) -> list[Any]:
        ctype = "text/event-stream" if streaming(seen) else "application/json"
        head = f"HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\ntransfer-encoding: chunked\r\n\r\n"
        return [head.encode(), 3.0, "fin"]

    timeout = Timeout(connect=2, total=1.0 if api == "chat" else 10, first_event=0.5)
    with HostileServer(answer) as server:
        ((_, _, error),) = run(mode, server, [(api, "openai", 0)], timeout=timeout, retry=None)
    assert isinstance(error, errors.TimeoutError), repr(error)
    assert ("first_event" if api == "stream" else "total") in str(error)


@pytest.mark.parametrize("api", ["chat", "stream", "embed"])
def test_a_stale_keep_alive_connection_is_retried_once(mode: str, api: str) -> None:  # noqa: F811
    # The first answer keeps the connection open, then the server drops it as the next
    # request arrives on it (a keep-alive timeout): nothing was answered, so it is retried,
    # and nothing is billed twice.
    count = [0]

    def answer(seen: Seen) -> list[Any]:
        count[0] += 1
        body, content_type = whole_body(seen, "openai")
        if count[0] == 2:
            return ["rst"]
        return [response(200, body, content_type), "keep"]

    with HostileServer(answer) as server:
        results = run(mode, server, [(api, "openai", 0), (api, "openai", 1)])
        assert [error for _, _, error in results] == [None, None]
        assert len(server.seen) == 3


# --- Answers of the wrong shape -------------------------------------------------------------


SHAPES: dict[str, tuple[str, bytes, str]] = {
    "chat-list": ("chat", b"[1, 2, 3]", "not a JSON object"),
    "chat-null": ("chat", b"null", "not a JSON object"),
    "stream-json-string": ("stream", b'"hello"', "not a JSON object"),
    "embed-none": ("embed", b"{}", "0 vectors for 1 inputs"),
    "embed-two": (
        "embed",
        b'{"data":[{"index":0,"embedding":[1]},{"index":1,"embedding":[2]}]}',
        "2 vectors for 1 inputs",
    ),
    "embed-strings": ("embed", b'{"data":[{"index":0,"embedding":["a"]}]}', "malformed"),
    "embed-empty-vector": ("embed", b'{"data":[{"index":0,"embedding":[]}]}', "malformed"),
    "rerank-none": ("rerank", b'{"results": []}', "ranks no document"),
    "rerank-out-of-range": (
        "rerank",
        b'{"results":[{"index":7,"relevance_score":0.5}]}',
        "document 7, of 2",
    ),
    "rerank-twice": (
        "rerank",
        b'{"results":[{"index":1,"relevance_score":0.5},{"index":1,"relevance_score":0.4}]}',
        "twice",
    ),
    "rerank-score-text": (
        "rerank",
        b'{"results":[{"index":0,"relevance_score":"high"}]}',
        "malformed",
    ),
}


@pytest.mark.parametrize("case", sorted(SHAPES))
def test_an_answer_of_the_wrong_shape_is_an_api_error_not_retried(
    mode: str,  # noqa: F811
    case: str,
) -> None:
    api, body, expected = SHAPES[case]
    with HostileServer(lambda seen: [response(200, body), "keep"]) as server:
        ((_, answer, error),) = run(mode, server, [(api, "openai", 0)])
        assert answer is None
        assert type(error) is errors.APIError, repr(error)
        assert expected in str(error)
        assert error.status_code == 200
        assert len(server.seen) == 1  # the server answered: asking again would bill again


# --- Closing a stream that another thread (or task) is reading ------------------------------


def test_closing_a_stream_another_thread_or_task_reads_ends_that_read(mode: str) -> None:  # noqa: F811
    # close() from another thread raised "generator already executing" (aclose() from another
    # task "asynchronous generator is already running"), and the stream went on.
    body = DIALECTS["openai"][1]
    two_frames = body.index(b"\n\n", body.index(b"\n\n") + 2) + 2

    def answer(seen: Seen) -> list[Any]:
        data = response(200, body, "text/event-stream", framing="close")
        cut = data.index(b"\r\n\r\n") + 4 + two_frames
        return [data[:cut], 5.0, data[cut:]]

    metrics = fluent_ai.Metrics()
    got: list[Any] = []
    with HostileServer(answer) as server:
        opts = options(server, metrics=metrics)
        started = time.monotonic()
        if mode == "sync":
            with Client(**opts) as client:
                stream = client.stream("openai/gpt-4o", MESSAGES)

                def read() -> None:
                    try:
                        got.extend(stream)
                        got.append("end")
                    except Exception as error:
                        got.append(error)

                reader = threading.Thread(target=read)
                reader.start()
                time.sleep(0.5)
                stream.close()
                reader.join(10)
                assert not reader.is_alive()
        else:

            async def run() -> None:
                async with AsyncClient(**opts) as client:
                    stream = client.stream("openai/gpt-4o", MESSAGES)

                    async def read() -> None:
                        try:
                            got.extend([event async for event in stream])
                            got.append("end")
                        except Exception as error:
                            got.append(error)

                    task = asyncio.ensure_future(read())
                    await asyncio.sleep(0.5)
                    await stream.aclose()
                    await asyncio.wait_for(task, 10)

            asyncio.run(run())
    assert time.monotonic() - started < 4  # the read ended, not the server's pause
    assert got[-1] == "end", got[-1]
    # Only what arrived before the pause reached the reader, and the call ended as closed.
    assert 0 < len(got) - 1 < len(complete_events("openai"))
    assert normal(got[:-1]) == normal(complete_events("openai"))[: len(got) - 1]
    outcomes = metrics.snapshot()["counters"]["fluent_ai_requests"]
    assert [k for k in outcomes if "outcome=" in k] == [
        k for k in outcomes if "outcome=closed" in k
    ]
    series = metrics.snapshot()["gauges"]["fluent_ai_requests_in_flight"]
    assert sum(v["value"] for v in series.values()) == 0


# --- One AsyncClient, several event loops ---------------------------------------------------


# The first loop's connections cannot be closed once it is gone: the collector closes their
# sockets, with Python's ResourceWarning for each.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.parametrize("loop", ["asyncio", "trio"])
def test_one_async_client_in_successive_event_loops(loop: str) -> None:
    # asyncio.run() per call with one module-level AsyncClient: the kept-alive connections of
    # the first loop failed in the second with a bare RuntimeError("Event loop is closed").
    pytest.importorskip(loop)
    with HostileServer(lambda seen: [response(200, *whole_body(seen, "openai")), "keep"]) as server:
        client = AsyncClient(**options(server))

        async def one(api: str) -> Any:
            return await acall(client, api, "openai", 0, [])

        answers = [anyio.run(one, api, backend=loop) for api in ("chat", "stream", "embed") * 2]
        anyio.run(client.aclose, backend=loop)
    gc.collect()  # the dropped connections' warnings come now, inside this test's filters
    assert [type(a).__name__ for a in answers] == [
        "ChatResponse",
        "ChatResponse",
        "EmbeddingResponse",
    ] * 2
    assert answers[0].text == "hi"
