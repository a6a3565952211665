"""StreamDecoder("bedrock"): Bedrock ConverseStream (AWS event-stream messages)."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from types import ModuleType
from typing import Any

import pytest
from dialect_checks import (
    ARGS,
    NAMES,
    TEXT,
    Call,
    all_splits,
    argument_fragments,
    check_generated,
    check_truncated,
    decode_everywhere,
    finishes,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import TRANSCRIPTS, check_invariants, decode

from chunking import bytewise, two_way_splits
from fluent_ai.errors import EventStreamError, JsonStreamError, StreamTruncated

DIALECT = "bedrock"


def transcript(name: str) -> bytes:
    """The exact bytes of a JSON transcript (checked against its per-message ``hex``)."""
    described = json.loads((TRANSCRIPTS / name).read_text())
    data = base64.b64decode(described["stream_base64"])
    assert data == b"".join(bytes.fromhex(m["hex"]) for m in described["messages"])
    assert len(data) == described["stream_length"]
    return data


@pytest.mark.parametrize("split", range(7))
def test_tool_use_transcript(core: ModuleType, split: int) -> None:
    data = transcript("bedrock_converse_stream_tool_use.json")
    result = decode(core, DIALECT, all_splits(data)[split])
    assert result.error is None
    check_invariants(result)
    # The text block has no contentBlockStart.
    assert result.text == "I'll check the current weather in Seattle for you."
    [start] = result.of("ToolCallStart")
    assert (start.index, start.id, start.name) == (
        0,
        "tooluse_Ks3VdKnzRJmTXJzAKd2pqg",
        "get_weather",
    )
    [done] = result.of("ToolCallDone")
    assert (done.index, done.id, done.name) == (0, "tooluse_Ks3VdKnzRJmTXJzAKd2pqg", "get_weather")
    assert done.arguments == {"location": "Seattle, WA", "unit": "fahrenheit"}
    assert done.raw == '{"location": "Seattle, WA", "unit": "fahrenheit"}'
    # The first toolUse.input fragment is "": no empty delta.
    assert "" not in [d.fragment for d in result.of("ToolCallDelta")]
    assert result.decoder.tool_calls == [done]
    [usage] = result.of("Usage")
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (412, 87, 499)
    assert (usage.cache_read_tokens, usage.cache_write_tokens, usage.reasoning_tokens) == (
        None,
        None,
        None,
    )
    assert finishes(result) == [("tool_calls", "tool_use")]
    assert [type(e).__name__ for e in result.events][-2:] == ["Usage", "Finish"]
    assert result.decoder.finish_reason == "tool_calls"
    assert result.decoder.position == len(data)


@pytest.mark.parametrize("split", range(7))
def test_exception_transcript(core: ModuleType, split: int) -> None:
    data = transcript("bedrock_converse_stream_exception.json")
    result = decode(core, DIALECT, all_splits(data)[split])
    assert result.error is None, "an in-stream exception ends the stream: finish() does not raise"
    check_invariants(result)
    assert result.text == "Seattle is"
    [error] = result.of("ProviderErrorEvent")
    assert (error.type, error.message) == (
        "throttlingException",
        "Too many tokens, please wait before trying again.",
    )
    assert json.loads(error.raw) == {"message": "Too many tokens, please wait before trying again."}
    assert finishes(result) == [("error", "throttlingException")]


def test_finish_waits_for_the_metadata_trailer(core: ModuleType) -> None:
    data = transcript("bedrock_converse_stream_tool_use.json")
    messages = json.loads((TRANSCRIPTS / "bedrock_converse_stream_tool_use.json").read_text())
    sizes = [m["total_length"] for m in messages["messages"]]
    decoder = core.StreamDecoder(DIALECT)
    batches = []
    at = 0
    for size in sizes:
        batches.append([type(e).__name__ for e in decoder.feed(data[at : at + size])])
        at += size
    # messageStop holds Finish; metadata brings Usage then Finish.
    assert batches[-2] == []
    assert batches[-1] == ["Usage", "Finish"]
    # contentBlockDelta that closes the JSON brings ToolCallDone; contentBlockStop nothing.
    assert batches[8] == ["ToolCallDelta", "ToolCallDone"]
    assert batches[9] == []
    assert decoder.finish() == []


# Hand-made streams.


def encode(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message with string headers."""
    block = b""
    for name, value in headers.items():
        raw = value.encode()
        block += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event(kind: str, payload: object, padding: bool = True) -> bytes:
    if isinstance(payload, dict) and padding:
        payload = {**payload, "p": "abcdefghijklmnop"[: len(kind)]}
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return encode(headers, data)


def text(index: int, value: str) -> bytes:
    return event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": value}})


def tool_start(index: int, id: str, name: str) -> bytes:
    start = {"toolUse": {"toolUseId": id, "name": name}}
    return event("contentBlockStart", {"contentBlockIndex": index, "start": start})


def fragment(index: int, value: str) -> bytes:
    delta = {"toolUse": {"input": value}}
    return event("contentBlockDelta", {"contentBlockIndex": index, "delta": delta})


def reasoning(index: int, value: str) -> bytes:
    delta = {"reasoningContent": {"text": value}}
    return event("contentBlockDelta", {"contentBlockIndex": index, "delta": delta})


def block_stop(index: int) -> bytes:
    return event("contentBlockStop", {"contentBlockIndex": index})


def message_stop(reason: str) -> bytes:
    return event("messageStop", {"stopReason": reason})


def metadata(**usage: int) -> bytes:
    return event("metadata", {"usage": usage, "metrics": {"latencyMs": 12}})


START = event("messageStart", {"role": "assistant"})


def test_interleaved_parallel_calls_keyed_by_block_index(core: ModuleType) -> None:
    data = b"".join(
        [
            START,
            text(0, "two calls"),
            block_stop(0),
            tool_start(1, "tooluse_a", "f"),
            tool_start(2, "tooluse_b", "g"),
            fragment(2, ""),
            fragment(1, '{"x":'),
            fragment(2, '{"y":2}'),
            fragment(1, "1}"),
            block_stop(2),
            block_stop(1),
            message_stop("tool_use"),
            metadata(inputTokens=1, outputTokens=2, totalTokens=3),
        ]
    )
    result = decode(core, DIALECT, bytewise(data))
    check_invariants(result)
    assert [(c.index, c.id, c.name, c.arguments) for c in result.of("ToolCallDone")] == [
        (1, "tooluse_b", "g", {"y": 2}),
        (0, "tooluse_a", "f", {"x": 1}),
    ]
    assert result.text == "two calls"


def test_no_argument_call_gives_empty_object_at_block_stop(core: ModuleType) -> None:
    decoder = core.StreamDecoder(DIALECT)
    decoder.feed(START + tool_start(0, "tooluse_n", "now") + fragment(0, ""))
    [done] = decoder.feed(block_stop(0))
    assert (type(done).__name__, done.arguments, done.raw) == ("ToolCallDone", {}, "")


def test_escape_and_utf8_split_across_fragments_and_reads(core: ModuleType) -> None:
    pieces = ["", '{"s": "a\\', "n\\u00", "e9 \u00e9", '\u4e2d"}']
    data = b"".join(
        [
            tool_start(0, "tooluse_u", "f"),
            *[fragment(0, p) for p in pieces],
            block_stop(0),
            message_stop("tool_use"),
        ]
    )
    for chunks in [bytewise(data), *two_way_splits(data, 40)]:
        result = decode(core, DIALECT, chunks)
        assert result.error is None
        assert [c.arguments for c in result.of("ToolCallDone")] == [{"s": "a\n\u00e9 \u00e9\u4e2d"}]


def test_reasoning_content_and_signatures(core: ModuleType) -> None:
    data = b"".join(
        [
            event("contentBlockDelta", {"contentBlockIndex": 0,
                                        "delta": {"reasoningContent": {"text": "think"}}}),
            event("contentBlockDelta", {"contentBlockIndex": 0,
                                        "delta": {"reasoningContent": {"signature": "c2ln"}}}),
            event("contentBlockDelta", {"contentBlockIndex": 1,
                                        "delta": {"reasoningContent": {"redactedContent": "b"}}}),
            block_stop(0),
            text(2, "answer"),
            event("contentBlockDelta", {"contentBlockIndex": 2,
                                        "delta": {"citation": {"title": "x"}}}),
            message_stop("end_turn"),
        ]
    )  # fmt: skip
    result = decode(core, DIALECT, [data])
    assert result.error is None
    assert result.reasoning == "think"
    assert result.text == "answer"
    # No metadata: Finish comes at the end of input.
    assert finishes(result) == [("stop", "end_turn")]
    assert result.calls[-1] == 1


def test_usage_counts_cache_reads_and_writes_as_input(core: ModuleType) -> None:
    data = START + text(0, "x") + message_stop("max_tokens")
    data += metadata(
        inputTokens=12, outputTokens=235, totalTokens=1271, cacheReadInputTokens=1000,
        cacheWriteInputTokens=24,
    )  # fmt: skip
    result = decode(core, DIALECT, [data])
    [usage] = result.of("Usage")
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (1036, 235, 1271)
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (1000, 24)
    assert finishes(result) == [("length", "max_tokens")]
    # Without a total, input + output.
    result = decode(core, DIALECT, [START + message_stop("end_turn") + metadata(inputTokens=4)])
    [usage] = result.of("Usage")
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (4, None, None)


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "other"),
        ("malformed_tool_use", "other"),
    ],
)
def test_stop_reasons(core: ModuleType, word: str, reason: str) -> None:
    result = decode(core, DIALECT, [START + text(0, "x") + message_stop(word) + metadata()])
    assert finishes(result) == [(reason, word)]


def test_unknown_events_and_frames_after_the_end(core: ModuleType) -> None:
    data = b"".join(
        [
            START,
            event("somethingNew", b"not json"),
            encode({":message-type": "event"}, b"\x00no event type"),
            encode({":event-type": "contentBlockDelta", ":message-type": "telemetry"}, b"?"),
            text(0, "kept"),
            message_stop("end_turn"),
            metadata(inputTokens=1, outputTokens=1),
            text(0, " dropped"),
            event("contentBlockDelta", b"{not json"),
        ]
    )
    result = decode(core, DIALECT, [data])
    assert result.error is None
    assert result.text == "kept"
    assert finishes(result) == [("stop", "end_turn")]


def test_between_message_stop_and_metadata(core: ModuleType) -> None:
    # Only the trailer belongs to the stream after messageStop (a bad payload is not read)...
    data = START + text(0, "kept") + message_stop("end_turn") + text(0, " late")
    data += event("contentBlockDelta", b"{not json") + metadata(inputTokens=1, outputTokens=2)
    result = decode(core, DIALECT, bytewise(data))
    assert result.error is None
    assert result.text == "kept"
    assert [type(e).__name__ for e in result.events] == ["TextDelta", "Usage", "Finish"]
    # ... but an exception there is still reported.
    exception = encode({":exception-type": "x", ":message-type": "exception"}, b'{"message":"m"}')
    result = decode(core, DIALECT, [START + message_stop("end_turn") + exception])
    assert [(e.type, e.message) for e in result.of("ProviderErrorEvent")] == [("x", "m")]
    assert finishes(result) == [("error", "x")]


def test_missing_message_type_is_an_event(core: ModuleType) -> None:
    data = encode({":event-type": "contentBlockDelta"}, b'{"delta":{"text":"t"}}')
    data += encode({":event-type": "messageStop"}, b'{"stopReason":"end_turn"}')
    result = decode(core, DIALECT, [data])
    assert result.text == "t"
    assert finishes(result) == [("stop", "end_turn")]


def test_error_message_type_uses_its_headers(core: ModuleType) -> None:
    error = encode(
        {":message-type": "error", ":error-code": "InternalFailure", ":error-message": "oops"},
        b"",
    )
    result = decode(core, DIALECT, [START + text(0, "a") + error + text(0, "b")])
    assert result.error is None
    assert [(e.type, e.message, e.raw) for e in result.of("ProviderErrorEvent")] == [
        ("InternalFailure", "oops", "")
    ]
    assert result.text == "a"
    assert finishes(result) == [("error", "InternalFailure")]


def test_exception_closes_open_calls_first(core: ModuleType) -> None:
    exception = encode(
        {":exception-type": "modelStreamErrorException", ":message-type": "exception"},
        b'{"message":"model failed","originalStatusCode":500}',
    )
    data = START + tool_start(0, "tooluse_x", "f") + fragment(0, '{"a": ') + exception
    result = decode(core, DIALECT, [data])
    assert result.error is None
    check_invariants(result)
    names = [type(e).__name__ for e in result.events]
    assert names[-3:] == ["ToolCallInvalid", "ProviderErrorEvent", "Finish"]
    assert finishes(result) == [("error", "modelStreamErrorException")]


def test_truncated_between_messages(core: ModuleType) -> None:
    data = START + text(0, "partial ") + tool_start(1, "tooluse_t", "f")
    data += fragment(1, '{"city": "Par')
    result = decode(core, DIALECT, [data])
    error = result.error
    assert isinstance(error, StreamTruncated)
    assert error.position == len(data)
    assert "messageStop" in error.message
    assert error.partial_text == "partial "
    partials: list[Any] = error.partial_tool_calls
    [partial] = partials
    assert (partial.index, partial.id, partial.name, partial.raw) == (
        0,
        "tooluse_t",
        "f",
        '{"city": "Par',
    )
    assert partial.partial == {"city": "Par"}


def test_truncated_inside_a_message_is_a_framing_error(core: ModuleType) -> None:
    whole = START + text(0, "kept")
    data = whole + text(0, "cut")[:20]
    for chunks in [[data], bytewise(data)]:
        result = decode(core, DIALECT, chunks)
        assert isinstance(result.error, EventStreamError)
        assert result.error.kind == "length"
        assert result.error.position == len(data)
        assert result.text == "kept"


def test_malformed_payload_raises_at_the_message_start(core: ModuleType) -> None:
    good = START + text(0, "ok")
    data = good + event("contentBlockDelta", b'{"delta": {"text": }}') + text(0, "never")
    decoder = core.StreamDecoder(DIALECT)
    with pytest.raises(JsonStreamError) as caught:
        decoder.feed(data)
    error = caught.value
    assert error.position == len(good)
    assert f"bedrock frame starting at byte {len(good)}" in error.message
    completed: list[Any] = error.completed
    assert [e.text for e in completed] == ["ok"]
    with pytest.raises(JsonStreamError) as again:
        decoder.feed(b"")
    assert again.value.completed == [] and again.value.position == len(good)
    # An exception message whose payload is not JSON fails the same way.
    bad = encode({":exception-type": "x", ":message-type": "exception"}, b"Throttled")
    result = decode(core, DIALECT, [good + bad])
    assert isinstance(result.error, JsonStreamError)
    assert result.error.position == len(good)


def test_corrupted_message_keeps_earlier_events(core: ModuleType) -> None:
    good = START + text(0, "ok")
    broken = bytearray(text(0, "bad"))
    broken[-1] ^= 0xFF
    result = decode(core, DIALECT, [good + bytes(broken)])
    assert isinstance(result.error, EventStreamError)
    assert result.error.kind == "message_crc"
    assert result.text == "ok"


# Generated streams.

Stream = tuple[list[bytes], str, str, list[Call]]


@st.composite
def generated_stream(draw: st.DrawFn) -> Stream:
    """Text, reasoning and toolUse blocks whose deltas interleave at random, the tools'
    inputs cut into random fragments; returns (messages before messageStop, text,
    reasoning, [(id, name, arguments)])."""
    kinds = draw(st.lists(st.sampled_from(["text", "reasoning", "toolUse"]), max_size=5))
    messages = [START]
    # Each block's messages, tagged with the text ("t...") or reasoning ("r...") they carry.
    pieces: list[list[tuple[str, bytes]]] = []
    calls: list[Call] = []
    for index, kind in enumerate(kinds):
        if kind == "toolUse":
            id, name, arguments = f"tooluse_{index}", draw(NAMES), draw(ARGS)
            calls.append((id, name, arguments))
            messages.append(tool_start(index, id, name))
            parts = argument_fragments(draw, arguments)
            pieces.append([("", fragment(index, p)) for p in parts])
        elif kind == "text":
            pieces.append([("t" + v, text(index, v)) for v in draw(st.lists(TEXT, max_size=3))])
        else:
            values = draw(st.lists(TEXT, max_size=3))
            pieces.append([("r" + v, reasoning(index, v)) for v in values])
        pieces[-1].append(("", block_stop(index)))
    order = draw(st.permutations([i for i, p in enumerate(pieces) for _ in p]))
    text_out = reasoning_out = ""
    for block in order:
        tag, message = pieces[block].pop(0)
        text_out += tag[1:] if tag.startswith("t") else ""
        reasoning_out += tag[1:] if tag.startswith("r") else ""
        messages.append(message)
    return messages, text_out, reasoning_out, calls


@settings(max_examples=60, deadline=None)
@given(stream=generated_stream(), seed=st.integers(0, 1000), trailer=st.booleans())
def test_generated_streams_decode_to_what_was_encoded(
    stream: Stream, seed: int, trailer: bool
) -> None:
    messages, text_out, reasoning_out, calls = stream
    data = b"".join(messages) + message_stop("tool_use" if calls else "end_turn")
    if trailer:
        data += metadata(inputTokens=3, outputTokens=4, totalTokens=7)
    results = decode_everywhere(DIALECT, data, seed)
    check_generated(results, text_out, reasoning_out, calls, "tool_calls" if calls else "stop")
    for result in results:
        assert len(result.of("Usage")) == int(trailer)


@settings(max_examples=60, deadline=None)
@given(stream=generated_stream(), cut=st.floats(0, 1), seed=st.integers(0, 1000))
def test_truncated_generated_streams(stream: Stream, cut: float, seed: int) -> None:
    messages = stream[0]
    # Cut between two messages: StreamTruncated keeps everything received.
    check_truncated(
        decode_everywhere(DIALECT, b"".join(messages[: int(len(messages) * cut)]), seed)
    )
    # Cut anywhere: inside a message it is a framing error; the backends agree.
    whole = b"".join(messages)
    for result in decode_everywhere(DIALECT, whole[: int(len(whole) * cut)], seed):
        assert isinstance(result.error, (StreamTruncated, EventStreamError))


@settings(max_examples=60, deadline=None)
@given(
    stream=generated_stream(),
    at=st.floats(0, 1),
    bad=st.sampled_from(["exception", "malformed"]),
    seed=st.integers(0, 1000),
)
def test_generated_streams_with_an_exception_or_a_bad_payload(
    stream: Stream, at: float, bad: str, seed: int
) -> None:
    messages = stream[0]
    where = int(len(messages) * at)
    head = b"".join(messages[:where])
    if bad == "exception":
        headers = {":exception-type": "throttlingException", ":message-type": "exception"}
        inserted = encode(headers, b'{"message":"Too many tokens"}')
    else:
        inserted = event("contentBlockDelta", b'{"contentBlockIndex": 0, "delta": ')
    data = head + inserted + b"".join(messages[where:]) + message_stop("end_turn")
    for result in decode_everywhere(DIALECT, data, seed):
        check_invariants(result)
        if bad == "exception":
            assert result.error is None
            assert finishes(result) == [("error", "throttlingException")]
            [error] = result.of("ProviderErrorEvent")
            assert error.message == "Too many tokens"
        else:
            assert isinstance(result.error, JsonStreamError)
            assert result.error.position == len(head)
