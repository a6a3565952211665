"""StreamDecoder("anthropic"): Anthropic Messages streams (SSE with ``event:`` names)."""

from __future__ import annotations

import json
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
from fluent_ai.errors import JsonStreamError, StreamTruncated

DIALECT = "anthropic"


def transcript(name: str) -> bytes:
    return (TRANSCRIPTS / name).read_bytes()


def usage_tuple(usage: Any) -> tuple[Any, ...]:
    return (
        usage.input_tokens,
        usage.output_tokens,
        usage.total_tokens,
        usage.cache_read_tokens,
        usage.cache_write_tokens,
        usage.reasoning_tokens,
    )


@pytest.mark.parametrize("split", range(7))
def test_text_transcript(core: ModuleType, split: int) -> None:
    result = decode(core, DIALECT, all_splits(transcript("anthropic_text.txt"))[split])
    assert result.error is None
    check_invariants(result)
    assert result.text == "Hello there!"
    assert result.decoder.text == "Hello there!"
    assert result.reasoning == ""
    # message_start, then message_delta: the last one is the total.
    assert [usage_tuple(u) for u in result.of("Usage")] == [
        (11, 1, 12, None, None, None),
        (11, 6, 17, None, None, None),
    ]
    assert usage_tuple(result.decoder.usage) == (11, 6, 17, None, None, None)
    assert finishes(result) == [("stop", "end_turn")]
    assert result.decoder.finish_reason == "stop"
    assert [type(e).__name__ for e in result.events][-2:] == ["Usage", "Finish"]


@pytest.mark.parametrize("split", range(7))
def test_tool_use_transcript(core: ModuleType, split: int) -> None:
    result = decode(core, DIALECT, all_splits(transcript("anthropic_tool_use.txt"))[split])
    assert result.error is None
    check_invariants(result)
    assert result.text == "I'll check the current weather in Paris for you."
    # The call is content block 1 but the first tool call: index 0.
    [start] = result.of("ToolCallStart")
    assert (start.index, start.id, start.name) == (
        0,
        "toolu_01NRLabsLyVHZPKxbKvkfSMn",
        "get_weather",
    )
    # The first partial_json is "": no empty delta.
    assert [d.fragment for d in result.of("ToolCallDelta")] == ['{"locati', 'on": "P', "ar", 'is"}']
    [done] = result.of("ToolCallDone")
    assert (done.index, done.id, done.name) == (0, "toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather")
    assert done.arguments == {"location": "Paris"}
    assert done.raw == '{"location": "Paris"}'
    assert result.decoder.tool_calls == [done]
    usage = result.of("Usage")
    assert [usage_tuple(u) for u in usage] == [
        (377, 1, 378, 0, 0, None),
        (377, 65, 442, 0, 0, None),
    ]
    assert finishes(result) == [("tool_calls", "tool_use")]
    names = [type(e).__name__ for e in result.events]
    assert names.index("ToolCallDone") < names.index("Usage", 1) < names.index("Finish")


@pytest.mark.parametrize("split", range(7))
def test_thinking_transcript(core: ModuleType, split: int) -> None:
    result = decode(core, DIALECT, all_splits(transcript("anthropic_thinking.txt"))[split])
    assert result.error is None
    check_invariants(result)
    assert result.reasoning == (
        "The user asks for 27 * 453. 27 * 453 = 27 * 400 + 27 * 53 = 10800 + 1431 = 12231."
    )
    assert result.text == "27 \u00d7 453 = **12,231**"
    signature = "c3ludGhldGljLXRoaW5raW5nLXNpZ25hdHVyZS1mb3Itc3BlYy10cmFuc2NyaXB0LW5vdC1yZWFs"
    assert all(signature not in repr(e) for e in result.events), "a signature is not text"
    assert result.of("Usage")[-1].output_tokens == 71
    assert result.of("Usage")[-1].input_tokens == 42
    assert finishes(result) == [("stop", "end_turn")]


@pytest.mark.parametrize("split", range(7))
def test_overloaded_error_transcript(core: ModuleType, split: int) -> None:
    data = transcript("anthropic_error_overloaded.txt")
    result = decode(core, DIALECT, all_splits(data)[split])
    assert result.error is None, "an in-stream error ends the stream: finish() does not raise"
    check_invariants(result)
    assert result.text == "Hey! What"
    [error] = result.of("ProviderErrorEvent")
    assert (error.type, error.message) == ("overloaded_error", "Overloaded")
    assert json.loads(error.raw)["error"]["type"] == "overloaded_error"
    assert finishes(result) == [("error", "overloaded_error")]
    assert [type(e).__name__ for e in result.events][-2:] == ["ProviderErrorEvent", "Finish"]
    assert result.decoder.finish_reason == "error"


# Hand-made streams.


def sse(*events: tuple[str | None, object], stop: bool = True) -> bytes:
    """SSE blocks ``event: name`` (none when ``name`` is None) + ``data: payload``."""
    out = b""
    for name, payload in events:
        if name is not None:
            out += f"event: {name}\n".encode()
        data = payload if isinstance(payload, str) else json.dumps(payload)
        out += b"data: " + data.encode() + b"\n\n"
    if stop:
        out += b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    return out


def block_start(index: int, block: dict[str, Any]) -> tuple[str, object]:
    return (
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": block},
    )


def tool_start(index: int, id: str, name: str, **extra: object) -> tuple[str, object]:
    return block_start(index, {"type": "tool_use", "id": id, "name": name, "input": {}, **extra})


def delta(index: int, kind: str, **fields: object) -> tuple[str, object]:
    return (
        "content_block_delta",
        {"type": "content_block_delta", "index": index, "delta": {"type": kind, **fields}},
    )


def text(index: int, value: str) -> tuple[str, object]:
    return delta(index, "text_delta", text=value)


def fragment(index: int, value: str) -> tuple[str, object]:
    return delta(index, "input_json_delta", partial_json=value)


def block_stop(index: int) -> tuple[str, object]:
    return ("content_block_stop", {"type": "content_block_stop", "index": index})


def message_start(**usage: int) -> tuple[str, object]:
    message = {"id": "msg_1", "role": "assistant", "content": [], "usage": usage}
    return ("message_start", {"type": "message_start", "message": message})


def message_delta(reason: str | None, **usage: int) -> tuple[str, object]:
    payload: dict[str, object] = {"type": "message_delta", "delta": {"stop_reason": reason}}
    if usage:
        payload["usage"] = usage
    return ("message_delta", payload)


def test_tool_index_is_position_among_tool_calls(core: ModuleType) -> None:
    data = sse(
        message_start(input_tokens=1),
        block_start(0, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(0, "thinking_delta", thinking="hmm"),
        delta(0, "signature_delta", signature="c2lnbmF0dXJl"),
        block_stop(0),
        block_start(1, {"type": "redacted_thinking", "data": "b3BhcXVl"}),
        block_stop(1),
        tool_start(2, "toolu_a", "first"),
        fragment(2, '{"n": 1}'),
        block_stop(2),
        block_start(3, {"type": "text", "text": ""}),
        text(3, "between"),
        block_stop(3),
        tool_start(4, "toolu_b", "second"),
        fragment(4, '{"n": 2}'),
        block_stop(4),
        message_delta("tool_use", output_tokens=9),
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    assert [(c.index, c.id, c.name, c.arguments) for c in result.of("ToolCallDone")] == [
        (0, "toolu_a", "first", {"n": 1}),
        (1, "toolu_b", "second", {"n": 2}),
    ]
    assert result.text == "between"
    assert result.reasoning == "hmm", "signatures and redacted thinking are not text"


def test_interleaved_blocks_are_keyed_by_block_index(core: ModuleType) -> None:
    data = sse(
        tool_start(1, "toolu_a", "f"),
        tool_start(2, "toolu_b", "g"),
        fragment(2, '{"y":'),
        fragment(1, '{"x":'),
        fragment(1, "1}"),
        fragment(2, "2}"),
        block_stop(1),
        block_stop(2),
        message_delta("tool_use"),
    )
    result = decode(core, DIALECT, bytewise(data))
    check_invariants(result)
    assert [(c.index, c.id, c.arguments) for c in result.of("ToolCallDone")] == [
        (0, "toolu_a", {"x": 1}),
        (1, "toolu_b", {"y": 2}),
    ]


def test_no_argument_call_gives_empty_object_at_block_stop(core: ModuleType) -> None:
    events = [tool_start(0, "toolu_n", "now"), fragment(0, ""), block_stop(0)]
    decoder = core.StreamDecoder(DIALECT)
    assert [type(e).__name__ for e in decoder.feed(sse(*events[:2], stop=False))] == [
        "ToolCallStart"
    ]
    # content_block_stop is the explicit end of the call: Done comes with it.
    [done] = decoder.feed(sse(events[2], stop=False))
    assert (type(done).__name__, done.arguments, done.raw) == ("ToolCallDone", {}, "")
    assert [type(e).__name__ for e in decoder.feed(sse(message_delta("tool_use")))] == ["Finish"]
    assert decoder.finish() == []


def test_done_comes_with_the_fragment_that_closes_the_json(core: ModuleType) -> None:
    decoder = core.StreamDecoder(DIALECT)
    decoder.feed(sse(tool_start(0, "toolu_e", "f"), fragment(0, '{"a": '), stop=False))
    batch = decoder.feed(sse(fragment(0, "1}"), stop=False))
    assert [type(e).__name__ for e in batch] == ["ToolCallDelta", "ToolCallDone"]
    assert decoder.feed(sse(block_stop(0), stop=False)) == []


def test_escape_and_utf8_split_across_fragments_and_reads(core: ModuleType) -> None:
    pieces = ["", '{"s": "a\\', "n\\u00", "e9 \u00e9", '\u4e2d"}']
    data = sse(
        tool_start(0, "toolu_u", "f"),
        *[fragment(0, p) for p in pieces],
        block_stop(0),
        message_delta("tool_use"),
    )
    for chunks in [bytewise(data), *two_way_splits(data, 40)]:
        result = decode(core, DIALECT, chunks)
        assert [c.arguments for c in result.of("ToolCallDone")] == [{"s": "a\n\u00e9 \u00e9\u4e2d"}]


def test_usage_counts_cache_tokens_and_last_usage_is_the_total(core: ModuleType) -> None:
    data = sse(
        message_start(
            input_tokens=7, cache_read_input_tokens=1000, cache_creation_input_tokens=200,
            output_tokens=1,
        ),
        text(0, "hi"),
        message_delta("end_turn", output_tokens=30),
    )  # fmt: skip
    result = decode(core, DIALECT, [data])
    assert [usage_tuple(u) for u in result.of("Usage")] == [
        (1207, 1, 1208, 1000, 200, None),
        (1207, 30, 1237, 1000, 200, None),
    ]
    # A message_delta that repeats the input side replaces it (cumulative, not added).
    data = sse(
        message_start(input_tokens=7, cache_read_input_tokens=1000, output_tokens=1),
        message_delta("end_turn", input_tokens=8, cache_read_input_tokens=0, output_tokens=3),
    )
    result = decode(core, DIALECT, [data])
    assert usage_tuple(result.decoder.usage) == (8, 3, 11, 0, None, None)


def test_ping_unknown_events_and_unnamed_blocks(core: ModuleType) -> None:
    data = (
        b": comment\n\n"
        b"event: ping\ndata: not even json\n\n"
        b"event: agent.thinking\ndata: {oops\n\n"
        # No event line: dispatched by the JSON type.
        b'data: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"text_delta","text":"a"}}\n\n'
        b'data: {"type":"ping"}\n\n'
        b"event: content_block_delta\n"
        b'data: {"index":0,"delta":{"type":"text_delta","text":"b"}}\n\n'
        b'data: {"type":"message_delta","delta":{"stop_reason":"stop_sequence"}}\n\n'
        b'data: {"type":"message_stop"}\n\n'
        b"event: content_block_delta\n"
        b'data: {"index":0,"delta":{"type":"text_delta","text":"late"}}\n\n'
    )
    result = decode(core, DIALECT, [data])
    assert result.error is None
    assert result.text == "ab", "frames after message_stop are ignored"
    assert finishes(result) == [("stop", "stop_sequence")]


def test_initial_text_thinking_and_input_without_fragments(core: ModuleType) -> None:
    data = sse(
        block_start(0, {"type": "thinking", "thinking": "pre-"}),
        block_start(1, {"type": "text", "text": "start "}),
        text(1, "end"),
        tool_start(2, "toolu_w", "whole", input={"a": [1, "\u00e9"]}),
        block_stop(2),
        tool_start(3, "toolu_f", "fragments", input={"ignored": True}),
        fragment(3, '{"b": 2}'),
        block_stop(3),
        tool_start(4, "toolu_s", "server", input={"c": 3}),
        message_delta("tool_use"),
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    assert result.reasoning == "pre-"
    assert result.text == "start end"
    assert [(c.id, c.arguments, c.raw) for c in result.of("ToolCallDone")] == [
        ("toolu_w", {"a": [1, "\u00e9"]}, '{"a":[1,"\u00e9"]}'),
        ("toolu_f", {"b": 2}, '{"b": 2}'),
        ("toolu_s", {"c": 3}, '{"c":3}'),
    ]


def test_server_tool_blocks_are_not_tool_calls(core: ModuleType) -> None:
    data = sse(
        block_start(0, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
                        "input": {}}),
        fragment(0, '{"query": "x"}'),
        block_stop(0),
        block_start(1, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
                        "content": []}),
        block_stop(1),
        text(2, "found"),
        message_delta("end_turn"),
    )  # fmt: skip
    result = decode(core, DIALECT, [data])
    assert result.of("ToolCallStart") == []
    assert result.text == "found"
    assert finishes(result) == [("stop", "end_turn")]


def test_max_tokens_makes_the_unfinished_call_invalid(core: ModuleType) -> None:
    data = sse(
        tool_start(0, "toolu_m", "f"),
        fragment(0, '{"a": [1, '),
        message_delta("max_tokens", output_tokens=5),
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    [invalid] = result.of("ToolCallInvalid")
    assert (invalid.index, invalid.id, invalid.raw) == (0, "toolu_m", '{"a": [1, ')
    assert finishes(result) == [("length", "max_tokens")]


@pytest.mark.parametrize(
    ("word", "reason"),
    [("refusal", "other"), ("pause_turn", "other"), ("stop_sequence", "stop")],
)
def test_stop_reasons(core: ModuleType, word: str, reason: str) -> None:
    result = decode(core, DIALECT, [sse(text(0, "x"), message_delta(word))])
    assert finishes(result) == [(reason, word)]


def test_message_stop_without_message_delta(core: ModuleType) -> None:
    result = decode(core, DIALECT, [sse(text(0, "x"))])
    assert finishes(result) == [("other", None)]


def test_truncated_stream_keeps_everything(core: ModuleType) -> None:
    data = sse(
        message_start(input_tokens=3),
        text(0, "partial "),
        tool_start(1, "toolu_t", "f"),
        fragment(1, '{"city": "Par'),
        stop=False,
    )
    result = decode(core, DIALECT, [data])
    error = result.error
    assert isinstance(error, StreamTruncated)
    assert error.position == len(data)
    assert "event: message_stop" in error.message
    assert error.partial_text == "partial "
    partials: list[Any] = error.partial_tool_calls
    [partial] = partials
    assert (partial.index, partial.id, partial.name, partial.raw) == (
        0,
        "toolu_t",
        "f",
        '{"city": "Par',
    )
    assert partial.partial == {"city": "Par"}
    assert result.of("ToolCallDone") == []


def test_malformed_frame_raises_at_its_start(core: ModuleType) -> None:
    good = sse(message_start(input_tokens=2), text(0, "ok"), stop=False)
    data = good + b'event: content_block_delta\ndata: {"index": 0, "delta": }\n\n'
    decoder = core.StreamDecoder(DIALECT)
    with pytest.raises(JsonStreamError) as caught:
        decoder.feed(data)
    error = caught.value
    assert error.position == len(good)
    assert f"anthropic frame starting at byte {len(good)}" in error.message
    assert [type(e).__name__ for e in error.completed] == ["Usage", "TextDelta"]
    with pytest.raises(JsonStreamError) as again:
        decoder.finish()
    assert again.value.completed == [] and again.value.position == error.position


def test_error_event_variants(core: ModuleType) -> None:
    data = sse(("error", {"type": "error", "error": {"message": "no type"}}), stop=False)
    result = decode(core, DIALECT, [data])
    assert [(e.type, e.message) for e in result.of("ProviderErrorEvent")] == [(None, "no type")]
    assert finishes(result) == [("error", None)]
    data = sse(
        tool_start(0, "toolu_x", "f"),
        fragment(0, '{"a": 1'),
        ("error", {"type": "error", "error": {"type": "api_error", "message": "boom"}}),
        stop=False,
    )
    result = decode(core, DIALECT, bytewise(data))
    assert result.error is None
    check_invariants(result)
    names = [type(e).__name__ for e in result.events]
    assert names[-3:] == ["ToolCallInvalid", "ProviderErrorEvent", "Finish"]
    assert finishes(result) == [("error", "api_error")]


# Generated streams.

Stream = tuple[list[tuple[str, object]], str, str, list[Call]]


@st.composite
def generated_stream(draw: st.DrawFn) -> Stream:
    """Content blocks (thinking, text, tool_use) whose deltas interleave at random, each
    tool's arguments cut into random fragments; returns (events before message_delta, text,
    reasoning, [(id, name, arguments)])."""
    kinds = draw(st.lists(st.sampled_from(["text", "thinking", "tool_use"]), max_size=5))
    events: list[tuple[str, object]] = [message_start(input_tokens=draw(st.integers(0, 99)))]
    # Each block's deltas, tagged with the text ("t...") or reasoning ("r...") they carry.
    pieces: list[list[tuple[str, tuple[str, object]]]] = []
    calls: list[Call] = []
    for index, kind in enumerate(kinds):
        if kind == "tool_use":
            id, name, arguments = f"toolu_{index}", draw(NAMES), draw(ARGS)
            calls.append((id, name, arguments))
            events.append(tool_start(index, id, name))
            parts = argument_fragments(draw, arguments)
            pieces.append([("", fragment(index, p)) for p in parts])
        elif kind == "text":
            events.append(block_start(index, {"type": "text", "text": ""}))
            pieces.append([("t" + v, text(index, v)) for v in draw(st.lists(TEXT, max_size=3))])
        else:
            events.append(block_start(index, {"type": "thinking", "thinking": ""}))
            values = draw(st.lists(TEXT, max_size=3))
            pieces.append([("r" + v, delta(index, "thinking_delta", thinking=v)) for v in values])
            pieces[-1].append(("", delta(index, "signature_delta", signature="c2ln")))
        pieces[-1].append(("", block_stop(index)))
    # Interleave the blocks' deltas, each block's own in order.
    order = draw(st.permutations([i for i, p in enumerate(pieces) for _ in p]))
    text_out = reasoning_out = ""
    for block in order:
        tag, item = pieces[block].pop(0)
        text_out += tag[1:] if tag.startswith("t") else ""
        reasoning_out += tag[1:] if tag.startswith("r") else ""
        events.append(item)
    return events, text_out, reasoning_out, calls


@settings(max_examples=60, deadline=None)
@given(stream=generated_stream(), seed=st.integers(0, 1000))
def test_generated_streams_decode_to_what_was_encoded(stream: Stream, seed: int) -> None:
    events, text_out, reasoning_out, calls = stream
    reason = "tool_use" if calls else "end_turn"
    data = sse(*events, message_delta(reason, output_tokens=5))
    results = decode_everywhere(DIALECT, data, seed)
    check_generated(results, text_out, reasoning_out, calls, "tool_calls" if calls else "stop")


@settings(max_examples=60, deadline=None)
@given(stream=generated_stream(), cut=st.floats(0, 1), seed=st.integers(0, 1000))
def test_truncated_generated_streams(stream: Stream, cut: float, seed: int) -> None:
    events = stream[0]
    # Cut between two frames: StreamTruncated keeps everything received.
    check_truncated(
        decode_everywhere(DIALECT, sse(*events[: int(len(events) * cut)], stop=False), seed)
    )
    # Cut anywhere: a final frame cut inside its JSON is a malformed frame (an unterminated
    # last SSE block is dispatched), otherwise the stream is truncated; the backends agree.
    whole = sse(*events, stop=False)
    for result in decode_everywhere(DIALECT, whole[: int(len(whole) * cut)], seed):
        assert isinstance(result.error, (StreamTruncated, JsonStreamError))


@settings(max_examples=60, deadline=None)
@given(
    stream=generated_stream(),
    at=st.floats(0, 1),
    bad=st.sampled_from(["error", "malformed"]),
    seed=st.integers(0, 1000),
)
def test_generated_streams_with_an_error_or_a_bad_frame(
    stream: Stream, at: float, bad: str, seed: int
) -> None:
    events = stream[0]
    where = int(len(events) * at)
    head = sse(*events[:where], stop=False)
    if bad == "error":
        error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        data = head + sse(("error", error), *events[where:])
    else:
        data = head + b'event: content_block_delta\ndata: {"index": 0, "delta": \n\n'
        data += sse(*events[where:])
    for result in decode_everywhere(DIALECT, data, seed):
        check_invariants(result)
        if bad == "error":
            assert result.error is None
            assert finishes(result) == [("error", "overloaded_error")]
            assert [type(e).__name__ for e in result.events][-2] == "ProviderErrorEvent"
        else:
            assert isinstance(result.error, JsonStreamError)
            assert result.error.position == len(head)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
         ("overloaded_error", "Overloaded")),
        # Some proxies send the message without the `error` wrapper, or a bare string.
        ('{"type":"error","message":"Overloaded"}', (None, "Overloaded")),
        ('"Overloaded"', (None, "Overloaded")),
    ],
)  # fmt: skip
def test_error_event_message_with_or_without_its_wrapper(
    core: ModuleType, payload: str, expected: tuple[str | None, str]
) -> None:
    start = (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"m",'
        b'"content":[],"usage":{"input_tokens":1,"output_tokens":1}}}\n\n'
    )
    data = start + b"event: error\ndata: " + payload.encode() + b"\n\n"
    for chunks in [[data], bytewise(data)]:
        result = decode(core, "anthropic", chunks)
        assert result.error is None
        assert [(e.type, e.message) for e in result.of("ProviderErrorEvent")] == [expected]
        assert (result.events[-1].reason, result.events[-1].raw_reason) == ("error", expected[0])
