"""StreamDecoder("openai-chat"): OpenAI, Azure and every OpenAI-compatible server."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import TRANSCRIPTS, check_invariants, decode, error_summary

from chunking import bytewise, random_splits, two_way_splits
from conftest import BACKENDS
from fluent_ai import errors
from fluent_ai.errors import JsonStreamError, StreamTruncated

DIALECT = "openai-chat"


def transcript(name: str) -> bytes:
    return (TRANSCRIPTS / name).read_bytes()


def all_splits(data: bytes) -> list[list[bytes]]:
    return [[data], bytewise(data), *[random_splits(data, seed) for seed in range(5)]]


@pytest.mark.parametrize("split", range(7))
def test_text_transcript(core: ModuleType, split: int) -> None:
    data = transcript("openai_chat_text.txt")
    result = decode(core, DIALECT, all_splits(data)[split])
    assert result.error is None
    check_invariants(result)
    assert result.text == (
        "I'm unable to provide real-time weather updates. To get the current weather in "
        "San Francisco, I recommend checking a reliable weather website or a weather app."
    )
    assert result.decoder.text == result.text
    assert result.of("Usage") == []
    assert [(f.reason, f.raw_reason) for f in result.of("Finish")] == [("stop", "stop")]


@pytest.mark.parametrize("split", range(7))
def test_parallel_tool_calls_transcript(core: ModuleType, split: int) -> None:
    data = transcript("openai_chat_parallel_tool_calls.txt")
    result = decode(core, DIALECT, all_splits(data)[split])
    assert result.error is None
    check_invariants(result)
    done = result.of("ToolCallDone")
    assert [(c.index, c.id, c.name, c.arguments) for c in done] == [
        (0, "call_JMW1whyEaYG438VE1OIflxA2", "GetWeatherArgs",
         {"city": "Edinburgh", "country": "GB", "units": "c"}),
        (1, "call_DNYTawLBoN8fj3KN6qU9N1Ou", "get_stock_price",
         {"ticker": "AAPL", "exchange": "NASDAQ"}),
    ]  # fmt: skip
    assert result.decoder.tool_calls == done
    usage = result.of("Usage")[-1]
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (149, 60, 209)
    assert result.events[-1].reason == "tool_calls"
    # Early completion: call 0 is done before call 1 starts.
    names = [(type(e).__name__, getattr(e, "index", None)) for e in result.events]
    assert names.index(("ToolCallDone", 0)) < names.index(("ToolCallStart", 1))


def test_usage_transcript(core: ModuleType) -> None:
    result = decode(core, DIALECT, [transcript("openai_chat_usage.txt")])
    usage = result.of("Usage")
    assert [
        (u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens) for u in usage
    ] == [(14, 30, 44, 0)]
    assert usage[0].cache_read_tokens is None and usage[0].cache_write_tokens is None
    names = [type(e).__name__ for e in result.events]
    assert names[-2:] == ["Usage", "Finish"], "Finish comes after the usage chunk"
    assert result.decoder.usage == usage[0]
    assert result.decoder.finish_reason == "stop"


@pytest.mark.parametrize("split", range(7))
def test_midstream_error_transcript(core: ModuleType, split: int) -> None:
    data = transcript("openai_error_midstream.txt")
    result = decode(core, DIALECT, all_splits(data)[split])
    assert result.error is None, "an in-stream error ends the stream: finish() does not raise"
    check_invariants(result)
    assert result.text == 'The question "'
    error = result.of("ProviderErrorEvent")
    assert [(e.type, e.message) for e in error] == [
        ("server_error",
         "The server had an error while processing your request. Sorry about that!")
    ]  # fmt: skip
    assert json.loads(error[0].raw)["error"]["type"] == "server_error"
    assert [(f.reason, f.raw_reason) for f in result.of("Finish")] == [("error", "server_error")]


def test_deepseek_reasoning_transcript(core: ModuleType) -> None:
    result = decode(core, DIALECT, bytewise(transcript("deepseek_reasoning.txt")))
    assert result.reasoning == (
        "Okay, the user asks which is larger: 9.11 or 9.8. 9.8 = 9.80, and 80 > 11 in the "
        "hundredths, so 9.8 is larger."
    )
    assert result.text == "9.8 is larger than 9.11."
    usage = result.of("Usage")[-1]
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (18, 47, 65)
    assert (usage.reasoning_tokens, usage.cache_read_tokens) == (37, 0)


def test_openrouter_comments_transcript(core: ModuleType) -> None:
    result = decode(core, DIALECT, bytewise(transcript("openrouter_with_comments.txt")))
    assert result.text == "Hello! How can I help you today?"
    usage = result.of("Usage")[-1]
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (9, 10, 19)
    assert result.events[-1].reason == "stop"


def sse(*payloads: object, done: str | None = "data: [DONE]\n\n") -> bytes:
    body = b"".join(
        b"data: " + (p if isinstance(p, str) else json.dumps(p)).encode() + b"\n\n"
        for p in payloads
    )
    return body + (done.encode() if done else b"")


def chunk(
    delta: dict[str, object] | None = None, finish: str | None = None, **extra: object
) -> dict[str, object]:
    choice: dict[str, object] = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return {"object": "chat.completion.chunk", "choices": [choice], **extra}


def call(
    index: int | None, id: str | None = None, name: str | None = None, arguments: object = None
) -> dict[str, object]:
    fragment: dict[str, object] = {}
    if index is not None:
        fragment["index"] = index
    if id is not None:
        fragment["id"] = id
    function: dict[str, object] = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    fragment["function"] = function
    return fragment


def test_id_repeated_on_every_fragment(core: ModuleType) -> None:
    data = sse(
        chunk({"tool_calls": [call(0, "c1", "f", '{"a"')]}),
        chunk({"tool_calls": [call(0, "c1", None, ": 1}")]}),
        chunk(finish="tool_calls"),
    )
    result = decode(core, DIALECT, [data])
    assert [(c.id, c.arguments) for c in result.of("ToolCallDone")] == [("c1", {"a": 1})]
    assert len(result.of("ToolCallStart")) == 1


def test_interleaved_parallel_calls(core: ModuleType) -> None:
    data = sse(
        chunk({"tool_calls": [call(0, "a", "f", '{"x":'), call(1, "b", "g", '{"y":')]}),
        chunk({"tool_calls": [call(1, None, None, "2}")]}),
        chunk({"tool_calls": [call(0, None, None, "1}")]}),
        chunk(finish="tool_calls"),
    )
    result = decode(core, DIALECT, bytewise(data))
    check_invariants(result)
    assert [(c.index, c.id, c.arguments) for c in result.of("ToolCallDone")] == [
        (1, "b", {"y": 2}),
        (0, "a", {"x": 1}),
    ]


def test_empty_arguments_give_empty_object(core: ModuleType) -> None:
    data = sse(chunk({"tool_calls": [call(0, "c", "now", "")]}), chunk(finish="tool_calls"))
    result = decode(core, DIALECT, [data])
    assert [(c.arguments, c.raw) for c in result.of("ToolCallDone")] == [({}, "")]


def test_whole_call_in_one_chunk_and_missing_index(core: ModuleType) -> None:
    data = sse(
        chunk({"tool_calls": [call(None, "m1", "f", '{"a": 1}'), call(None, "m2", "g", "{}")]}),
        chunk(finish="tool_calls"),
    )
    result = decode(core, DIALECT, [data])
    assert [(c.index, c.id, c.arguments) for c in result.of("ToolCallDone")] == [
        (0, "m1", {"a": 1}),
        (1, "m2", {}),
    ]


def test_escape_and_utf8_split_across_fragments_and_reads(core: ModuleType) -> None:
    fragments = ['{"s": "a\\', "n\\u00", "e9 \u00e9", '\u4e2d"}']
    data = sse(
        *[
            chunk({"tool_calls": [call(0, "c" if i == 0 else None, "f" if i == 0 else None, f)]})
            for i, f in enumerate(fragments)
        ],
        chunk(finish="tool_calls"),
    )
    for chunks in [bytewise(data), *two_way_splits(data, 40)]:
        result = decode(core, DIALECT, chunks)
        assert [c.arguments for c in result.of("ToolCallDone")] == [{"s": "a\n\u00e9 \u00e9\u4e2d"}]


def test_empty_choices_and_content_filter_chunks(core: ModuleType) -> None:
    data = sse(
        {"choices": [], "prompt_filter_results": [{"prompt_index": 0}]},
        chunk({"content": "hi"}),
        {"id": "x", "choices": []},
        chunk(finish="content_filter"),
    )
    result = decode(core, DIALECT, [data])
    assert result.text == "hi"
    assert (result.events[-1].reason, result.events[-1].raw_reason) == (
        "content_filter",
        "content_filter",
    )


@pytest.mark.parametrize(
    "done", ["data: [DONE]\n\n", "data:[DONE]\n\n", "data: [DONE]", "data:[DONE]\r\n"]
)
def test_done_marker_variants(core: ModuleType, done: str) -> None:
    result = decode(core, DIALECT, [sse(chunk({"content": "x"}, finish="stop"), done=done)])
    assert result.error is None
    assert [type(e).__name__ for e in result.events] == ["TextDelta", "Finish"]


def test_truncated_stream_keeps_everything(core: ModuleType) -> None:
    data = sse(
        chunk({"content": "partial "}),
        chunk({"tool_calls": [call(0, "c", "f", '{"city": "Par')]}),
        done=None,
    )
    result = decode(core, DIALECT, [data])
    error = result.error
    assert isinstance(error, StreamTruncated)
    assert error.position == len(data)
    assert error.partial_text == "partial "
    [partial] = error.partial_tool_calls
    assert (partial.index, partial.id, partial.name, partial.raw) == (0, "c", "f", '{"city": "Par')
    assert partial.partial == {"city": "Par"}
    assert "data: [DONE]" in error.message


def test_length_limit_makes_unfinished_call_invalid(core: ModuleType) -> None:
    data = sse(chunk({"tool_calls": [call(0, "c", "f", '{"a": [1, ')]}), chunk(finish="length"))
    result = decode(core, DIALECT, [data])
    [invalid] = result.of("ToolCallInvalid")
    assert (invalid.index, invalid.raw) == (0, '{"a": [1, ')
    assert "unexpected end" in invalid.error
    assert result.events[-1].reason == "length"


def test_invalid_arguments_do_not_stop_the_stream(core: ModuleType) -> None:
    data = sse(
        chunk({"tool_calls": [call(0, "c", "f", '{"a": tru')]}),
        chunk({"tool_calls": [call(0, None, None, "x}")]}),
        chunk({"content": "after"}),
        chunk(finish="tool_calls"),
    )
    result = decode(core, DIALECT, [data])
    assert result.error is None
    assert [i.raw for i in result.of("ToolCallInvalid")] == ['{"a": trux}']
    assert result.text == "after"


def test_malformed_frame_raises_with_position_and_keeps_earlier_events(core: ModuleType) -> None:
    good = sse(chunk({"content": "ok"}), done=None)
    data = good + b'data: {"choices": [}\n\n'
    decoder = core.StreamDecoder(DIALECT)
    with pytest.raises(JsonStreamError) as caught:
        decoder.feed(data)
    error = caught.value
    assert error.position == len(good)
    assert f"frame starting at byte {len(good)}" in error.message
    assert "(byte 13 of the frame)" in error.message
    assert [e.text for e in error.completed] == ["ok"]
    with pytest.raises(JsonStreamError) as again:
        decoder.feed(b"")
    assert again.value.completed == [] and again.value.position == error.position


def test_unknown_dialect(core: ModuleType) -> None:
    with pytest.raises(ValueError) as caught:
        core.StreamDecoder("smoke-signals")
    assert str(caught.value) == (
        "unknown stream dialect 'smoke-signals'; expected one of: openai-chat, "
        "openai-responses, anthropic, gemini, bedrock, cohere, ollama"
    )


def test_whole_arguments_raw_is_python_compact_json(core: ModuleType) -> None:
    payload = json.dumps(
        chunk({"tool_calls": [call(0, "c", "f", {"z": 0, "f": -0.0, "s": "\u00e9"})]})
    )
    data = sse(payload.replace('"z": 0', '"z": -0'))
    [done] = decode(core, DIALECT, [data]).of("ToolCallDone")
    assert done.raw == '{"z":0,"f":-0.0,"s":"\u00e9"}'
    assert done.arguments == {"z": 0, "f": -0.0, "s": "\u00e9"}


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
ARGS = st.dictionaries(
    st.text(max_size=5), st.one_of(st.integers(), TEXT, st.booleans()), max_size=3
)


@st.composite
def generated_stream(draw: st.DrawFn) -> tuple[bytes, str, list[tuple[str, str, object]]]:
    """A stream with random text and parallel tool calls cut into random fragments,
    interleaved; returns (bytes, text, [(id, name, arguments)])."""
    texts = draw(st.lists(TEXT, max_size=4))
    calls = draw(st.lists(st.tuples(ARGS, st.text("abcdef_", min_size=1, max_size=6)), max_size=3))
    payloads: list[object] = [chunk({"content": t}) for t in texts]
    pieces: list[tuple[int, str]] = []
    for index, (arguments, _name) in enumerate(calls):
        text = json.dumps(arguments, ensure_ascii=draw(st.booleans()))
        cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=4)))
        bounds = [0, *cuts, len(text)]
        pieces += [(index, text[a:b]) for a, b in zip(bounds, bounds[1:])]
    order = draw(st.permutations(range(len(pieces))))
    seen: set[int] = set()
    # Keep each call's pieces in order while interleaving calls.
    by_call: dict[int, list[str]] = {}
    for index, piece in pieces:
        by_call.setdefault(index, []).append(piece)
    schedule = [pieces[i][0] for i in order]
    for index in schedule:
        piece = by_call[index].pop(0)
        first = index not in seen
        seen.add(index)
        name = calls[index][1]
        payloads.append(
            chunk(
                {
                    "tool_calls": [
                        call(index, f"id{index}" if first else None, name if first else None, piece)
                    ]
                }
            )
        )
    payloads.append(chunk(finish="tool_calls" if calls else "stop"))
    expected = [(f"id{i}", name, arguments) for i, (arguments, name) in enumerate(calls)]
    return sse(*payloads), "".join(texts), expected


@settings(max_examples=60, deadline=None)
@given(stream=generated_stream(), seed=st.integers(0, 1000))
def test_generated_streams_decode_to_what_was_encoded(
    stream: tuple[bytes, str, list[tuple[str, str, object]]], seed: int
) -> None:
    data, text, calls = stream
    results = [decode(core, DIALECT, random_splits(data, seed)) for core in BACKENDS.values()]
    for result in results:
        assert result.error is None
        check_invariants(result)
        assert result.text == text
        done = sorted(result.of("ToolCallDone"), key=lambda c: c.id)
        assert [(c.id, c.name, c.arguments) for c in done] == sorted(calls)
    assert results[0].plain() == results[1].plain(), "backends agree event for event"
    assert error_summary(results[0].error) == error_summary(results[1].error)


def test_clean_end_rule_needs_a_clean_end(core: ModuleType) -> None:
    """Without ``[DONE]``, finished choices make the stream whole only when the body ended as
    it should: ``finish(clean=False)`` (a broken connection) needs the end marker."""
    body = (
        b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"hi"},'
        b'"finish_reason":"stop"}]}\n\n'
    )
    whole = core.StreamDecoder("openai-chat")
    events = [*whole.feed(body), *whole.finish()]
    assert [type(e).__name__ for e in events] == ["TextDelta", "Finish"]
    broken = core.StreamDecoder("openai-chat")
    assert [type(e).__name__ for e in broken.feed(body)] == ["TextDelta"]
    with pytest.raises(errors.StreamTruncated) as caught:
        broken.finish(clean=False)
    assert caught.value.partial_text == "hi"
    marked = core.StreamDecoder("openai-chat")
    events = [*marked.feed(body + b"data: [DONE]\n\n"), *marked.finish(clean=False)]
    assert [type(e).__name__ for e in events] == ["TextDelta", "Finish"]
    with pytest.raises(errors.ArgumentTypeError, match="clean must be a bool, not int 1"):
        core.StreamDecoder("openai-chat").finish(clean=1)


# --- errors that are not `{"error": {...}}` chunks ---------------------------------------

TEXT_CHUNK = (
    b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,'
    b'"delta":{"content":"Hal"},"finish_reason":null}]}\n\n'
)


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        # vLLM and other servers: a bare error object, no `error` member.
        (
            b'data: {"object":"error","message":"maximum context length is 4096 tokens",'
            b'"type":"BadRequestError","param":null,"code":400}\n\n',
            ("BadRequestError", "maximum context length is 4096 tokens"),
        ),
        # An `event: error` frame whose data is the error itself...
        (
            b'event: error\ndata: {"message":"overloaded","code":529}\n\n',
            ("529", "overloaded"),
        ),
        # ... or a bare string, or a wrapped error.
        (b'event: error\r\ndata: "upstream timed out"\r\n\r\n', (None, "upstream timed out")),
        (b'event: error\ndata: {"error":{"message":"m","code":502}}\n\n', ("502", "m")),
        # Text Generation Inference: a text error with its kind beside it.
        (
            b'data: {"error":"Input validation error: too long","error_type":"validation"}\n\n',
            ("validation", "Input validation error: too long"),
        ),
    ],
)
def test_error_frames_without_an_error_member(
    core: ModuleType, frame: bytes, expected: tuple[str | None, str]
) -> None:
    """Not silently skipped: the text so far, then the error and an error finish, on every
    split (the native fast path must not read such a frame as an empty chunk)."""
    data = TEXT_CHUNK + frame + b"data: [DONE]\n\n"
    whole = decode(core, "openai-chat", [data])
    assert whole.error is None
    assert whole.text == "Hal"
    assert [(e.type, e.message) for e in whole.of("ProviderErrorEvent")] == [expected]
    assert (whole.events[-1].reason, whole.events[-1].raw_reason) == ("error", expected[0])
    for chunks in [bytewise(data), *two_way_splits(data)]:
        assert decode(core, "openai-chat", chunks).plain() == whole.plain()


def test_an_error_member_deeper_in_a_chunk_is_no_error(core: ModuleType) -> None:
    """Azure's `content_filter_results` may hold an `error` object of its own: the chunk is
    still text (only a root `error`, an `object: "error"` or `event: error` ends the turn)."""
    chunk = {
        "object": "chat.completion.chunk",
        "choices": [
            {
                "index": 0,
                "delta": {"content": "a"},
                "finish_reason": "stop",
                "content_filter_results": {"error": {"code": "x", "message": "y"}},
            }
        ],
    }
    data = b"data: " + json.dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"
    result = decode(core, "openai-chat", [data])
    assert (result.error, result.text, result.of("ProviderErrorEvent")) == (None, "a", [])
    assert result.events[-1].raw_reason == "stop"
