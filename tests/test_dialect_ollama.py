"""StreamDecoder("ollama"): Ollama's native ``/api/chat`` NDJSON stream."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import TRANSCRIPTS, check_invariants, decode, error_summary, plain
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
from fluent_ai.errors import JsonStreamError, LimitExceeded, StreamTruncated

DIALECT = "ollama"
TRANSCRIPT = (TRANSCRIPTS / "ollama_chat_tool_call.ndjson").read_bytes()


def ndjson(*lines: object, line_end: str = "\n", last_line_end: bool = True) -> bytes:
    """One JSON text per line (strings are written as they are)."""
    texts = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    body = line_end.join(texts)
    return (body + line_end if last_line_end and texts else body).encode()


def line(
    content: str = "",
    thinking: str | None = None,
    tool_calls: list[object] | None = None,
) -> dict[str, object]:
    message: dict[str, object] = {"role": "assistant", "content": content}
    if thinking is not None:
        message["thinking"] = thinking
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return {
        "model": "llama3.2",
        "created_at": "2025-07-07T20:22:19Z",
        "message": message,
        "done": False,
    }


def call(
    name: str, arguments: object, id: str | None = None, index: int | None = None
) -> dict[str, object]:
    function: dict[str, object] = {"name": name, "arguments": arguments}
    if index is not None:
        function["index"] = index
    entry: dict[str, object] = {"function": function}
    if id is not None:
        entry["id"] = id
    return entry


def done(
    reason: str | None = "stop", prompt: int | None = 10, output: int | None = 20
) -> dict[str, object]:
    final = line()
    final["done"] = True
    if reason is not None:
        final["done_reason"] = reason
    if prompt is not None:
        final["prompt_eval_count"] = prompt
    if output is not None:
        final["eval_count"] = output
    final["total_duration"] = 182242375
    return final


# --- the transcript -----------------------------------------------------------------------


@pytest.mark.parametrize("split", range(7))
def test_transcript(core: ModuleType, split: int) -> None:
    result = decode(core, DIALECT, all_splits(TRANSCRIPT)[split])
    assert result.error is None
    check_invariants(result)
    assert result.text == "" and result.reasoning == ""
    assert [plain(e) for e in result.of("ToolCallStart")] == [
        ("ToolCallStart", 0, "call_k3v9x2qa", "get_weather"),
        ("ToolCallStart", 1, "call_7fz0m1rd", "get_weather"),
    ]
    assert [plain(e) for e in result.of("ToolCallDelta")] == [
        ("ToolCallDelta", 0, '{"city":"Tokyo"}'),
        ("ToolCallDelta", 1, '{"city":"Paris"}'),
    ]
    calls = result.of("ToolCallDone")
    assert [plain(e) for e in calls] == [
        ("ToolCallDone", 0, "call_k3v9x2qa", "get_weather", {"city": "Tokyo"}, '{"city":"Tokyo"}'),
        ("ToolCallDone", 1, "call_7fz0m1rd", "get_weather", {"city": "Paris"}, '{"city":"Paris"}'),
    ]
    assert result.decoder.tool_calls == calls
    # Early completion: call 0 is done before call 1 starts.
    names = [(type(e).__name__, getattr(e, "index", None)) for e in result.events]
    assert names.index(("ToolCallDone", 0)) < names.index(("ToolCallStart", 1))
    [usage] = result.of("Usage")
    assert plain(usage) == ("Usage", 169, 31, 200, None, None, None)
    assert result.decoder.usage == usage
    assert [type(e).__name__ for e in result.events][-2:] == ["Usage", "Finish"]
    # done_reason stays "stop" when the turn ended with tool calls.
    assert [(f.reason, f.raw_reason) for f in result.of("Finish")] == [("tool_calls", "stop")]
    assert result.decoder.finish_reason == "tool_calls"


def test_events_come_in_the_feed_that_completes_their_line(core: ModuleType) -> None:
    decoder = core.StreamDecoder(DIALECT)
    batches = [
        [type(e).__name__ for e in decoder.feed(text)]
        for text in TRANSCRIPT.splitlines(keepends=True)
    ]
    assert batches == [
        ["ToolCallStart", "ToolCallDelta", "ToolCallDone"],
        ["ToolCallStart", "ToolCallDelta", "ToolCallDone"],
        ["Usage", "Finish"],
    ]
    assert decoder.finish() == []


@pytest.mark.parametrize("line_end", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_last_line_without_line_end_is_a_frame_at_finish(core: ModuleType, line_end: str) -> None:
    data = ndjson(line("Hi"), "", "  \t", done(), line_end=line_end, last_line_end=False)
    decoder = core.StreamDecoder(DIALECT)
    assert [plain(e) for e in decoder.feed(data)] == [("TextDelta", "Hi", 0)]
    assert [type(e).__name__ for e in decoder.finish()] == ["Usage", "Finish"]
    for chunks in [bytewise(data), *two_way_splits(data)]:
        result = decode(core, DIALECT, chunks)
        assert result.error is None
        assert result.text == "Hi"
        assert plain(result.events[-1]) == ("Finish", "stop", "stop")


# --- quirks -------------------------------------------------------------------------------


def test_thinking_and_content(core: ModuleType) -> None:
    data = ndjson(
        line(thinking="Let me"),
        line(thinking=" think."),
        line("The answer", thinking=""),
        line(" is 4."),
        done(),
    )
    result = decode(core, DIALECT, bytewise(data))
    assert result.reasoning == "Let me think."
    assert result.text == "The answer is 4."
    assert [type(e).__name__ for e in result.events] == [
        "ReasoningDelta",
        "ReasoningDelta",
        "TextDelta",
        "TextDelta",
        "Usage",
        "Finish",
    ]
    assert plain(result.events[-1]) == ("Finish", "stop", "stop")


def test_generate_stream_text_and_thinking_are_top_level(core: ModuleType) -> None:
    """`/api/generate` (Ollama's documented streaming example, and its mid-stream error):
    the same lines with `response` and `thinking` at the top level; none of it is lost."""
    head = {"model": "gemma4", "created_at": "2025-10-26T17:15:24.097767Z"}
    data = ndjson(
        {**head, "response": "", "thinking": "Hm", "done": False},
        {**head, "response": "That", "done": False},
        {**head, "response": "'s", "done": False},
        {**head, "response": "!", "done": True, "done_reason": "stop", "eval_count": 3},
    )
    for chunks in [[data], bytewise(data), *two_way_splits(data)]:
        result = decode(core, DIALECT, chunks)
        assert result.error is None
        assert (result.reasoning, result.text) == ("Hm", "That's!")
        assert plain(result.events[-1]) == ("Finish", "stop", "stop")
    failed = ndjson(
        {**head, "response": " Yes", "done": False},
        {"error": "an error was encountered while running the model"},
    )
    result = decode(core, DIALECT, [failed])
    assert result.text == " Yes"
    assert [(e.type, e.message) for e in result.of("ProviderErrorEvent")] == [
        (None, "an error was encountered while running the model")
    ]


def test_calls_without_id_or_index_get_unique_synthesized_ids(core: ModuleType) -> None:
    data = ndjson(
        line(tool_calls=[call("a", {"x": 1}), None, call("b", {}), "junk"]),
        line(tool_calls=[call("a", {"x": 2}, index=0)]),
        done(),
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    calls = result.of("ToolCallDone")
    assert [(c.index, c.name, c.arguments, c.raw) for c in calls] == [
        (0, "a", {"x": 1}, '{"x":1}'),
        (1, "b", {}, "{}"),
        (2, "a", {"x": 2}, '{"x":2}'),
    ]
    assert all(SYNTHESIZED.match(c.id) for c in calls)
    assert len({c.id for c in calls}) == 3
    assert [s.id for s in result.of("ToolCallStart")] == [c.id for c in calls]


def test_arguments_as_text_and_without_arguments(core: ModuleType) -> None:
    data = ndjson(
        line(
            tool_calls=[
                call("text", '{"a": [1, 2]}', id="t"),
                {"id": "n", "function": {"name": "none"}},
            ]
        ),
        done(),
    )
    result = decode(core, DIALECT, [data])
    check_invariants(result)
    assert [(c.id, c.arguments, c.raw) for c in result.of("ToolCallDone")] == [
        ("t", {"a": [1, 2]}, '{"a": [1, 2]}'),
        ("n", {}, ""),
    ]


def test_non_ascii_arguments_give_compact_raw(core: ModuleType) -> None:
    args = {"city": "S\u00e3o Paulo \u4e2d\U0001f600", "q": 'a"\\\n', "n": [1.25, -3, None, False]}
    for ensure_ascii in (True, False):
        data = (
            json.dumps(line(tool_calls=[call("f", args)]), ensure_ascii=ensure_ascii) + "\n"
        ).encode()
        data += ndjson(done())
        for chunks in [bytewise(data), *two_way_splits(data, 40)]:
            [got] = decode(core, DIALECT, chunks).of("ToolCallDone")
            assert (got.arguments, got.raw) == (args, compact(args))


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("stop", ("stop", "stop")),
        ("length", ("length", "length")),
        ("load", ("other", "load")),
        (None, ("other", None)),
    ],
)
def test_done_reasons(
    core: ModuleType, reason: str | None, expected: tuple[str, str | None]
) -> None:
    result = decode(core, DIALECT, [ndjson(line("x"), done(reason))])
    assert result.error is None
    assert (result.events[-1].reason, result.events[-1].raw_reason) == expected


def test_length_with_a_call_is_still_length(core: ModuleType) -> None:
    result = decode(core, DIALECT, [ndjson(line(tool_calls=[call("f", {})]), done("length"))])
    assert plain(result.events[-1]) == ("Finish", "length", "length")


def test_usage_fields_may_be_missing(core: ModuleType) -> None:
    result = decode(core, DIALECT, [ndjson(done(prompt=None, output=7))])
    assert [plain(u) for u in result.of("Usage")] == [("Usage", None, 7, None, None, None, None)]
    result = decode(core, DIALECT, [ndjson(done(prompt=None, output=None))])
    assert result.of("Usage") == []
    assert [type(e).__name__ for e in result.events] == ["Finish"]


def test_lines_after_done_are_ignored(core: ModuleType) -> None:
    result = decode(core, DIALECT, [ndjson(line("a"), done(), line("late"), "{not json")])
    assert result.error is None
    assert result.text == "a"


# --- errors -------------------------------------------------------------------------------


def test_error_line_ends_the_stream(core: ModuleType) -> None:
    error_line = '{"error":"model runner has unexpectedly stopped"}'
    data = ndjson(line("partial"), error_line, line("after"), done())
    for chunks in all_splits(data):
        result = decode(core, DIALECT, chunks)
        assert result.error is None, "an in-stream error ends the stream: finish() does not raise"
        check_invariants(result)
        assert result.text == "partial"
        assert [plain(e) for e in result.of("ProviderErrorEvent")] == [
            ("ProviderErrorEvent", None, "model runner has unexpectedly stopped", error_line)
        ]
        assert plain(result.events[-1]) == ("Finish", "error", None)
        assert result.decoder.finish_reason == "error"


def test_error_object_and_crlf_error_line(core: ModuleType) -> None:
    result = decode(core, DIALECT, [b'{"error": {"message": "boom"}}\r\n'])
    assert [plain(e) for e in result.of("ProviderErrorEvent")] == [
        ("ProviderErrorEvent", None, "boom", '{"error": {"message": "boom"}}')
    ]


def test_truncated_stream(core: ModuleType) -> None:
    data = ndjson(line("partial "), line(tool_calls=[call("f", {"a": 1}, id="c")]), line("text"))
    for chunks in [[data], bytewise(data)]:
        result = decode(core, DIALECT, chunks)
        error = result.error
        assert isinstance(error, StreamTruncated)
        assert error.position == len(data)
        assert error.partial_text == "partial text"
        assert error.partial_tool_calls == [], "whole calls are never left unfinished"
        assert [c.id for c in result.of("ToolCallDone")] == ["c"]
        assert '"done": true' in error.message and "ollama" in error.message


def test_malformed_line_raises_at_its_start(core: ModuleType) -> None:
    good = ndjson(line("ok"), "", line_end="\r\n")
    data = good + b'{"message": {"content": }\r\n' + ndjson(done())
    check_malformed_frame(core, DIALECT, good, data, byte=24)


def test_malformed_last_line_without_line_end_fails_at_finish(core: ModuleType) -> None:
    good = ndjson(line("ok"))
    decoder = core.StreamDecoder(DIALECT)
    assert [e.text for e in decoder.feed(good + b"[1,")] == ["ok"]
    with pytest.raises(JsonStreamError) as caught:
        decoder.finish()
    assert caught.value.position == len(good)


def test_line_longer_than_the_limit(core: ModuleType) -> None:
    limit = 8 * 1024 * 1024
    good = ndjson(line("before"))
    long_line = b'{"message": {"content": "' + b"a" * limit
    data = good + long_line
    step = len(data) // 3
    result = decode(core, DIALECT, [data[:step], data[step : 2 * step], data[2 * step :]])
    error = result.error
    assert isinstance(error, LimitExceeded)
    assert (error.limit, error.position) == (limit, len(good) + limit)
    assert error.message == f"NDJSON line longer than max_line_bytes={limit}"
    assert result.text == "before"


# --- generated streams --------------------------------------------------------------------

# Pieces of NDJSON, good and bad, and every kind of line end (only LF ends a line).
PIECE = st.sampled_from(
    [
        json.dumps(line("a\u00e9")),
        json.dumps(line(thinking="t")),
        json.dumps(line(tool_calls=[call("f", {"k": [1]})])),
        json.dumps(done()),
        '{"error": "e"}',
        "{}",
        "[1]",
        '{"message": ',
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\r\r\n",
        "\r",
    ]
)


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(PIECE, max_size=12), seed=st.integers(0, 1000))
def test_backends_frame_any_line_soup_alike(pieces: list[str], seed: int) -> None:
    data = "".join(pieces).encode()
    results = [decode(core, DIALECT, random_splits(data, seed)) for core in BACKENDS.values()]
    assert results[0].plain() == results[1].plain()
    assert error_summary(results[0].error) == error_summary(results[1].error)
    assert results[0].calls == results[1].calls, "the same events in the same feed() calls"
    excerpts = [getattr(r.error, "excerpt", None) for r in results]
    assert excerpts[0] == excerpts[1], "same split, same excerpt"


CALL = st.tuples(NAME, ARGS, ID)
LINE = st.one_of(
    st.tuples(st.just("text"), TEXT),
    st.tuples(st.just("thinking"), TEXT),
    st.tuples(st.just("calls"), st.lists(CALL, min_size=1, max_size=3)),
    st.tuples(st.just("blank"), st.sampled_from(["", " ", "\t "])),
)


@st.composite
def generated_stream(draw: st.DrawFn) -> tuple[Generated, str]:
    """Random text, thinking, blank lines and whole tool calls, in one framing, with a
    random ending (a last line with or without its line end); returns the stream and the
    done_reason of a finished one."""
    lines: list[Any] = draw(st.lists(LINE, max_size=8))
    line_end = draw(st.sampled_from(["\n", "\r\n"]))
    ensure_ascii = draw(st.booleans())
    counter = 0
    wire: list[str] = []
    for kind, value in lines:
        if kind == "blank":
            wire.append(value)
            continue
        if kind == "calls":
            entries: list[object] = []
            for name, args, id in value:
                entries.append(call(name, args, id, counter if draw(st.booleans()) else None))
                counter += 1
            payload = line(tool_calls=entries)
        else:
            payload = line(value) if kind == "text" else line(thinking=value)
        wire.append(json.dumps(payload, ensure_ascii=ensure_ascii))
    prefix = "".join(text + line_end for text in wire).encode()
    ending = draw(st.sampled_from(ENDINGS))
    reason = draw(st.sampled_from(["stop", "length"]))
    suffix = {
        "finished": json.dumps(done(reason, 3, 4)),
        "error": '{"error": "boom"}',
        "malformed": '{"message": ',
        "truncated": "",
    }[ending]
    if suffix and draw(st.booleans()):
        suffix += line_end  # else the last line is a frame at finish()
    stream = Generated(
        data=prefix + suffix.encode(),
        prefix_length=len(prefix),
        ending=ending,
        text="".join(value for kind, value in lines if kind == "text"),
        reasoning="".join(value for kind, value in lines if kind == "thinking"),
        calls=[c for kind, value in lines if kind == "calls" for c in value],
    )
    return stream, reason


@settings(max_examples=80, deadline=None)
@given(generated=generated_stream(), seed=st.integers(0, 1000))
def test_generated_streams_decode_to_what_was_encoded(
    generated: tuple[Generated, str], seed: int
) -> None:
    stream, reason = generated
    for result in decode_generated(DIALECT, stream, seed):
        if stream.ending == "finished":
            expected = "tool_calls" if reason == "stop" and stream.calls else reason
            assert plain(result.events[-1]) == ("Finish", expected, reason)
            assert plain(result.of("Usage")[-1]) == ("Usage", 3, 4, 7, None, None, None)
        elif stream.ending == "error":
            assert plain(result.events[-1]) == ("Finish", "error", None)
            assert [e.message for e in result.of("ProviderErrorEvent")] == ["boom"]
