"""StreamDecoder("gemini"): Gemini API and Vertex AI ``streamGenerateContent?alt=sse``."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import TRANSCRIPTS, arguments_of, check_invariants, decode, error_summary, plain
from whole_arguments import (
    ARGS,
    ENDINGS,
    ID,
    NAME,
    SYNTHESIZED,
    TEXT,
    Generated,
    all_splits,
    check_malformed_frame,
    compact,
    decode_generated,
)

from chunking import bytewise, random_splits, two_way_splits
from conftest import BACKENDS
from fluent_ai.errors import JsonStreamError, StreamTruncated

DIALECT = "gemini"
TRANSCRIPT = (TRANSCRIPTS / "gemini_text_and_function_call.txt").read_bytes()


def reframed(data: bytes, line_end: bytes) -> bytes:
    """The transcript with every CRLF replaced by another line end."""
    return data.replace(b"\r\n", line_end)


def sse(*payloads: object, line_end: str = "\r\n", ensure_ascii: bool = True) -> bytes:
    """Gemini's framing: ``data:`` lines only, each event ended by a blank line."""
    body = ""
    for payload in payloads:
        text = (
            payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=ensure_ascii)
        )
        body += f"data: {text}{line_end}{line_end}"
    return body.encode()


def chunk(
    *parts: dict[str, object],
    finish: str | None = None,
    usage: Mapping[str, object] | None = None,
    index: int | None = None,
) -> dict[str, object]:
    candidate: dict[str, object] = {"content": {"parts": list(parts), "role": "model"}}
    if index is not None:
        candidate["index"] = index
    if finish is not None:
        candidate["finishReason"] = finish
    payload: dict[str, object] = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}
    if usage is not None:
        payload["usageMetadata"] = usage
    return payload


def text(value: str, thought: bool = False) -> dict[str, object]:
    return {"text": value, "thought": True} if thought else {"text": value}


def function_call(name: str, args: object = None, id: str | None = None) -> dict[str, object]:
    call: dict[str, object] = {"name": name}
    if args is not None:
        call["args"] = args
    if id is not None:
        call["id"] = id
    return {"functionCall": call, "thoughtSignature": "c2lnbmF0dXJl"}


# --- the recorded transcript --------------------------------------------------------------


@pytest.mark.parametrize("split", range(7))
def test_transcript(core: ModuleType, split: int) -> None:
    result = decode(core, DIALECT, all_splits(TRANSCRIPT)[split])
    assert result.error is None
    check_invariants(result)
    assert result.text == "Let me look up the current weather in Tokyo for you.\n"
    assert result.decoder.text == result.text
    assert result.reasoning == ""
    [start] = result.of("ToolCallStart")
    [delta] = result.of("ToolCallDelta")
    [done] = result.of("ToolCallDone")
    assert SYNTHESIZED.match(done.id), "Gemini sends no id: one is made up"
    assert (start.index, start.id, start.name) == (0, done.id, "getWeather")
    assert (delta.index, delta.fragment) == (0, '{"location":"Tokyo"}')
    assert (done.index, done.name, done.arguments, done.raw) == (
        0,
        "getWeather",
        {"location": "Tokyo"},
        '{"location":"Tokyo"}',
    )
    assert result.decoder.tool_calls == [done]
    # usageMetadata comes on every chunk with running totals; the last one is the total.
    usage = result.of("Usage")
    assert [(u.input_tokens, u.output_tokens, u.total_tokens) for u in usage] == [
        (83, 6, 193),
        (83, 12, 199),
        (83, 26, 213),
    ]
    assert {(u.reasoning_tokens, u.cache_read_tokens, u.cache_write_tokens) for u in usage} == {
        (104, None, None)
    }
    assert result.decoder.usage == usage[-1]
    names = [type(e).__name__ for e in result.events]
    assert names[-2:] == ["Usage", "Finish"]
    # A STOP turn that made function calls is a tool_calls finish.
    assert [(f.reason, f.raw_reason) for f in result.of("Finish")] == [("tool_calls", "STOP")]
    assert result.decoder.finish_reason == "tool_calls"


@pytest.mark.parametrize("line_end", [b"\r\n", b"\n", b"\r"], ids=["crlf", "lf", "cr"])
def test_every_line_end_gives_the_same_events(core: ModuleType, line_end: bytes) -> None:
    expected = decode(core, DIALECT, [TRANSCRIPT]).plain()
    data = reframed(TRANSCRIPT, line_end)
    for chunks in [[data], bytewise(data), *two_way_splits(data, 60)]:
        result = decode(core, DIALECT, chunks)
        assert result.error is None
        assert result.plain() == expected


def test_synthesized_ids_are_unique_across_decoders(core: ModuleType) -> None:
    ids = {decode(core, DIALECT, [TRANSCRIPT]).of("ToolCallDone")[0].id for _ in range(3)}
    assert len(ids) == 3


def test_events_come_in_the_feed_that_completes_their_frame(core: ModuleType) -> None:
    frames = [f + b"\r\n\r\n" for f in TRANSCRIPT.split(b"\r\n\r\n") if f]
    decoder = core.StreamDecoder(DIALECT)
    batches = [[type(e).__name__ for e in decoder.feed(frame)] for frame in frames]
    assert batches == [
        ["TextDelta", "Usage"],
        ["TextDelta", "Usage"],
        ["ToolCallStart", "ToolCallDelta", "ToolCallDone", "Usage", "Finish"],
    ]
    assert decoder.finish() == []


# --- quirks -------------------------------------------------------------------------------


def test_thought_parts_are_reasoning_and_signatures_are_ignored(core: ModuleType) -> None:
    data = sse(
        chunk(text("Thinking about", thought=True)),
        chunk(text(" Tokyo.", thought=True), text("It is")),
        chunk({"text": " sunny.", "thought": False, "thoughtSignature": "eHl6"}, finish="STOP"),
    )
    result = decode(core, DIALECT, bytewise(data))
    assert result.reasoning == "Thinking about Tokyo."
    assert result.text == "It is sunny."
    assert [type(e).__name__ for e in result.events] == [
        "ReasoningDelta",
        "ReasoningDelta",
        "TextDelta",
        "TextDelta",
        "Finish",
    ]
    assert (result.events[-1].reason, result.events[-1].raw_reason) == ("stop", "STOP")


def test_parallel_calls_in_one_chunk_and_across_chunks(core: ModuleType) -> None:
    data = sse(
        chunk(function_call("a", {"x": 1}), function_call("b", {"y": [2, "é"]})),
        chunk(function_call("a", {"x": 3}, id="given-id")),
        chunk(finish="STOP"),
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    done = result.of("ToolCallDone")
    assert [(c.index, c.name, c.arguments, c.raw) for c in done] == [
        (0, "a", {"x": 1}, '{"x":1}'),
        (1, "b", {"y": [2, "é"]}, '{"y":[2,"é"]}'),
        (2, "a", {"x": 3}, '{"x":3}'),
    ]
    assert [bool(SYNTHESIZED.match(c.id)) for c in done] == [True, True, False]
    assert done[2].id == "given-id"
    assert done[0].id != done[1].id
    assert len(result.of("ToolCallDelta")) == 3, "exactly one delta per whole call"
    assert result.events[-1].reason == "tool_calls"


def test_call_without_arguments_is_done_at_once(core: ModuleType) -> None:
    data = sse(chunk(function_call("now"), function_call("empty", {})), chunk(finish="STOP"))
    result = decode(core, DIALECT, [data])
    assert [(c.name, c.arguments, c.raw) for c in result.of("ToolCallDone")] == [
        ("now", {}, ""),
        ("empty", {}, "{}"),
    ]
    check_invariants(result)


def test_non_ascii_and_escapes_in_arguments_give_compact_raw(core: ModuleType) -> None:
    args = {"s": 'a"\\\n\t\u00e9\u4e2d\U0001f600', "n": [1.5, -2, True, None], "o": {}}
    for ensure_ascii in (True, False):
        data = sse(chunk(function_call("f", args), finish="STOP"), ensure_ascii=ensure_ascii)
        for chunks in [bytewise(data), *two_way_splits(data, 40)]:
            [done] = decode(core, DIALECT, chunks).of("ToolCallDone")
            assert (done.arguments, done.raw) == (args, compact(args))


def test_utf8_text_split_across_reads(core: ModuleType) -> None:
    data = sse(chunk(text("\u00e9\u4e2d\U0001f600")), chunk(text("\\n\u00e9"), finish="STOP"))
    for chunks in [bytewise(data), *two_way_splits(data)]:
        assert decode(core, DIALECT, chunks).text == "\u00e9\u4e2d\U0001f600\\n\u00e9"


def test_candidate_index_is_the_text_index(core: ModuleType) -> None:
    data = sse(
        {
            "candidates": [
                {"content": {"parts": [text("zero")]}},
                {"content": {"parts": [text("one")]}, "index": 1},
            ]
        },
        chunk(text("two"), index=2, finish="STOP"),
    )
    result = decode(core, DIALECT, [data])
    assert [(t.text, t.index) for t in result.of("TextDelta")] == [
        ("zero", 0),
        ("one", 1),
        ("two", 2),
    ]


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "other"),
        ("OTHER", "other"),
    ],
)
def test_finish_reasons(core: ModuleType, word: str, reason: str) -> None:
    result = decode(core, DIALECT, [sse(chunk(text("x")), chunk(finish=word))])
    assert result.error is None
    assert [(f.reason, f.raw_reason) for f in result.of("Finish")] == [(reason, word)]


def test_max_tokens_with_a_call_is_still_length(core: ModuleType) -> None:
    data = sse(chunk(function_call("f", {"a": 1}), finish="MAX_TOKENS"))
    result = decode(core, DIALECT, [data])
    assert (result.events[-1].reason, result.events[-1].raw_reason) == ("length", "MAX_TOKENS")
    assert [c.arguments for c in result.of("ToolCallDone")] == [{"a": 1}]


@pytest.mark.parametrize("block", ["SAFETY", "OTHER", "PROHIBITED_CONTENT", "JAILBREAK"])
def test_blocked_prompt_is_a_content_filter_finish(core: ModuleType, block: str) -> None:
    blocked = {
        "promptFeedback": {"blockReason": block, "safetyRatings": []},
        "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7},
    }
    result = decode(core, DIALECT, [sse(blocked)])
    assert result.error is None
    assert [type(e).__name__ for e in result.events] == ["Usage", "Finish"]
    assert (result.events[0].input_tokens, result.events[0].output_tokens) == (7, None)
    assert (result.events[-1].reason, result.events[-1].raw_reason) == ("content_filter", block)


def test_prompt_feedback_without_block_reason_is_not_an_end(core: ModuleType) -> None:
    data = sse({"promptFeedback": {"safetyRatings": []}}, chunk(text("ok"), finish="STOP"))
    result = decode(core, DIALECT, [data])
    assert [plain(e) for e in result.events] == [("TextDelta", "ok", 0), ("Finish", "stop", "STOP")]


def test_usage_fields(core: ModuleType) -> None:
    usage = {
        "promptTokenCount": 100,
        "cachedContentTokenCount": 60,
        "candidatesTokenCount": 5,
        "thoughtsTokenCount": 9,
        "totalTokenCount": 114,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 100}],
    }
    result = decode(core, DIALECT, [sse(chunk(text("x"), finish="STOP", usage=usage))])
    [got] = result.of("Usage")
    assert plain(got) == ("Usage", 100, 5, 114, 60, None, 9)
    # Without a total, it is input + output.
    result = decode(
        core,
        DIALECT,
        [sse(chunk(finish="STOP", usage={"promptTokenCount": 3, "candidatesTokenCount": 4}))],
    )
    assert plain(result.of("Usage")[0]) == ("Usage", 3, 4, 7, None, None, None)


def test_frames_after_the_finish_chunk_are_ignored(core: ModuleType) -> None:
    data = sse(chunk(text("a"), finish="STOP"), chunk(text("late")), "not even json")
    result = decode(core, DIALECT, [data])
    assert result.error is None
    assert result.text == "a"


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (
            {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED"},
            "RESOURCE_EXHAUSTED",
            "Resource exhausted.",
        ),
        ({"code": 503, "message": "overloaded"}, "503", "overloaded"),
        ({"code": "UNAVAILABLE", "message": "m", "status": ""}, "UNAVAILABLE", "m"),
        ({"code": 1.5}, None, ""),
        ("plain text", None, "plain text"),
    ],
)
def test_midstream_error(core: ModuleType, error: object, kind: str | None, message: str) -> None:
    payload = {"error": error}
    for wrapped in (payload, [payload]):
        data = sse(chunk(text("partial")), wrapped, chunk(text("after"), finish="STOP"))
        for chunks in all_splits(data):
            result = decode(core, DIALECT, chunks)
            assert result.error is None, (
                "an in-stream error ends the stream: finish() does not raise"
            )
            check_invariants(result)
            assert result.text == "partial"
            [event] = result.of("ProviderErrorEvent")
            assert (event.type, event.message) == (kind, message)
            assert json.loads(event.raw) == wrapped
            assert [(f.reason, f.raw_reason) for f in result.of("Finish")] == [("error", kind)]
            assert result.decoder.finish_reason == "error"


def test_truncated_stream(core: ModuleType) -> None:
    data = TRANSCRIPT[: TRANSCRIPT.rindex(b"data: ")]
    result = decode(core, DIALECT, [data])
    error = result.error
    assert isinstance(error, StreamTruncated)
    assert error.position == len(data)
    assert error.partial_text == "Let me look up the current weather in Tokyo for you.\n"
    assert error.partial_tool_calls == [], "whole calls are never left unfinished"
    assert "finishReason" in error.message and "gemini" in error.message
    # An unterminated last event is dispatched at finish(): here it carries the finish.
    result = decode(core, DIALECT, [TRANSCRIPT.rstrip(b"\r\n")])
    assert result.error is None
    assert result.events[-1].reason == "tool_calls"


def test_malformed_frame_raises_at_its_start(core: ModuleType) -> None:
    good = sse(chunk(text("ok")))
    data = good + b'data: {"candidates": [}\r\n\r\n'
    check_malformed_frame(core, DIALECT, good, data, byte=16)


# --- generated streams --------------------------------------------------------------------

PART = st.one_of(
    st.tuples(st.just("text"), TEXT),
    st.tuples(st.just("thought"), TEXT),
    st.tuples(st.just("call"), NAME, ARGS, ID),
)


@st.composite
def generated_stream(draw: st.DrawFn) -> tuple[Generated, str]:
    """Random text, thoughts and whole function calls cut into chunks, in one framing, with
    a random ending; returns the stream and the finish word of a finished one."""
    parts: list[Any] = draw(st.lists(PART, max_size=8))
    cuts = sorted(draw(st.sets(st.integers(0, len(parts)), max_size=4)))
    bounds = [0, *cuts, len(parts)]
    line_end = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    payloads: list[object] = []
    for group in [parts[a:b] for a, b in zip(bounds, bounds[1:])]:
        wire: list[dict[str, object]] = []
        for part in group:
            if part[0] == "call":
                wire.append(function_call(part[1], part[2], part[3]))
            else:
                wire.append(text(part[1], thought=part[0] == "thought"))
        payloads.append(chunk(*wire))
    prefix = sse(*payloads, line_end=line_end, ensure_ascii=draw(st.booleans()))
    ending = draw(st.sampled_from(ENDINGS))
    word = draw(st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", "OTHER"]))
    usage = {"promptTokenCount": 5, "candidatesTokenCount": len(parts), "totalTokenCount": 99}
    suffix = {
        "finished": chunk(finish=word, usage=usage),
        "error": {"error": {"code": 500, "message": "boom", "status": "INTERNAL"}},
        "malformed": '{"candidates": [',
    }.get(ending)
    stream = Generated(
        data=prefix + (sse(suffix, line_end=line_end) if suffix else b""),
        prefix_length=len(prefix),
        ending=ending,
        text="".join(p[1] for p in parts if p[0] == "text"),
        reasoning="".join(p[1] for p in parts if p[0] == "thought"),
        calls=[p[1:] for p in parts if p[0] == "call"],
    )
    return stream, word


def expected_reason(word: str, made_calls: bool) -> str:
    if word == "STOP":
        return "tool_calls" if made_calls else "stop"
    return {"MAX_TOKENS": "length", "SAFETY": "content_filter"}.get(word, "other")


@settings(max_examples=80, deadline=None)
@given(generated=generated_stream(), seed=st.integers(0, 1000))
def test_generated_streams_decode_to_what_was_encoded(
    generated: tuple[Generated, str], seed: int
) -> None:
    stream, word = generated
    for result in decode_generated(DIALECT, stream, seed):
        if stream.ending == "finished":
            reason = expected_reason(word, bool(stream.calls))
            assert plain(result.events[-1]) == ("Finish", reason, word)
            assert result.of("Usage")[-1].total_tokens == 99
        elif stream.ending == "error":
            assert [plain(e)[:3] for e in result.of("ProviderErrorEvent")] == [
                ("ProviderErrorEvent", "INTERNAL", "boom")
            ]
            assert plain(result.events[-1]) == ("Finish", "error", "INTERNAL")


BARE_ERROR = (
    b'data: {"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}\r\n\r\n'
    b'{\n  "error": {\n    "code": 429,\n    "message": "Quota {exceeded} \\"x\\"",\n'
    b'    "status": "RESOURCE_EXHAUSTED"\n  }\n}\n'
)


@pytest.mark.parametrize("split", ["whole", "bytewise", "two"])
def test_bare_pretty_printed_error_object(core: ModuleType, split: str) -> None:
    """Google's SDK accepts a JSON error object sent on a 200 stream without `data:`
    (providers.md §1.1); its lines are collected until the braces balance."""
    chunks = {
        "whole": [BARE_ERROR],
        "bytewise": bytewise(BARE_ERROR),
        "two": [BARE_ERROR[:90], BARE_ERROR[90:]],
    }[split]
    result = decode(core, "gemini", chunks)
    assert result.error is None
    assert result.text == "Hi"
    [error] = result.of("ProviderErrorEvent")
    assert (error.type, error.message) == ("RESOURCE_EXHAUSTED", 'Quota {exceeded} "x"')
    assert error.raw.startswith('{\n  "error": {')
    assert (result.events[-1].reason, result.events[-1].raw_reason) == (
        "error",
        "RESOURCE_EXHAUSTED",
    )


def test_malformed_bare_object_raises_at_its_first_line(core: ModuleType) -> None:
    head = b'data: {"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}\n\n'
    result = decode(core, "gemini", [head + b'{\n "error": tru }\n}\n'])
    assert isinstance(result.error, JsonStreamError)
    assert result.error.position == len(head)
    assert "(byte 15 of the frame)" in result.error.message
    assert result.text == "Hi"


def test_unknown_field_lines_are_still_ignored(core: ModuleType) -> None:
    data = (
        b'x-unknown: 1\ndata: {"candidates":[{"content":{"parts":[{"text":"a"}]},'
        b'"finishReason":"STOP"}]}\n\n'
    )
    result = decode(core, "gemini", [data])
    assert result.error is None and result.text == "a"


def test_candidates_finishing_in_different_chunks_all_arrive(core: ModuleType) -> None:
    """With `candidateCount` > 1 the stream ends when every candidate seen has finished,
    not at the first `finishReason`; one still open at the end of input is a truncation."""
    chunks = [
        {
            "candidates": [
                {"content": {"parts": [{"text": "a"}]}},
                {"content": {"parts": [{"text": "b"}]}, "index": 1},
            ]
        },
        {"candidates": [{"content": {"parts": [{"text": "c"}]}, "finishReason": "STOP"}]},
        {"candidates": [{"content": {"parts": [{"text": "e"}]}}]},
        {
            "candidates": [
                {"content": {"parts": [{"text": "d"}]}, "finishReason": "MAX_TOKENS", "index": 1}
            ],
            "usageMetadata": {
                "promptTokenCount": 1,
                "candidatesTokenCount": 2,
                "totalTokenCount": 3,
            },
        },
        {"candidates": [{"content": {"parts": [{"text": "after"}]}, "index": 2}]},
    ]
    data = b"".join(b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in chunks)
    for split in all_splits(data):
        result = decode(core, "gemini", split)
        assert result.error is None
        texts = [(e.index, e.text) for e in result.of("TextDelta")]
        # Text for a finished candidate while another is open still arrives (nothing is
        # dropped); nothing after the end does.
        assert texts == [(0, "a"), (1, "b"), (0, "c"), (0, "e"), (1, "d")]
        assert result.events[-1].raw_reason == "MAX_TOKENS"
        assert len(result.of("Finish")) == 1
    # Cut before candidate 1's finish.
    cut = b"".join(b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in chunks[:3])
    result = decode(core, "gemini", [cut])
    assert isinstance(result.error, StreamTruncated)
    assert result.error.partial_text == result.text == "abce"


# The JSON-array stream (`streamGenerateContent` without `alt=sse`), in the shape Google
# sends it (the shape of simonw/llm-gemini's recorded cassettes): pretty-printed objects,
# `[` before the first, `,` + CRLF between them, `]` after the last.
JSON_ARRAY = (
    b'[{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n'
    b'          {\n            "text": "Think \\"{[\\"",\n            "thought": true\n'
    b'          }\n        ],\n        "role": "model"\n      },\n      "index": 0\n'
    b'    }\n  ]\n}\n,\r\n{\n  "candidates": [\n    {\n      "content": {\n'
    b'        "parts": [\n          {\n            "text": "caf\xc3\xa9 "\n          }\n'
    b'        ]\n      }\n    }\n  ]\n}\n,\r\n{\n  "candidates": [\n    {\n'
    b'      "content": {\n        "parts": [\n          {\n            "functionCall": {\n'
    b'              "name": "f",\n              "args": {"x": [1]}\n            }\n'
    b'          }\n        ]\n      },\n      "finishReason": "STOP"\n    }\n  ],\n'
    b'  "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4,'
    b' "totalTokenCount": 7}\n}\n]'
)


def test_json_array_stream_loses_no_object(core: ModuleType) -> None:
    """Without `alt=sse` Gemini sends one JSON array: every element is a chunk, the first
    one too (it starts after the `[`), on every split."""
    whole = decode(core, "gemini", [JSON_ARRAY])
    assert whole.error is None
    assert whole.reasoning == 'Think "{["'
    assert whole.text == "caf\u00e9 "
    assert [(c.name, c.arguments) for c in whole.of("ToolCallDone")] == [("f", {"x": [1]})]
    assert [(u.input_tokens, u.output_tokens) for u in whole.of("Usage")] == [(3, 4)]
    assert whole.events[-1].raw_reason == "STOP"
    for chunks in all_splits(JSON_ARRAY)[1:]:
        result = decode(core, "gemini", chunks)
        assert result.plain() == whole.plain()
        assert result.error is None


def test_json_array_on_one_line_and_an_array_wrapped_error(core: ModuleType) -> None:
    one_line = (
        b'[{"candidates":[{"content":{"parts":[{"text":"a]"}]}}]},'
        b'{"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}]}]'
    )
    result = decode(core, "gemini", [one_line])
    assert (result.error, result.text) == (None, "a]b")
    error = b'[{\n  "error": {\n    "code": 429,\n    "status": "RESOURCE_EXHAUSTED"\n  }\n}\n]\n'
    result = decode(core, "gemini", bytewise(error))
    assert result.error is None
    assert result.events[-1].raw_reason == "RESOURCE_EXHAUSTED"
    # A malformed element raises at its own first byte, past the `[` and the elements
    # before it (counted in bytes).
    bad = b'[{"candidates":[{"content":{"parts":[{"text":"\xc3\xa9"}]}}]}, {bad}]'
    result = decode(core, "gemini", [bad])
    assert isinstance(result.error, JsonStreamError)
    assert result.error.position == bad.index(b"{bad}")
    assert result.text == "\u00e9"


ORDER_CASES = {
    # An error object between two data frames: the stream ends at the error, however the
    # bytes are cut (the second frame is never delivered).
    "error-between-frames": (
        b'data: {"candidates":[{"content":{"parts":[{"text":"a"}]}}]}\n\n'
        b'{\n  "error": {"code": 500, "message": "m", "status": "INTERNAL"}\n}\n'
        b'data: {"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}]}\n\n'
    ),
    # A malformed object between frames: the error, and the events before it, are the same
    # for every cut.
    "malformed-between-frames": (
        b'data: {"candidates":[{"content":{"parts":[{"text":"a"}]}}]}\r\n\r\n'
        b'{\r\n "error": tru }\r\n}\r\n'
        b'data: {"candidates":[{"content":{"parts":[{"text":"b"}]}}]}\r\n\r\n'
    ),
    # The object's lines inside a block that is still collecting data lines.
    "error-inside-a-block": (
        b'data: {"candidates":[{"content":{"parts":[{"text":"a"}]}}]}\n'
        b'{"error": {"code": 429, "message": "slow", "status": "RESOURCE_EXHAUSTED"}}\n\n'
        b'data: {"candidates":[{"content":{"parts":[{"text":"b"}]}}]}\n\n'
    ),
}


@pytest.mark.parametrize("case", sorted(ORDER_CASES))
def test_bare_objects_keep_stream_order_on_every_split(core: ModuleType, case: str) -> None:
    """A bare error object is handled where it ends in the stream, in order with the data
    frames, so events, their order and the error position do not depend on the cuts."""
    data = ORDER_CASES[case]
    whole = decode(core, "gemini", [data])
    for chunks in [bytewise(data), *two_way_splits(data)]:
        result = decode(core, "gemini", chunks)
        assert result.plain() == whole.plain(), chunks
        assert error_summary(result.error) == error_summary(whole.error)
    if case == "error-between-frames":
        assert whole.text == "a"
        assert whole.events[-1].raw_reason == "INTERNAL"
    elif case == "malformed-between-frames":
        assert isinstance(whole.error, JsonStreamError)
        assert whole.text == "a"
    else:
        assert whole.events[-1].raw_reason == "RESOURCE_EXHAUSTED"


# --- streamed function-call arguments (Vertex AI `partialArgs`) ---------------------------


def partial(
    path: str, value: object = None, kind: str = "stringValue", more: bool = False
) -> dict[str, object]:
    entry: dict[str, object] = {"jsonPath": path}
    if kind == "nullValue":
        entry["nullValue"] = "NULL_VALUE"
    elif value is not None:
        entry[kind] = value
    if more:
        entry["willContinue"] = True
    return entry


def call_part(**call: object) -> dict[str, object]:
    return {"functionCall": call}


STREAMED = sse(
    chunk(call_part(name="plan", willContinue=True)),
    chunk(call_part(partialArgs=[partial("$.title", "Lasa", more=True)], willContinue=True)),
    chunk(
        call_part(
            partialArgs=[
                partial("$.title", "gna", more=True),
                partial("$.steps[1].text", "bake"),
                partial("$.steps[0]['the text']", "boil"),
            ],
            willContinue=True,
        )
    ),
    chunk(
        call_part(
            partialArgs=[
                partial("$.title", ""),
                partial("$.servings", 4, "numberValue"),
                partial("$.ratio", 0.5, "numberValue"),
                partial("$.vegan", False, "boolValue"),
                partial("$.note", kind="nullValue"),
            ],
            willContinue=True,
        )
    ),
    chunk(call_part()),
    chunk(call_part(name="second", willContinue=True)),
    chunk(call_part(partialArgs=[partial("$.q", "x")])),
    chunk(call_part()),
    chunk(function_call("whole", {"a": 1})),
    chunk(text("done"), finish="STOP"),
)
STREAMED_ARGUMENTS = [
    (
        "plan",
        {
            "title": "Lasagna",
            "steps": [{"the text": "boil"}, {"text": "bake"}],
            "servings": 4,
            "ratio": 0.5,
            "vegan": False,
            "note": None,
        },
    ),
    ("second", {"q": "x"}),
    ("whole", {"a": 1}),
]


def test_streamed_partial_args_assemble_into_one_call_each(core: ModuleType) -> None:
    """A call whose arguments stream as `partialArgs` is one call with its name and the
    assembled object, whatever the cuts; an empty `functionCall: {}` closes it, a part
    without `willContinue` also does (the `{}` after it closes nothing)."""
    whole = decode(core, "gemini", [STREAMED])
    assert whole.error is None
    check_invariants(whole)
    done = whole.of("ToolCallDone")
    assert [(c.name, c.arguments) for c in done] == STREAMED_ARGUMENTS
    assert whole.of("ToolCallInvalid") == []
    assert [s.name for s in whole.of("ToolCallStart")] == ["plan", "second", "whole"]
    assert plain(whole.events[-1]) == ("Finish", "tool_calls", "STOP")
    for chunks in [bytewise(STREAMED), *two_way_splits(STREAMED, 40)]:
        assert decode(core, "gemini", chunks).plain() == whole.plain()


def test_an_open_streamed_call_ends_at_the_finish_reason(core: ModuleType) -> None:
    data = sse(
        chunk(call_part(name="f", id="call-1", willContinue=True)),
        chunk(call_part(partialArgs=[partial("$.a[0]", 1, "numberValue")], willContinue=True)),
        chunk(finish="STOP"),
    )
    result = decode(core, "gemini", [data])
    [done] = result.of("ToolCallDone")
    assert (done.id, done.name, done.arguments, done.raw) == (
        "call-1",
        "f",
        {"a": [1]},
        '{"a":[1]}',
    )


def test_a_string_goes_on_only_after_will_continue(core: ModuleType) -> None:
    data = sse(
        chunk(call_part(name="f", willContinue=True)),
        chunk(
            call_part(
                partialArgs=[
                    partial("$.a", "x"),
                    partial("$.a", "y"),
                    partial("$.b", "p", more=True),
                    partial("$.b", "q"),
                    partial("$.b", "r"),
                ],
                willContinue=True,
            )
        ),
        chunk(call_part(), finish="STOP"),
    )
    [done] = decode(core, "gemini", [data]).of("ToolCallDone")
    assert done.arguments == {"a": "y", "b": "r"}


def test_a_new_named_call_ends_the_streamed_one(core: ModuleType) -> None:
    data = sse(
        chunk(call_part(name="f", willContinue=True)),
        chunk(call_part(partialArgs=[partial("$.a", "x", more=True)], willContinue=True)),
        chunk(call_part(name="g", willContinue=True)),
        chunk(call_part(partialArgs=[partial("$.b", True, "boolValue")], willContinue=True)),
        chunk(call_part(), finish="STOP"),
    )
    result = decode(core, "gemini", [data])
    assert [(c.name, c.arguments) for c in result.of("ToolCallDone")] == [
        ("f", {"a": "x"}),
        ("g", {"b": True}),
    ]


def test_a_streamed_call_cut_off_is_a_partial_call(core: ModuleType) -> None:
    data = sse(
        chunk(call_part(name="f", willContinue=True)),
        chunk(call_part(partialArgs=[partial("$.a", "x", more=True)], willContinue=True)),
    )
    result = decode(core, "gemini", [data])
    assert isinstance(result.error, StreamTruncated)
    [open_call] = result.error.partial_tool_calls
    # What arrived is kept: the arguments so far, as unfinished JSON.
    assert (open_call.name, open_call.raw, open_call.partial) == ("f", '{"a":"x"', {"a": "x"})
    assert arguments_of(result.events) == {0: '{"a":"x"'}


def test_an_error_cuts_a_streamed_call_off(core: ModuleType) -> None:
    """An error object while a call's arguments stream: the call is unfinished
    (`ToolCallInvalid` with what arrived), not a complete call with invented arguments."""
    data = sse(
        chunk(call_part(name="f", willContinue=True)),
        chunk(call_part(partialArgs=[partial("$.a", 1, "numberValue")], willContinue=True)),
        {"error": {"code": 500, "message": "m", "status": "INTERNAL"}},
    )
    result = decode(core, "gemini", [data])
    assert result.error is None
    assert result.of("ToolCallDone") == []
    [invalid] = result.of("ToolCallInvalid")
    assert (invalid.name, invalid.raw) == ("f", '{"a":1')
    assert plain(result.events[-1]) == ("Finish", "error", "INTERNAL")


@pytest.mark.parametrize(
    "path", ["a", "$", "$[0]", "$.", "$.a[x]", "$['a'", "$.a[1", "$..a", "$.a b['c']x"]
)
def test_a_malformed_json_path_is_a_json_error_at_the_frame(core: ModuleType, path: str) -> None:
    head = sse(chunk(call_part(name="f", willContinue=True)))
    data = head + sse(chunk(call_part(partialArgs=[partial(path, "v")], willContinue=True)))
    result = decode(core, "gemini", [data])
    assert isinstance(result.error, JsonStreamError)
    assert result.error.position == len(head)
    assert "jsonPath" in result.error.message or "no jsonPath" in result.error.message


def test_json_path_depth_and_index_limits(core: ModuleType) -> None:
    def stream(path: str) -> bytes:
        return sse(
            chunk(call_part(name="f", willContinue=True)),
            chunk(call_part(partialArgs=[partial(path, "v")]), finish="STOP"),
        )

    deepest = "$" + ".a" * 64
    result = decode(core, "gemini", [stream(deepest)])
    assert result.error is None
    assert result.of("ToolCallDone")[0].raw.count("{") == 64
    too_deep = decode(core, "gemini", [stream(deepest + ".a")])
    assert type(too_deep.error).__name__ == "LimitExceeded"
    assert decode(core, "gemini", [stream("$.a[65535]")]).error is None
    too_far = decode(core, "gemini", [stream("$.a[65536]")])
    assert type(too_far.error).__name__ == "LimitExceeded"


@pytest.mark.parametrize("seed", range(100))
def test_random_partial_args_agree_on_both_backends(seed: int) -> None:
    """Random `partialArgs` (paths that clash, strings that go on, every value kind) decode
    to the same events and errors on both backends."""
    rng = random.Random(seed)
    paths = ["$.a", "$.a.b", "$.a[0]", "$.a[2].c", "$['a']", "$.b", "$.b[1][0]", "$.c"]
    values = [
        ("stringValue", "x"),
        ("stringValue", "y"),
        ("stringValue", ""),
        ("stringValue", 'é\\"'),
        ("numberValue", 3),
        ("numberValue", -2.5e-3),
        ("boolValue", True),
        ("nullValue", None),
        ("numberValue", "7"),
    ]
    frames = []
    for _ in range(rng.randrange(1, 8)):
        if rng.random() < 0.2:
            frames.append(chunk(call_part(name=rng.choice(["f", "g"]), willContinue=True)))
            continue
        entries = []
        for _ in range(rng.randrange(6)):
            kind, value = rng.choice(values)
            entries.append(partial(rng.choice(paths), value, kind, rng.random() < 0.5))
        more = rng.random() < 0.7
        frames.append(chunk(call_part(partialArgs=entries, willContinue=more)))
    frames.append(chunk(call_part(), finish="STOP"))
    data = sse(*frames)
    native, python = (
        decode(core, "gemini", random_splits(data, seed)) for core in BACKENDS.values()
    )
    assert native.plain() == python.plain()
    assert error_summary(native.error) == error_summary(python.error)


def test_a_part_repeating_the_open_calls_name_goes_on_with_it(core: ModuleType) -> None:
    """After `willContinue: true` the next part belongs to the same call, also when the
    server repeats the name (or id); another name, another id or whole `args` start a new
    call."""
    data = sse(
        chunk(call_part(name="f", id="1", willContinue=True)),
        chunk(call_part(name="f", partialArgs=[partial("$.a", "x", more=True)], willContinue=True)),
        chunk(call_part(id="1", partialArgs=[partial("$.a", "y")], willContinue=True)),
        chunk(call_part(name="f", id="2", willContinue=True)),
        chunk(call_part(name="g", partialArgs=[partial("$.b", 1, "numberValue")])),
        chunk(call_part(name="g", args={"c": 2})),
        chunk(call_part(name=""), finish="STOP"),
    )
    result = decode(core, "gemini", [data])
    calls = [(c.id, c.name, c.arguments) for c in result.of("ToolCallDone")]
    assert calls[0] == ("1", "f", {"a": "xy"})
    assert calls[1] == ("2", "f", {})
    assert [c[1:] for c in calls[2:]] == [("g", {"b": 1}), ("g", {"c": 2})]
