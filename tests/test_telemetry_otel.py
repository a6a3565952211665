"""OpenTelemetry GenAI spans and metrics of both clients against the loopback server, read
back with the OpenTelemetry SDK's in-memory span exporter and metric reader: chat and streams
on several providers, failures, retries, a stream cut mid-way and one dropped without closing,
content capture only when asked, and no key anywhere."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import opentelemetry.sdk.trace as sdk_trace  # the test group installs opentelemetry-sdk
import pytest
from bedrock_play import MODEL as BEDROCK_MODEL
from bedrock_play import SECRET as BEDROCK_SECRET
from bedrock_play import TOKEN as BEDROCK_TOKEN
from bedrock_play import overrides as bedrock_overrides
from bedrock_play import play as play_bedrock
from bedrock_play import transcript as bedrock_transcript
from client_helpers import FAST, Runner, mode, server  # noqa: F401
from fake_providers import (
    ANTHROPIC_TOOLS_WHOLE,
    KEY,
    OPENAI_TOOLS_WHOLE,
    TOOLS,
    anthropic_checks,
    frames,
    install,
    openai_checks,
    transcript,
)
from loopback import LoopbackServer, Response, chunked, json_response
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode
from test_aws_credentials import AWS_VARIABLES
from test_client_dialects import PLAYS, override
from test_client_dialects import play as play_dialect

from fluent_ai import AsyncClient, Client, StreamDecoder, telemetry
from fluent_ai.errors import ServerError
from fluent_ai.telemetry import _names

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris?"},
]
CHAT = "/v1/chat/completions"
OPENAI_STREAM = frames(transcript("openai_chat_parallel_tool_calls.txt"))
ANTHROPIC_STREAM = frames(transcript("anthropic_tool_use.txt"))


class Otel:
    """An SDK tracer and meter provider the clients record into (``set_providers``)."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = sdk_trace.TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def finished(self) -> list[Any]:
        return list(self.spans.get_finished_spans())

    def only_span(self) -> Any:
        spans = self.finished()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found += list(metric.data.data_points)
        return found


@pytest.fixture
def otel() -> Iterator[Otel]:
    recorder = Otel()
    telemetry.set_providers(recorder.tracer_provider, recorder.meter_provider)
    try:
        yield recorder
    finally:
        telemetry.set_providers()
        telemetry.set_capture_content(None)


def providers(server: LoopbackServer) -> dict[str, dict[str, str]]:
    return {
        "openai": {"base_url": server.url + "/v1", "api_key": KEY},
        "anthropic": {"base_url": server.url, "api_key": KEY},
    }


def play_openai(server: LoopbackServer, chunks: list[bytes] = OPENAI_STREAM, **kw: Any) -> None:
    server.reset()
    install(
        server,
        CHAT,
        auth=("authorization", f"Bearer {KEY}"),
        checks=openai_checks(),
        stream=chunks,
        whole=OPENAI_TOOLS_WHOLE,
        **kw,
    )


def play_anthropic(server: LoopbackServer) -> None:
    server.reset()
    install(
        server,
        "/v1/messages",
        auth=("x-api-key", KEY),
        checks=anthropic_checks(),
        stream=ANTHROPIC_STREAM,
        whole=ANTHROPIC_TOOLS_WHOLE,
    )


def port_of(server: LoopbackServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


# --- chat and streams ------------------------------------------------------------------------


def test_chat_span_and_metrics(server: LoopbackServer, mode: str, otel: Otel) -> None:
    play_openai(server)
    runner = Runner(mode, providers=providers(server))
    answer = runner.chat(
        "openai/gpt-4o",
        MESSAGES,
        tools=TOOLS,
        temperature=0.25,
        max_tokens=300,
        top_p=0.5,
        stop=["END"],
        seed=7,
        presence_penalty=0.5,
        frequency_penalty=-0.5,
    )
    span = otel.only_span()
    assert span.name == "chat gpt-4o"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes)
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.temperature": 0.25,
        "gen_ai.request.max_tokens": 300,
        "gen_ai.request.top_p": 0.5,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.request.seed": 7,
        "gen_ai.request.presence_penalty": 0.5,
        "gen_ai.request.frequency_penalty": -0.5,
        "server.address": "127.0.0.1",
        "server.port": port_of(server),
        "fluent_ai.provider": "openai",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.response.id": OPENAI_TOOLS_WHOLE["id"],
        "gen_ai.response.finish_reasons": ("tool_calls",),
        "fluent_ai.response.raw_finish_reason": "tool_calls",
        "gen_ai.usage.input_tokens": answer.usage.input_tokens,
        "gen_ai.usage.output_tokens": answer.usage.output_tokens,
        "gen_ai.usage.reasoning.output_tokens": 0,
        "fluent_ai.outcome": "ok",
    }
    assert span.end_time > span.start_time
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.count == 1
    assert list(duration.explicit_bounds) == list(_names.DURATION_BUCKETS)
    assert 0 < duration.sum < 10
    assert dict(duration.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "server.address": "127.0.0.1",
        "server.port": port_of(server),
    }
    tokens = {
        p.attributes["gen_ai.token.type"]: p for p in otel.points("gen_ai.client.token.usage")
    }
    assert sorted(tokens) == ["input", "output"]
    assert tokens["input"].sum == answer.usage.input_tokens
    assert tokens["output"].sum == answer.usage.output_tokens
    assert list(tokens["input"].explicit_bounds) == list(_names.TOKEN_BUCKETS)
    # Not a stream: no chunk metrics.
    assert otel.points("gen_ai.client.operation.time_to_first_chunk") == []


def test_stream_span_and_chunk_metrics(server: LoopbackServer, mode: str, otel: Otel) -> None:
    play_anthropic(server)
    result = Runner(mode, providers=providers(server)).stream(
        "anthropic/claude-sonnet-4-5", MESSAGES, tools=TOOLS, max_tokens=512
    )
    assert result.error is None
    span = otel.only_span()
    attributes = dict(span.attributes)
    assert span.name == "chat claude-sonnet-4-5"
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.request.max_tokens"] == 512
    assert attributes["gen_ai.response.id"] == "msg_019Q1hrJbZG26Fb9BQhrkHEr"
    assert attributes["gen_ai.response.model"] == "claude-sonnet-4-20250514"
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert attributes["fluent_ai.response.raw_finish_reason"] == "tool_use"
    assert attributes["gen_ai.usage.input_tokens"] == result.response.usage.input_tokens
    assert attributes["gen_ai.usage.output_tokens"] == result.response.usage.output_tokens
    first = attributes["gen_ai.response.time_to_first_chunk"]
    assert 0 < first < (span.end_time - span.start_time) / 1e9
    (ttfc,) = otel.points("gen_ai.client.operation.time_to_first_chunk")
    assert ttfc.count == 1 and ttfc.sum == pytest.approx(first)
    (per_chunk,) = otel.points("gen_ai.client.operation.time_per_output_chunk")
    # One gap per network read that brought events after the first (frames: one read each).
    assert 1 <= per_chunk.count < len(ANTHROPIC_STREAM)
    assert per_chunk.attributes["gen_ai.operation.name"] == "chat"


@pytest.mark.parametrize("name", sorted(PLAYS))
def test_other_providers(server: LoopbackServer, otel: Otel, name: str) -> None:
    model = PLAYS[name][0]
    play_dialect(server, name)
    runner = Runner("sync", providers=override(server, name))
    streamed = runner.stream(model, MESSAGES, tools=TOOLS)
    whole = runner.chat(model, MESSAGES, tools=TOOLS)
    assert streamed.error is None
    spans = otel.finished()
    assert [s.name for s in spans] == [f"chat {model.split('/', 1)[1]}"] * 2
    expected_provider = {"gemini": "gcp.gemini"}.get(name, name)
    for span, response in zip(spans, (streamed.response, whole)):
        attributes = span.attributes
        assert attributes["gen_ai.provider.name"] == expected_provider
        assert attributes["gen_ai.response.model"] == response.model
        assert attributes["gen_ai.usage.output_tokens"] == response.usage.output_tokens
        assert attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    # The recorded streams of Gemini and Cohere carry an id (Ollama's none); the whole
    # answers the ones their body has.
    streamed_id = spans[0].attributes.get("gen_ai.response.id")
    assert (streamed_id is not None) == (name != "ollama")
    if streamed_id is not None:
        assert streamed_id.encode() in transcript(PLAYS[name][5])
    raw_id = whole.raw.get("id") or whole.raw.get("responseId")
    assert spans[1].attributes.get("gen_ai.response.id") == raw_id


def test_embed_and_rerank(server: LoopbackServer, mode: str, otel: Otel) -> None:
    server.reset()
    body = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [1, 0, 0]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }
    server.json("POST", "/v1/embeddings", body)
    ranked = {"results": [{"index": 0, "relevance_score": 0.9}], "id": "r1",
              "meta": {"billed_units": {"search_units": 1}}}  # fmt: skip
    server.json("POST", "/v2/rerank", ranked)
    runner = Runner(
        mode, providers={**providers(server), "cohere": {"base_url": server.url, "api_key": KEY}}
    )
    runner.call("embed", "openai/text-embedding-3-small", "abc")
    runner.call("rerank", "cohere/rerank-v3.5", "q", ["Paris"])
    embed, rerank = otel.finished()
    assert embed.name == "embeddings text-embedding-3-small"
    assert embed.attributes["gen_ai.operation.name"] == "embeddings"
    assert embed.attributes["gen_ai.usage.input_tokens"] == 3
    assert embed.attributes["gen_ai.embeddings.dimension.count"] == 3
    assert rerank.name == "rerank rerank-v3.5"
    assert rerank.attributes["gen_ai.provider.name"] == "cohere"
    operations = sorted(
        p.attributes["gen_ai.operation.name"]
        for p in otel.points("gen_ai.client.operation.duration")
    )
    assert operations == ["embeddings", "rerank"]


# --- failures and retries --------------------------------------------------------------------


def test_failure_sets_error_type(server: LoopbackServer, mode: str, otel: Otel) -> None:
    play_openai(server)
    server.fail("POST", CHAT, status=400)
    with pytest.raises(Exception) as raised:
        Runner(mode, providers=providers(server)).chat("openai/gpt-4o", MESSAGES)
    assert type(raised.value).__name__ == "BadRequestError"
    span = otel.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "BadRequestError"
    assert "gen_ai.response.model" not in span.attributes
    assert span.events == ()  # a 400 is not retried
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.attributes["error.type"] == "BadRequestError"
    assert otel.points("gen_ai.client.token.usage") == []


def test_retries_are_span_events(server: LoopbackServer, mode: str, otel: Otel) -> None:
    play_openai(server)
    server.fail("POST", CHAT, status=503, times=2)
    Runner(mode, providers=providers(server), retry=FAST).chat("openai/gpt-4o", MESSAGES)
    span = otel.only_span()
    assert span.status.status_code is StatusCode.UNSET
    events = [e for e in span.events if e.name == "fluent_ai.retry"]
    assert [e.attributes["fluent_ai.retry.attempt"] for e in events] == [1, 2]
    assert all(e.attributes["http.response.status_code"] == 503 for e in events)
    assert all(e.attributes["error.type"] == "ServerError" for e in events)
    assert span.attributes["fluent_ai.retries"] == 2
    assert span.attributes["gen_ai.usage.output_tokens"] > 0
    # Retries exhausted: the error is the span's.
    otel.spans.clear()
    server.fail("POST", CHAT, status=503, times=3)
    with pytest.raises(Exception, match="injected 503"):
        Runner(mode, providers=providers(server), retry=FAST).chat("openai/gpt-4o", MESSAGES)
    span = otel.only_span()
    assert len(span.events) == 2
    assert span.attributes["error.type"] == "ServerError"


def test_stream_cut_midway(server: LoopbackServer, mode: str, otel: Otel) -> None:
    play_openai(server, disconnect_after=5)
    result = Runner(mode, providers=providers(server)).stream("openai/gpt-4o", MESSAGES)
    assert type(result.error).__name__.startswith("StreamInterrupted")
    span = otel.only_span()
    assert span.attributes["error.type"] == type(result.error).__name__
    assert span.status.status_code is StatusCode.ERROR
    assert "gen_ai.usage.output_tokens" not in span.attributes
    (ttfc,) = otel.points("gen_ai.client.operation.time_to_first_chunk")
    assert ttfc.count == 1


def test_stream_closed_early_and_abandoned(server: LoopbackServer, otel: Otel) -> None:
    play_openai(server)
    client = Client(providers=providers(server))
    with client.stream("openai/gpt-4o", MESSAGES) as stream:
        for _ in zip(range(2), stream):
            pass
    dropped = client.stream("openai/gpt-4o", MESSAGES)
    events = iter(dropped)
    next(events)
    del dropped, events  # no with, no close: reference counting ends it
    gc.collect()
    client.close()  # runs what the garbage collector deferred
    spans = otel.finished()
    assert [s.attributes["fluent_ai.outcome"] for s in spans] == ["closed", "closed"]
    assert all(s.status.status_code is StatusCode.UNSET for s in spans)
    assert all(s.end_time is not None for s in spans)

    async def dropped_async() -> None:
        async with AsyncClient(providers=providers(server)) as aclient:
            async for _ in aclient.stream("openai/gpt-4o", MESSAGES):
                break  # no async with: the loop's async-generator finalizer closes it

    asyncio.run(dropped_async())
    spans = otel.finished()
    assert len(spans) == 3
    # The event loop's finalizer ends it by cancelling: not an error of the call.
    assert spans[2].attributes["fluent_ai.outcome"] in ("closed", "CancelledError")
    assert spans[2].status.status_code is StatusCode.UNSET
    assert "error.type" not in spans[2].attributes


# --- content ---------------------------------------------------------------------------------


def test_content_only_when_asked(server: LoopbackServer, otel: Otel) -> None:
    play_openai(server)
    runner = Runner("sync", providers=providers(server))
    runner.chat("openai/gpt-4o", MESSAGES, tools=TOOLS)
    content = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions")
    assert not any(name in otel.only_span().attributes for name in content)
    otel.spans.clear()
    telemetry.set_capture_content(True)
    answer = runner.chat("openai/gpt-4o", MESSAGES, tools=TOOLS)
    attributes = otel.only_span().attributes
    assert json.loads(attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Be brief."}
    ]
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    ]
    (output,) = json.loads(attributes["gen_ai.output.messages"])
    assert output["role"] == "assistant" and output["finish_reason"] == "tool_calls"
    calls = [p for p in output["parts"] if p["type"] == "tool_call"]
    assert [c["name"] for c in calls] == [c.name for c in answer.tool_calls]
    assert json.loads(attributes["gen_ai.tool.definitions"]) == TOOLS


def test_no_key_in_spans_or_metrics(server: LoopbackServer, otel: Otel) -> None:
    """A provider that echoes the key in its errors: retries, the final error and captured
    content hold no key."""
    play_openai(server)
    echo = {"error": {"message": f"bad key {KEY}", "type": "server_error"}}
    server.once("POST", CHAT, json_response(echo, 500), times=3)
    telemetry.set_capture_content(True)
    with pytest.raises(ServerError):
        Runner("sync", providers=providers(server), retry=FAST).chat("openai/gpt-4o", MESSAGES)
    span = otel.only_span()
    everything = repr(span.to_json()) + repr(otel.reader.get_metrics_data().to_json())
    assert len(span.events) == 2
    assert "bad key" in everything  # the message is there, redacted
    assert KEY not in everything


# --- off -------------------------------------------------------------------------------------

_WITHOUT_OTEL = """
import sys
sys.modules["opentelemetry"] = None  # as if not installed
sys.path[:0] = {paths!r}
from loopback import LoopbackServer
from fake_providers import KEY, OPENAI_TOOLS_WHOLE, install, openai_checks
from fluent_ai import Client, telemetry
from fluent_ai.telemetry import _otel
with LoopbackServer() as server:
    install(server, "/v1/chat/completions", auth=("authorization", "Bearer " + KEY),
            checks=openai_checks(), whole=OPENAI_TOOLS_WHOLE)
    with Client(providers={{"openai": {{"base_url": server.url + "/v1", "api_key": KEY}}}}) as c:
        c.chat("openai/gpt-4o", [{{"role": "user", "content": "Hi"}}])
assert _otel.active() is None
print(telemetry.prometheus_text())
"""


def test_works_without_opentelemetry() -> None:
    tests = str(Path(__file__).parent)
    python = os.pathsep.join(p for p in sys.path if p)
    script = _WITHOUT_OTEL.format(paths=[tests])
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": python},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    labels = 'provider="openai",model="gpt-4o",operation="chat",outcome="ok"'
    assert f"fluent_ai_llm_requests_total{{{labels}}} 1.0" in done.stdout


_UNCONFIGURED = """
import sys
sys.path[:0] = {paths!r}
from loopback import LoopbackServer
from fake_providers import KEY, frames, install, openai_checks, transcript
from opentelemetry import metrics, trace
from fluent_ai import Client, telemetry
from fluent_ai.telemetry import _otel
assert not _otel._configured(trace.get_tracer_provider())
assert not _otel._configured(metrics.get_meter_provider())
telemetry.set_providers()
assert _otel.active() is None
with LoopbackServer() as server:
    install(server, "/v1/chat/completions", auth=("authorization", "Bearer " + KEY),
            checks=openai_checks(),
            stream=frames(transcript("openai_chat_parallel_tool_calls.txt")))
    with Client(providers={{"openai": {{"base_url": server.url + "/v1", "api_key": KEY}}}}) as c:
        stream = c.stream("openai/gpt-4o", [{{"role": "user", "content": "Hi"}}])
        for _ in stream:
            pass
        observer = stream._call.observer
        assert observer is not None
        assert observer._span is None and observer._instruments is None
print("nothing recorded")
"""


def test_unconfigured_api_records_nothing() -> None:
    """opentelemetry-api installed, no provider set by the application: nothing is made. In a
    process of its own, since other tests here set global providers."""
    tests = str(Path(__file__).parent)
    python = os.pathsep.join(p for p in sys.path if p)
    done = subprocess.run(
        [sys.executable, "-c", _UNCONFIGURED.format(paths=[tests])],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": python},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "nothing recorded" in done.stdout


def test_one_chunk_measure_per_read_with_events(otel: Otel) -> None:
    """Through a transport that hands the body over frame by frame: one time-to-first-chunk,
    then one gap per later read that brought events (reads without events count nowhere)."""
    pieces = [*OPENAI_STREAM[:3], b": keep-alive\n\n", *OPENAI_STREAM[3:]]
    decoder = StreamDecoder("openai-chat")
    reads_with_events = sum(1 for piece in pieces if decoder.feed(piece))
    reads_with_events += 1 if decoder.finish() else 0

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=iter(pieces)
        )

    http = httpx.Client(transport=httpx.MockTransport(answer))
    client = Client(http_client=http, providers={"openai": {"api_key": KEY}})
    with client.stream("openai/gpt-4o", MESSAGES) as stream:
        stream.collect()
    (first,) = otel.points("gen_ai.client.operation.time_to_first_chunk")
    (gaps,) = otel.points("gen_ai.client.operation.time_per_output_chunk")
    assert first.count == 1
    assert gaps.count == reads_with_events - 1
    assert list(gaps.explicit_bounds) == list(_names.CHUNK_BUCKETS)


def test_failing_telemetry_never_breaks_a_call(
    server: LoopbackServer, otel: Otel, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    play_openai(server)

    def broken(usage: Any) -> Any:
        raise RuntimeError("exporter down")

    monkeypatch.setattr("fluent_ai.telemetry._hook._tokens", broken)
    monkeypatch.setattr("fluent_ai.telemetry._hook._failed_once", False)
    runner = Runner("sync", providers=providers(server))
    with caplog.at_level("WARNING", logger="fluent_ai.telemetry"):
        assert runner.chat("openai/gpt-4o", MESSAGES).text is not None
        assert runner.stream("openai/gpt-4o", MESSAGES).error is None
    warnings = [r for r in caplog.records if r.name == "fluent_ai.telemetry"]
    assert len(warnings) == 1 and "skipped" in warnings[0].getMessage()


def test_content_switch_from_the_environment(
    server: LoopbackServer, otel: Otel, monkeypatch: pytest.MonkeyPatch
) -> None:
    play_openai(server)
    runner = Runner("sync", providers=providers(server))
    for value, captured in (("true", True), ("SPAN_AND_EVENT", True), ("false", False),
                            ("NO_CONTENT", False)):  # fmt: skip
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", value)
        otel.spans.clear()
        runner.chat("openai/gpt-4o", MESSAGES)
        assert ("gen_ai.input.messages" in otel.only_span().attributes) is captured, value
    telemetry.set_capture_content(False)  # the caller's choice wins over the environment
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    otel.spans.clear()
    runner.chat("openai/gpt-4o", MESSAGES)
    assert "gen_ai.input.messages" not in otel.only_span().attributes


def test_span_is_current_during_chat(server: LoopbackServer, mode: str, otel: Otel) -> None:
    """The HTTP requests of a chat see its span as the current one (an httpx instrumentation
    would nest under it); afterwards the caller's context is back, and the caller's span is the
    parent."""
    play_openai(server)
    seen: list[Any] = []
    tracer = otel.tracer_provider.get_tracer("test")
    hooks = {"request": [lambda _request: seen.append(trace.get_current_span())]}
    options = {"providers": providers(server), "timeout": 10}
    with tracer.start_as_current_span("agent step") as parent:
        if mode == "sync":
            with httpx.Client(event_hooks=hooks) as http, Client(http_client=http, **options) as c:
                c.chat("openai/gpt-4o", MESSAGES)
        else:

            async def record(request: httpx.Request) -> None:
                seen.append(trace.get_current_span())

            async def run() -> None:
                async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
                    client = AsyncClient(http_client=http, **options)
                    await client.chat("openai/gpt-4o", MESSAGES)

            asyncio.run(run())
        assert trace.get_current_span() is parent
    chat = next(s for s in otel.finished() if s.name == "chat gpt-4o")
    assert chat.parent.span_id == parent.get_span_context().span_id
    assert [s.get_span_context().span_id for s in seen] == [chat.context.span_id]


def test_anthropic_overloaded_retry_then_error_event(
    server: LoopbackServer, mode: str, otel: Otel
) -> None:
    """Anthropic: a 529 before the stream is retried (a span event); a recorded stream whose
    ``overloaded_error`` event follows the first text ends the span with the interruption."""
    play_anthropic(server)
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    server.once("POST", "/v1/messages", json_response(overloaded, 529))
    runner = Runner(mode, providers=providers(server), retry=FAST)
    assert runner.stream("anthropic/claude-sonnet-4-5", MESSAGES).error is None
    span = otel.only_span()
    (event,) = span.events
    assert event.name == "fluent_ai.retry"
    assert event.attributes["http.response.status_code"] == 529
    assert "error.type" not in span.attributes
    otel.spans.clear()
    server.once(
        "POST",
        "/v1/messages",
        Response(
            200,
            {"content-type": "text/event-stream"},
            frames(transcript("anthropic_error_overloaded.txt")),
        ),
    )
    result = runner.stream("anthropic/claude-sonnet-4-5", MESSAGES)
    assert type(result.error).__name__ == "StreamInterrupted[ServerError]"
    span = otel.only_span()
    assert span.attributes["error.type"] == "StreamInterrupted[ServerError]"
    assert span.attributes["gen_ai.response.id"] == "msg_01Pvyf26bY17RcjmWfJsXGBn"
    assert span.status.status_code is StatusCode.ERROR


def test_bedrock_spans(server: LoopbackServer, otel: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bedrock (SigV4, AWS event stream): ``aws.bedrock``, the usage, no response id, and the
    secret key and session token nowhere in the spans."""
    for name in (*AWS_VARIABLES, "AWS_BEARER_TOKEN_BEDROCK", "FLUENT_AI_BEDROCK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    telemetry.set_capture_content(True)
    play_bedrock(
        server, stream=chunked(bedrock_transcript("bedrock_converse_stream_tool_use.json"), 64)
    )
    runner = Runner("sync", providers=bedrock_overrides(server))
    streamed = runner.stream(f"bedrock/{BEDROCK_MODEL}", MESSAGES, tools=TOOLS)
    assert streamed.error is None
    whole = runner.chat(f"bedrock/{BEDROCK_MODEL}", MESSAGES, tools=TOOLS)
    spans = otel.finished()
    assert len(spans) == 2
    for span, response in zip(spans, (streamed.response, whole)):
        assert span.name == f"chat {BEDROCK_MODEL}"
        assert span.attributes["gen_ai.provider.name"] == "aws.bedrock"
        assert span.attributes["gen_ai.usage.output_tokens"] == response.usage.output_tokens
        assert span.attributes["fluent_ai.response.raw_finish_reason"] == "tool_use"
    assert "gen_ai.response.id" not in spans[0].attributes
    text = "".join(span.to_json() for span in spans)
    assert BEDROCK_SECRET not in text and BEDROCK_TOKEN not in text
