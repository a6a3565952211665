"""StreamDecoder("cohere"): Cohere v2 chat streams."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sse_frames import (
    CALLS,
    MODES,
    TEXT,
    Plan,
    Planned,
    all_splits,
    call_frames,
    check_plan,
    finish_of,
    frame_splits,
    plan_calls,
    typed_sse,
)
from streams import TRANSCRIPTS, check_invariants, decode

from chunking import bytewise, two_way_splits
from fluent_ai.errors import JsonStreamError, StreamTruncated

DIALECT = "cohere"
TRANSCRIPT = TRANSCRIPTS / "cohere_v2_tool_call.txt"
MADRID = '{\n    "location": "Madrid"\n}'
BRASILIA = '{\n    "location": "Brasilia"\n}'

START = {"type": "message-start", "id": "m1", "delta": {"message": {"role": "assistant"}}}


def content(kind: str, value: str, index: int = 0, event: str = "content-delta") -> dict[str, Any]:
    return {"type": event, "index": index, "delta": {"message": {"content": {kind: value}}}}


def plan_delta(text: str) -> dict[str, Any]:
    return {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": text}}}


def call_start(index: int | None, id: str, name: str, arguments: object = "") -> dict[str, Any]:
    call = {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}
    payload: dict[str, Any] = {
        "type": "tool-call-start",
        "delta": {"message": {"tool_calls": call}},
    }
    if index is not None:
        payload["index"] = index
    return payload


def call_delta(index: int | None, fragment: str, **call: Any) -> dict[str, Any]:
    tool_calls = {**call, "function": {"arguments": fragment}}
    payload: dict[str, Any] = {
        "type": "tool-call-delta",
        "delta": {"message": {"tool_calls": tool_calls}},
    }
    if index is not None:
        payload["index"] = index
    return payload


def call_end(index: int | None) -> dict[str, Any]:
    return {"type": "tool-call-end"} if index is None else {"type": "tool-call-end", "index": index}


def message_end(reason: str | None = "COMPLETE", usage: Any = None, **delta: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"finish_reason": reason, **delta}
    if usage is not None:
        body["usage"] = usage
    return {"type": "message-end", "delta": body}


# --- the transcript ------------------------------------------------------------------------


@pytest.mark.parametrize("split", range(7))
def test_tool_call_transcript(core: ModuleType, split: int) -> None:
    result = decode(core, DIALECT, all_splits(TRANSCRIPT.read_bytes())[split])
    assert result.error is None
    check_invariants(result)
    assert result.text == "I will search for the weather in Madrid and Brasilia.", (
        "tool_plan is text"
    )
    assert result.decoder.text == result.text
    assert result.reasoning == ""
    done = result.of("ToolCallDone")
    assert [(c.index, c.id, c.name, c.arguments, c.raw) for c in done] == [
        (0, "get_weather_p1t92w7gfgq7", "get_weather", {"location": "Madrid"}, MADRID),
        (1, "get_weather_ay6nmvjgp9vn", "get_weather", {"location": "Brasilia"}, BRASILIA),
    ]
    assert result.decoder.tool_calls == done
    # The `tokens` pair (913/83) counts every token; the billed 37/28 are not reported.
    [usage] = result.of("Usage")
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (913, 83, 996)
    assert (usage.cache_read_tokens, usage.cache_write_tokens, usage.reasoning_tokens) == (
        None,
        None,
        None,
    )
    assert finish_of(result) == ("tool_calls", "TOOL_CALL")
    assert [type(e).__name__ for e in result.events][-2:] == ["Usage", "Finish"]
    assert result.decoder.finish_reason == "tool_calls"


def test_transcript_calls_are_done_before_the_stream_ends(core: ModuleType) -> None:
    """Fed one SSE event per read: call 0 is done by the read carrying its closing brace,
    before call 1 starts; `data: [DONE]` after `message-end` gives nothing."""
    chunks = frame_splits(TRANSCRIPT.read_bytes())
    result = decode(core, DIALECT, chunks)
    assert result.error is None
    batches, position = [], 0
    for count in result.calls:
        batches.append([type(e).__name__ for e in result.events[position : position + count]])
        position += count
    first_close = next(i for i, c in enumerate(chunks) if b'"arguments":"}"' in c)
    assert batches[first_close] == ["ToolCallDelta", "ToolCallDone"]
    assert batches[first_close + 1] == []  # tool-call-end: already done
    assert batches[-3:] == [["Usage", "Finish"], [], []]  # message-end, [DONE], finish()


# --- text, thinking, finish words, usage ---------------------------------------------------


def test_response_step_with_thinking_and_citations(core: ModuleType) -> None:
    citation = {
        "type": "citation-start",
        "index": 0,
        "delta": {"message": {"citations": {"start": 0, "end": 5, "text": "Sunny"}}},
    }
    data = typed_sse(
        START,
        content("thinking", "", event="content-start"),
        content("thinking", "The user wants "),
        content("thinking", "weather."),
        {"type": "content-end", "index": 0},
        content("text", "", index=1, event="content-start"),
        content("text", "Sunny, ", index=1),
        content("text", "24\u00b0C.", index=1),
        citation,
        {"type": "citation-end", "index": 0},
        {"type": "content-end", "index": 1},
        message_end("COMPLETE", {"tokens": {"input_tokens": 10, "output_tokens": 7.0}}),
        tail=b"data:[DONE]",  # no space, no blank line: accepted by finish()
    )
    result = decode(core, DIALECT, bytewise(data))
    assert result.error is None
    check_invariants(result)
    assert result.reasoning == "The user wants weather."
    assert result.text == "Sunny, 24\u00b0C."
    assert {e.index for e in result.of("TextDelta")} == {0}, "TextDelta.index is the choice"
    [usage] = result.of("Usage")
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (10, 7, 17)
    assert finish_of(result) == ("stop", "COMPLETE")


def test_eof_after_message_end_is_a_normal_end(core: ModuleType) -> None:
    result = decode(core, DIALECT, [typed_sse(content("text", "hi"), message_end())])
    assert result.error is None
    assert finish_of(result) == ("stop", "COMPLETE")


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("STOP_SEQUENCE", ("stop", "STOP_SEQUENCE")),
        ("MAX_TOKENS", ("length", "MAX_TOKENS")),
        ("TIMEOUT", ("other", "TIMEOUT")),
        (None, ("other", None)),
    ],
)
def test_finish_words(core: ModuleType, reason: str | None, expected: tuple[str, Any]) -> None:
    result = decode(core, DIALECT, [typed_sse(content("text", "a"), message_end(reason))])
    assert finish_of(result) == expected


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"billed_units": {"input_tokens": 37, "output_tokens": 28},
          "tokens": {"input_tokens": 913, "output_tokens": 83}, "cached_tokens": 800},
         (913, 83, 996, 800)),
        ({"billed_units": {"input_tokens": 37.0, "output_tokens": 28.0}}, (37, 28, 65, None)),
        ({"tokens": {"input_tokens": 5}}, (5, None, None, None)),
    ],
)  # fmt: skip
def test_usage_counts(core: ModuleType, usage: dict[str, Any], expected: tuple[Any, ...]) -> None:
    result = decode(core, DIALECT, [typed_sse(message_end("COMPLETE", usage))])
    [got] = result.of("Usage")
    assert (
        got.input_tokens,
        got.output_tokens,
        got.total_tokens,
        got.cache_read_tokens,
    ) == expected


def test_max_tokens_makes_unfinished_call_invalid(core: ModuleType) -> None:
    data = typed_sse(
        call_start(0, "c0", "f"), call_delta(0, '{\n    "a": [1,'), message_end("MAX_TOKENS")
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    [invalid] = result.of("ToolCallInvalid")
    assert (invalid.index, invalid.id, invalid.raw) == (0, "c0", '{\n    "a": [1,')
    assert finish_of(result) == ("length", "MAX_TOKENS")


# --- tool-call quirks ----------------------------------------------------------------------


def test_interleaved_parallel_calls(core: ModuleType) -> None:
    data = typed_sse(
        call_start(0, "a", "f"),
        call_start(1, "b", "g"),
        call_delta(1, '{"y":'),
        call_delta(0, '{"x":'),
        call_delta(1, " 2}"),
        call_end(1),
        call_delta(0, " 1}"),
        call_end(0),
        message_end("TOOL_CALL"),
    )
    result = decode(core, DIALECT, bytewise(data))
    check_invariants(result)
    assert [(c.index, c.id, c.arguments) for c in result.of("ToolCallDone")] == [
        (1, "b", {"y": 2}),
        (0, "a", {"x": 1}),
    ]


def test_id_repeated_on_every_fragment(core: ModuleType) -> None:
    data = typed_sse(
        call_start(0, "c1", "f"),
        call_delta(0, '{"a"', id="c1"),
        call_delta(0, ": 1}", id="c1"),
        call_end(0),
        message_end("TOOL_CALL"),
    )
    result = decode(core, DIALECT, [data])
    assert len(result.of("ToolCallStart")) == 1
    assert [(c.id, c.arguments) for c in result.of("ToolCallDone")] == [("c1", {"a": 1})]


def test_events_without_index_follow_the_latest_call(core: ModuleType) -> None:
    data = typed_sse(
        call_start(None, "u1", "f"),
        call_delta(None, '{"a": 1}'),
        call_end(None),
        call_start(None, "u2", "g"),
        call_delta(None, "{}"),
        call_end(None),
        message_end("TOOL_CALL"),
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    assert [(c.index, c.id, c.arguments) for c in result.of("ToolCallDone")] == [
        (0, "u1", {"a": 1}),
        (1, "u2", {}),
    ]


def test_whole_call_in_one_event_and_empty_arguments(core: ModuleType) -> None:
    data = typed_sse(
        call_start(0, "w", "f", '{"k": "v"}'),
        call_end(0),
        call_start(1, "e", "now"),
        call_end(1),
        message_end("TOOL_CALL"),
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    assert [(c.id, c.arguments, c.raw) for c in result.of("ToolCallDone")] == [
        ("w", {"k": "v"}, '{"k": "v"}'),
        ("e", {}, ""),
    ]


def test_tool_call_end_reports_invalid_arguments(core: ModuleType) -> None:
    """Text that is not JSON is reported by the provider's explicit end of the call, and
    the stream goes on."""
    data = typed_sse(call_start(0, "bad", "f"), call_delta(0, '{"a": tru'), call_end(0))
    decoder = core.StreamDecoder(DIALECT)
    events = decoder.feed(data)
    assert [type(e).__name__ for e in events][-1] == "ToolCallInvalid"
    assert events[-1].raw == '{"a": tru'
    events = decoder.feed(typed_sse(content("text", "after"), message_end("TOOL_CALL")))
    assert [type(e).__name__ for e in events] == ["TextDelta", "Finish"]


def test_escape_and_utf8_split_across_fragments_and_reads(core: ModuleType) -> None:
    fragments = ['{\n    "s": "a\\', "n\\u00", "e9 \u00e9", '\u4e2d"\n', "}"]
    data = typed_sse(
        call_start(0, "c", "f"),
        *[call_delta(0, f) for f in fragments],
        call_end(0),
        message_end("TOOL_CALL"),
        crlf=True,
    )
    for chunks in [bytewise(data), *two_way_splits(data, 40)]:
        result = decode(core, DIALECT, chunks)
        [done] = result.of("ToolCallDone")
        assert done.arguments == {"s": "a\n\u00e9 \u00e9\u4e2d"}
        assert done.raw == "".join(fragments)


def test_comments_and_frames_after_the_end_are_ignored(core: ModuleType) -> None:
    data = (
        b": ping\n\n"
        + typed_sse(content("text", "hi"), message_end())
        + typed_sse(content("text", "late"), "[DONE]")
    )
    result = decode(core, DIALECT, bytewise(data))
    assert result.error is None
    assert [type(e).__name__ for e in result.events] == ["TextDelta", "Finish"]


def test_type_falls_back_to_the_event_line(core: ModuleType) -> None:
    data = b'event: tool-plan-delta\ndata: {"delta": {"message": {"tool_plan": "p"}}}\n\n'
    assert decode(core, DIALECT, [data + typed_sse(message_end())]).text == "p"


# --- errors and truncation -----------------------------------------------------------------


def test_error_in_message_end(core: ModuleType) -> None:
    usage = {"tokens": {"input_tokens": 3, "output_tokens": 1}}
    end = message_end("ERROR", usage, error="internal server error")
    data = typed_sse(content("text", "Hal"), end, tail=b"data: [DONE]\n\n")
    for chunks in all_splits(data):
        result = decode(core, DIALECT, chunks)
        assert result.error is None, "an in-stream error ends the stream"
        check_invariants(result)
        assert result.text == "Hal"
        assert [type(e).__name__ for e in result.events][-3:] == [
            "Usage",
            "ProviderErrorEvent",
            "Finish",
        ]
        [event] = result.of("ProviderErrorEvent")
        assert (event.type, event.message) == (None, "internal server error")
        assert json.loads(event.raw) == end
        assert finish_of(result) == ("error", None)


def test_error_type_beside_the_error_text_names_the_error(core: ModuleType) -> None:
    """Cohere's real failed turn (langchain-cohere's recorded `test_sql_agent`): a
    `message-end` with `finish_reason: "ERROR"`, the text in `error`, its kind in
    `error_type` and `usage: {}` (no counts, so no `Usage`)."""
    end = message_end(
        "ERROR",
        {},
        error="your request resulted in an invalid tool generation",
        error_type="INVALID_TOOL_GENERATION",
    )
    plan = {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": "I will"}}}
    data = typed_sse(plan, end, tail=b"data: [DONE]\n\n")
    for chunks in all_splits(data):
        result = decode(core, DIALECT, chunks)
        assert result.error is None
        check_invariants(result)
        assert result.text == "I will"
        assert result.of("Usage") == []
        [event] = result.of("ProviderErrorEvent")
        assert (event.type, event.message) == (
            "INVALID_TOOL_GENERATION",
            "your request resulted in an invalid tool generation",
        )
        assert finish_of(result) == ("error", "INVALID_TOOL_GENERATION")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (message_end("ERROR"), (None, "")),
        (message_end("COMPLETE", error="late failure"), (None, "late failure")),
        ({"type": "error", "message": "overloaded", "code": "503"}, ("503", "overloaded")),
        ({"type": "message-end", "error": {"type": "server_error", "message": "m"}},
         ("server_error", "m")),
        ({"type": "content-delta", "error": "boom"}, (None, "boom")),
    ],
)  # fmt: skip
def test_error_shapes(
    core: ModuleType, payload: dict[str, Any], expected: tuple[str | None, str]
) -> None:
    result = decode(core, DIALECT, [typed_sse(call_start(0, "c", "f"), payload)])
    assert result.error is None
    check_invariants(result)
    assert [(e.type, e.message) for e in result.of("ProviderErrorEvent")] == [expected]
    assert finish_of(result) == ("error", expected[0])


def test_truncated_stream_keeps_everything(core: ModuleType) -> None:
    data = typed_sse(
        plan_delta("Looking "), call_start(3, "c3", "f"), call_delta(3, '{"city": "Par')
    )
    result = decode(core, DIALECT, [data])
    error = result.error
    assert isinstance(error, StreamTruncated)
    assert error.position == len(data)
    assert error.partial_text == "Looking "
    [partial] = error.partial_tool_calls
    assert (partial.index, partial.id, partial.name, partial.raw) == (0, "c3", "f", '{"city": "Par')
    assert partial.partial == {"city": "Par"}
    assert "message-end" in error.message


def test_done_before_message_end_is_truncation(core: ModuleType) -> None:
    result = decode(core, DIALECT, [typed_sse(content("text", "x"), "[DONE]")])
    assert isinstance(result.error, StreamTruncated)
    assert result.error.partial_text == "x"


def test_malformed_frame_raises_at_its_start(core: ModuleType) -> None:
    good = typed_sse(content("text", "ok"))
    data = good + b'event: content-delta\ndata: {"delta": [}\n\n'
    decoder = core.StreamDecoder(DIALECT)
    with pytest.raises(JsonStreamError) as caught:
        decoder.feed(data)
    assert caught.value.position == len(good)
    assert f"cohere frame starting at byte {len(good)}" in caught.value.message
    assert [e.text for e in caught.value.completed] == ["ok"]


# --- generated streams ---------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    """A tool step (plan text, then calls whose pretty-printed or compact argument text is
    cut into random fragments; calls may interleave) or a response step (text and
    thinking), then `message-end` and sometimes `[DONE]`."""
    frames = [Planned(typed_sse(START))]
    for piece in draw(st.lists(TEXT, max_size=3)):
        frames.append(Planned(typed_sse(plan_delta(piece)), text=piece))
    for piece in draw(st.lists(TEXT, max_size=3)):
        kind = draw(st.sampled_from(["text", "thinking"]))
        frames.append(
            Planned(typed_sse(content(kind, piece)), text=piece if kind == "text" else "")
        )
    calls = draw(CALLS)
    frames += call_frames(
        draw,
        calls,
        start=call_start,
        fragment=call_delta,
        end=lambda n, _whole: [call_end(n)],
        indents=(None, 4),
    )
    usage = {"billed_units": {"input_tokens": 1, "output_tokens": 2},
             "tokens": {"input_tokens": 30, "output_tokens": 2}}  # fmt: skip
    frames.append(Planned(typed_sse(message_end("TOOL_CALL" if calls else "COMPLETE", usage))))
    return Plan(
        frames=frames,
        calls=plan_calls(calls),
        error_frame=typed_sse(message_end("ERROR", error="stream failed")),
        error=(None, "stream failed"),
        trailer=draw(st.sampled_from([b"", b"data: [DONE]\n\n", b"data:[DONE]"])),
    )


@settings(max_examples=80, deadline=None)
@given(
    plan=plans(),
    mode=st.sampled_from(MODES),
    cut=st.integers(0, 1000),
    seed=st.integers(0, 1000),
)
def test_generated_streams(plan: Plan, mode: str, cut: int, seed: int) -> None:
    check_plan(DIALECT, plan, mode, cut, seed)
