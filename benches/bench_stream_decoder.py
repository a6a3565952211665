"""Whole-stream decoding: ``StreamDecoder("openai-chat")`` against the openai SDK's paths.

The 10,000-event chat-completions body of ``workloads.chat_completion_stream`` (text deltas,
two tool calls streamed in fragments, finish, usage, ``[DONE]``) in 16 KiB reads. Peers:

- ``fluent_*``: ``StreamDecoder.feed`` per read, then ``finish()`` (native / pure Python):
  framing, JSON, tool-call assembly (arguments parsed) and normalized events;
- ``a_sse_json``: openai's ``SSEDecoder`` + ``json.loads`` per event, a pure-Python floor that
  does no provider work at all;
- ``b_sdk_chunks``: the SDK's per-event path, ``SSEDecoder`` + ``construct_type`` into
  ``ChatCompletionChunk`` (what iterating ``client.chat.completions.create(stream=True)`` does);
- ``c_sdk_stream_state``: (b) plus ``ChatCompletionStreamState.handle_chunk`` per chunk, the
  SDK helper that accumulates tool calls (``client.chat.completions.stream``).

Every peer's result is checked: the fluent decoders and (c) must give the two tool calls'
parsed arguments; (a) and (b) must give one object per data event.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import anthropic
import httpx2
import pytest
from anthropic._streaming import Stream
from anthropic.lib.streaming import MessageStream
from anthropic.types import RawMessageStreamEvent
from openai._models import construct_type
from openai._streaming import SSEDecoder as OpenAIDecoder
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk
from pytest_benchmark.fixture import BenchmarkFixture

from . import workloads
from .harness import BACKENDS, run

READ_SIZE = 16 * 1024
GROUP = "stream decoder: openai-chat, 10,000 events, 16 KiB reads"


@pytest.fixture(scope="module")
def stream() -> tuple[list[bytes], list[tuple[str, Any]]]:
    body = workloads.chat_completion_stream()
    calls: dict[int, list[Any]] = {}
    for data in body.data[:-1]:
        for choice in json.loads(data)["choices"]:
            for call in choice["delta"].get("tool_calls", []):
                entry = calls.setdefault(call["index"], [call.get("function", {}).get("name"), ""])
                entry[1] += call["function"]["arguments"]
    expected = [(name, json.loads(arguments)) for name, arguments in calls.values()]
    return workloads.reads(body.body, READ_SIZE), expected


def _fluent(core: Any, reads: list[bytes]) -> Callable[[], list[tuple[str, Any]]]:
    def go() -> list[tuple[str, Any]]:
        decoder = core.StreamDecoder("openai-chat")
        events: list[Any] = []
        for chunk in reads:
            events += decoder.feed(chunk)
        events += decoder.finish()
        return [(call.name, call.arguments) for call in decoder.tool_calls]

    return go


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_fluent(benchmark: BenchmarkFixture, stream: Any, backend: str) -> None:
    benchmark.group = GROUP
    reads, expected = stream
    assert run(benchmark, _fluent(BACKENDS[backend], reads)) == expected


def _payloads(reads: list[bytes]) -> Any:
    for event in OpenAIDecoder().iter_bytes(iter(reads)):
        if event.data != "[DONE]":
            yield event.data


def test_a_sse_json(benchmark: BenchmarkFixture, stream: Any) -> None:
    benchmark.group = GROUP
    reads, _ = stream

    def go() -> int:
        return len([json.loads(data) for data in _payloads(reads)])

    assert run(benchmark, go) == 9_999


def test_b_sdk_chunks(benchmark: BenchmarkFixture, stream: Any) -> None:
    benchmark.group = GROUP
    reads, _ = stream

    def go() -> int:
        chunks = [
            construct_type(type_=ChatCompletionChunk, value=json.loads(data))
            for data in _payloads(reads)
        ]
        return len(chunks)

    assert run(benchmark, go, rounds=3) == 9_999


def test_c_sdk_stream_state(benchmark: BenchmarkFixture, stream: Any) -> None:
    benchmark.group = GROUP
    reads, expected = stream

    def go() -> list[tuple[str, Any]]:
        state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
        for data in _payloads(reads):
            chunk = construct_type(type_=ChatCompletionChunk, value=json.loads(data))
            state.handle_chunk(chunk)  # type: ignore[arg-type]
        message = state.current_completion_snapshot.choices[0].message
        return [
            (call.function.name, json.loads(call.function.arguments))
            for call in message.tool_calls or []
        ]

    assert run(benchmark, go, rounds=3) == expected


ANTHROPIC_GROUP = "stream decoder: anthropic tool use, ~10,000 events, 16 KiB reads"


@pytest.fixture(scope="module")
def anthropic_stream() -> tuple[bytes, list[tuple[str, Any]]]:
    body = workloads.anthropic_tool_use_stream()
    expected = [
        (name, json.loads(workloads.tool_arguments(size, workloads.SEED)))
        for name, size in (("search_stations", 8), ("get_weather", 4))
    ]
    return body, expected


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_anthropic_fluent(benchmark: BenchmarkFixture, anthropic_stream: Any, backend: str) -> None:
    benchmark.group = ANTHROPIC_GROUP
    body, expected = anthropic_stream
    reads = workloads.reads(body, READ_SIZE)

    def go() -> list[tuple[str, Any]]:
        decoder = BACKENDS[backend].StreamDecoder("anthropic")
        for chunk in reads:
            decoder.feed(chunk)
        decoder.finish()
        return [(call.name, call.arguments) for call in decoder.tool_calls]

    assert run(benchmark, go) == expected


def test_anthropic_sdk_message_stream(benchmark: BenchmarkFixture, anthropic_stream: Any) -> None:
    """The anthropic SDK's ``MessageStream`` (what ``client.messages.stream`` gives) over the
    same bytes: its SSE decoder, event models and snapshot accumulation."""
    benchmark.group = ANTHROPIC_GROUP
    body, expected = anthropic_stream
    reads = workloads.reads(body, READ_SIZE)
    client = anthropic.Anthropic(api_key="unused", base_url="http://127.0.0.1:9")
    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/messages")

    def go() -> list[tuple[str, Any]]:
        response = httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=iter(reads), request=request
        )
        raw = Stream(cast_to=RawMessageStreamEvent, response=response, client=client)
        stream = MessageStream(raw, output_format=anthropic.NOT_GIVEN)
        for _event in stream:
            pass
        message = stream.get_final_message()
        return [(block.name, block.input) for block in message.content if block.type == "tool_use"]

    assert run(benchmark, go, rounds=3) == expected
