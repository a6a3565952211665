"""StreamDecoder("openai-responses"): the OpenAI Responses API event stream."""

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

DIALECT = "openai-responses"
TRANSCRIPT = TRANSCRIPTS / "openai_responses_function_call.txt"


def text(delta: str, output_index: int = 0) -> dict[str, Any]:
    return {
        "type": "response.output_text.delta",
        "item_id": f"msg_{output_index}",
        "output_index": output_index,
        "content_index": 0,
        "delta": delta,
    }


def summary(delta: str) -> dict[str, Any]:
    return {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_0",
        "output_index": 0,
        "summary_index": 0,
        "delta": delta,
    }


def added(index: int, call_id: str, name: str, arguments: str = "") -> dict[str, Any]:
    item = {
        "id": f"fc_{index}",
        "type": "function_call",
        "status": "in_progress",
        "arguments": arguments,
        "call_id": call_id,
        "name": name,
    }
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def delta(index: int | None, fragment: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": "response.function_call_arguments.delta"}
    payload["item_id"] = f"fc_{index}" if index is not None else "fc_unknown"
    if index is not None:
        payload["output_index"] = index
    payload["delta"] = fragment
    return payload


def arguments_done(index: int, arguments: str) -> dict[str, Any]:
    return {
        "type": "response.function_call_arguments.done",
        "item_id": f"fc_{index}",
        "output_index": index,
        "arguments": arguments,
    }


def item_done(index: int, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    payload = added(index, call_id, name, arguments)
    payload["type"] = "response.output_item.done"
    payload["item"]["status"] = "completed"
    return payload


def completed(usage: dict[str, Any] | None = None, **response: Any) -> dict[str, Any]:
    return {
        "type": "response.completed",
        "response": {"status": "completed", "usage": usage, **response},
    }


def incomplete(reason: str | None) -> dict[str, Any]:
    details = {"reason": reason} if reason is not None else None
    response = {"status": "incomplete", "incomplete_details": details, "usage": None}
    return {"type": "response.incomplete", "response": response}


# --- the recorded transcript -------------------------------------------------------------


@pytest.mark.parametrize("split", range(7))
def test_function_call_transcript(core: ModuleType, split: int) -> None:
    result = decode(core, DIALECT, all_splits(TRANSCRIPT.read_bytes())[split])
    assert result.error is None
    check_invariants(result)
    assert result.text == "" and result.reasoning == ""
    done = result.of("ToolCallDone")
    assert [(c.index, c.id, c.name, c.arguments, c.raw) for c in done] == [
        (0, "call_7VaiUXZYuuuwWwviCrckxq6t", "add", {"a": 3, "b": 5}, '{"a":3,"b":5}')
    ]
    assert [(s.index, s.id, s.name) for s in result.of("ToolCallStart")] == [
        (0, "call_7VaiUXZYuuuwWwviCrckxq6t", "add")
    ]
    assert result.decoder.tool_calls == done
    [usage] = result.of("Usage")
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (58, 18, 76)
    assert (usage.cache_read_tokens, usage.cache_write_tokens, usage.reasoning_tokens) == (
        0,
        None,
        0,
    )
    assert result.decoder.usage == usage
    assert finish_of(result) == ("tool_calls", "completed")
    assert result.decoder.finish_reason == "tool_calls"
    names = [type(e).__name__ for e in result.events]
    assert names[-2:] == ["Usage", "Finish"]


def test_transcript_call_is_done_on_its_last_fragment(core: ModuleType) -> None:
    """Fed one SSE event per read, the call is done by the read carrying its closing brace,
    before `response.function_call_arguments.done` and long before the stream ends."""
    chunks = frame_splits(TRANSCRIPT.read_bytes())
    result = decode(core, DIALECT, chunks)
    closing = next(i for i, c in enumerate(chunks) if b'"delta":"}"' in c)
    assert result.calls[closing] == 2  # ToolCallDelta("}") and ToolCallDone
    assert type(result.events[sum(result.calls[: closing + 1]) - 1]).__name__ == "ToolCallDone"
    assert result.calls[closing + 1 :] == [0, 0, 2, 0]  # args done, item done, usage+finish


# --- text, reasoning, usage, finish words --------------------------------------------------


def test_text_reasoning_summary_and_cached_usage(core: ModuleType) -> None:
    usage = {
        "input_tokens": 120,
        "input_tokens_details": {"cached_tokens": 100},
        "output_tokens": 40,
        "output_tokens_details": {"reasoning_tokens": 25},
        "total_tokens": 160,
    }
    data = typed_sse(
        {"type": "response.created", "response": {"status": "in_progress", "usage": None}},
        summary("Think"),
        summary("ing."),
        {"type": "response.reasoning_text.delta", "delta": " raw", "output_index": 0},
        text("Hel", 1),
        text("lo", 1),
        {"type": "response.output_text.done", "text": "Hello", "output_index": 1},
        completed(usage),
    )
    result = decode(core, DIALECT, bytewise(data))
    check_invariants(result)
    assert result.reasoning == "Thinking. raw"
    assert result.text == "Hello"
    assert {e.index for e in result.of("TextDelta")} == {0}, "TextDelta.index is the choice"
    [got] = result.of("Usage")
    assert (got.input_tokens, got.output_tokens, got.total_tokens) == (120, 40, 160)
    assert (got.cache_read_tokens, got.reasoning_tokens) == (100, 25)
    assert finish_of(result) == ("stop", "completed")


def test_refusal_is_text(core: ModuleType) -> None:
    data = typed_sse({"type": "response.refusal.delta", "delta": "I can't."}, completed())
    result = decode(core, DIALECT, [data])
    assert result.text == "I can't."
    assert result.of("Usage") == []


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("max_output_tokens", ("length", "max_output_tokens")),
        ("content_filter", ("content_filter", "content_filter")),
        (None, ("other", "incomplete")),
    ],
)
def test_incomplete(core: ModuleType, reason: str | None, expected: tuple[str, str]) -> None:
    data = typed_sse(text("Once upon"), incomplete(reason))
    result = decode(core, DIALECT, [data])
    assert result.error is None
    assert finish_of(result) == expected


def test_length_limit_makes_unfinished_call_invalid(core: ModuleType) -> None:
    data = typed_sse(
        added(0, "call_a", "f"), delta(0, '{"xs": [1, '), incomplete("max_output_tokens")
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    [invalid] = result.of("ToolCallInvalid")
    assert (invalid.index, invalid.id, invalid.raw) == (0, "call_a", '{"xs": [1, ')
    assert finish_of(result) == ("length", "max_output_tokens")


# --- tool-call quirks ----------------------------------------------------------------------


def test_interleaved_parallel_calls_keyed_by_output_index(core: ModuleType) -> None:
    data = typed_sse(
        text("Checking."),
        added(1, "call_a", "weather"),
        added(2, "call_b", "time"),
        delta(2, '{"tz": '),
        delta(1, '{"city": "Par'),
        delta(2, '"CET"}'),
        delta(1, 'is"}'),
        arguments_done(2, '{"tz": "CET"}'),
        arguments_done(1, '{"city": "Paris"}'),
        completed(),
    )
    result = decode(core, DIALECT, bytewise(data))
    check_invariants(result)
    assert [(c.index, c.id, c.name, c.arguments) for c in result.of("ToolCallDone")] == [
        (1, "call_b", "time", {"tz": "CET"}),
        (0, "call_a", "weather", {"city": "Paris"}),
    ]
    assert finish_of(result) == ("tool_calls", "completed")


def test_fragments_without_output_index_follow_their_item(core: ModuleType) -> None:
    first = delta(1, '{"a": 1}')
    del first["output_index"]
    second = delta(2, '{"b": 2}')
    del second["output_index"]
    data = typed_sse(added(1, "call_a", "f"), added(2, "call_b", "g"), first, second, completed())
    result = decode(core, DIALECT, [data])
    assert [(c.id, c.arguments) for c in result.of("ToolCallDone")] == [
        ("call_a", {"a": 1}),
        ("call_b", {"b": 2}),
    ]


def test_ids_are_call_ids_not_item_ids(core: ModuleType) -> None:
    data = typed_sse(added(0, "call_x", "f"), delta(0, "{}"), completed())
    result = decode(core, DIALECT, [data])
    assert [s.id for s in result.of("ToolCallStart")] == ["call_x"]
    assert [d.id for d in result.of("ToolCallDone")] == ["call_x"]


def test_empty_arguments_give_empty_object(core: ModuleType) -> None:
    data = typed_sse(
        added(0, "call_now", "now"),
        arguments_done(0, ""),
        item_done(0, "call_now", "now", ""),
        completed(),
    )
    result = decode(core, DIALECT, [data])
    assert [(c.arguments, c.raw) for c in result.of("ToolCallDone")] == [({}, "")]


@pytest.mark.parametrize("where", ["arguments_done", "item_done", "added"])
def test_whole_arguments_without_fragments(core: ModuleType, where: str) -> None:
    """A server that skips the deltas: the whole text on the call's end frame (or already on
    `output_item.added`) gives one fragment, counted once."""
    whole = '{"q": "x"}'
    frames: list[object] = [added(0, "call_w", "search", whole if where == "added" else "")]
    if where != "item_done":
        frames.append(arguments_done(0, whole))
    frames.append(item_done(0, "call_w", "search", whole))
    result = decode(core, DIALECT, [typed_sse(*frames, completed())])
    check_invariants(result)
    assert [d.fragment for d in result.of("ToolCallDelta")] == [whole]
    assert [(c.id, c.arguments, c.raw) for c in result.of("ToolCallDone")] == [
        ("call_w", {"q": "x"}, whole)
    ]


def test_call_only_in_item_done(core: ModuleType) -> None:
    data = typed_sse(item_done(0, "call_late", "f", '{"k": true}'), completed())
    result = decode(core, DIALECT, [data])
    assert [(s.id, s.name) for s in result.of("ToolCallStart")] == [("call_late", "f")]
    assert [(c.id, c.arguments) for c in result.of("ToolCallDone")] == [("call_late", {"k": True})]


def test_arguments_done_ends_an_unclosed_call_late(core: ModuleType) -> None:
    """Arguments that are not JSON are reported by the provider's explicit end of the call."""
    data = typed_sse(added(0, "call_b", "f"), delta(0, '{"a": tru'), arguments_done(0, "x"))
    decoder = core.StreamDecoder(DIALECT)
    events = decoder.feed(data)
    assert [type(e).__name__ for e in events] == [
        "ToolCallStart",
        "ToolCallDelta",
        "ToolCallInvalid",
    ]
    assert events[-1].raw == '{"a": tru'
    events = decoder.feed(typed_sse(completed()))
    assert [type(e).__name__ for e in events] == ["Finish"]


def test_escape_and_utf8_split_across_fragments_and_reads(core: ModuleType) -> None:
    fragments = ['{"s": "a\\', "n\\u00", "e9 \u00e9", '\u4e2d"}']
    data = typed_sse(
        added(0, "call_u", "f"), *[delta(0, f) for f in fragments], completed(), crlf=True
    )
    for chunks in [bytewise(data), *two_way_splits(data, 40)]:
        result = decode(core, DIALECT, chunks)
        assert [c.arguments for c in result.of("ToolCallDone")] == [{"s": "a\n\u00e9 \u00e9\u4e2d"}]


def test_comments_and_frames_after_the_end_are_ignored(core: ModuleType) -> None:
    data = (
        b": keep-alive\n\n" + typed_sse(text("hi"), completed()) + typed_sse(text("late"), "[DONE]")
    )
    result = decode(core, DIALECT, bytewise(data))
    assert result.error is None
    assert result.text == "hi"
    assert [type(e).__name__ for e in result.events] == ["TextDelta", "Finish"]


def test_type_falls_back_to_the_event_line(core: ModuleType) -> None:
    data = b'event: response.output_text.delta\ndata: {"delta": "x"}\n\n' + typed_sse(completed())
    assert decode(core, DIALECT, [data]).text == "x"


# --- errors and truncation -----------------------------------------------------------------


def test_error_event_ends_the_stream(core: ModuleType) -> None:
    error = {"type": "error", "code": "server_error", "message": "Boom", "param": None}
    data = typed_sse(text("Hal"), error, text("ignored"))
    for chunks in all_splits(data):
        result = decode(core, DIALECT, chunks)
        assert result.error is None, "an in-stream error ends the stream"
        check_invariants(result)
        assert result.text == "Hal"
        [event] = result.of("ProviderErrorEvent")
        assert (event.type, event.message) == ("server_error", "Boom")
        assert json.loads(event.raw) == error
        assert finish_of(result) == ("error", "server_error")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"type": "error", "code": None, "message": "m"}, (None, "m")),
        ({"type": "error", "code": 429, "message": "slow"}, ("429", "slow")),
        ({"type": "error", "error": {"type": "invalid_request_error", "message": "n"}},
         ("invalid_request_error", "n")),
        ({"type": "error"}, (None, "")),
    ],
)  # fmt: skip
def test_error_event_shapes(
    core: ModuleType, payload: dict[str, Any], expected: tuple[str | None, str]
) -> None:
    result = decode(core, DIALECT, [typed_sse(payload)])
    assert [(e.type, e.message) for e in result.of("ProviderErrorEvent")] == [expected]
    assert finish_of(result) == ("error", expected[0])


def test_response_failed(core: ModuleType) -> None:
    failed = {
        "type": "response.failed",
        "response": {
            "status": "failed",
            "error": {"code": "rate_limit_exceeded", "message": "Slow down"},
            "usage": {"input_tokens": 5, "output_tokens": 1, "total_tokens": 6},
        },
    }
    data = typed_sse(added(0, "call_f", "f"), delta(0, '{"a": '), failed)
    result = decode(core, DIALECT, bytewise(data))
    assert result.error is None
    check_invariants(result)
    names = [type(e).__name__ for e in result.events]
    assert names[-4:] == ["Usage", "ToolCallInvalid", "ProviderErrorEvent", "Finish"]
    [event] = result.of("ProviderErrorEvent")
    assert (event.type, event.message) == ("rate_limit_exceeded", "Slow down")
    assert finish_of(result) == ("error", "rate_limit_exceeded")


def test_truncated_stream_keeps_everything(core: ModuleType) -> None:
    data = typed_sse(text("partial "), added(1, "call_t", "f"), delta(1, '{"city": "Par'))
    result = decode(core, DIALECT, [data])
    error = result.error
    assert isinstance(error, StreamTruncated)
    assert error.position == len(data)
    assert error.partial_text == "partial "
    [partial] = error.partial_tool_calls
    assert (partial.index, partial.id, partial.name, partial.raw) == (0, "call_t", "f",
                                                                      '{"city": "Par')  # fmt: skip
    assert partial.partial == {"city": "Par"}
    assert "response.completed" in error.message


def test_done_marker_is_not_the_end(core: ModuleType) -> None:
    result = decode(core, DIALECT, [typed_sse(text("x"), "[DONE]")])
    assert isinstance(result.error, StreamTruncated)
    assert result.text == "x"


def test_malformed_frame_raises_at_its_start(core: ModuleType) -> None:
    good = typed_sse(text("ok"))
    data = good + b'event: response.output_text.delta\ndata: {"delta": }\n\n'
    decoder = core.StreamDecoder(DIALECT)
    with pytest.raises(JsonStreamError) as caught:
        decoder.feed(data)
    assert caught.value.position == len(good)
    assert f"openai-responses frame starting at byte {len(good)}" in caught.value.message
    assert [e.text for e in caught.value.completed] == ["ok"]


# --- generated streams ---------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    """Random text, then parallel function calls (output items 1..n) whose argument text is
    cut into random fragments and interleaved; each call ends with its `.done` frames."""
    frames = [Planned(typed_sse(text(t)), text=t) for t in draw(st.lists(TEXT, max_size=4))]
    calls = draw(CALLS)
    frames += call_frames(
        draw,
        calls,
        start=lambda n, id, name: added(n + 1, id, name),
        fragment=lambda n, piece: delta(n + 1, piece),
        end=lambda n, whole: [
            arguments_done(n + 1, whole),
            item_done(n + 1, f"call_{n}", calls[n][1], whole),
        ],
    )
    usage = {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
    frames.append(Planned(typed_sse(completed(usage))))
    return Plan(
        frames=frames,
        calls=plan_calls(calls),
        error_frame=typed_sse({"type": "error", "code": "server_error", "message": "x"}),
        error=("server_error", "x"),
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
