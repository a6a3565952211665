"""Depth is a limit like any other: no input crashes, hangs or escapes as an undocumented
exception, on either backend, on a 256 KiB thread stack.

A frame's JSON may nest 512 levels (``FRAME_DEPTH``) and a tool call's arguments 256
(``ARGUMENT_DEPTH``, as text or as an object); one level more is ``LimitExceeded`` with the
same message and position on both backends. Every case runs on a thread with a 256 KiB stack;
the huge depths (200,000 and 1,000,000 levels) run in a child process, so that a crash fails
the test instead of ending pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from depth_streams import (
    ARGUMENT_DEPTH,
    DIALECTS,
    FRAME_DEPTH,
    OBJECT_DIALECTS,
    arrays,
    decode_all,
    nesting,
    objects,
    on_small_stack,
    pieces,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from streams import error_summary, plain

from fluent_ai import _core, _purepy
from fluent_ai._json_text import _dumps_iteratively, compact_json
from fluent_ai.errors import JsonStreamError, LimitExceeded, StreamTruncated

TESTS = Path(__file__).resolve().parent
ALL_DIALECTS = sorted(DIALECTS)


def of(events: list[Any], name: str) -> list[Any]:
    return [e for e in events if type(e).__name__ == name]


def argument_error(byte: int) -> str:
    return (
        f"tool call 0 arguments nested deeper than max_depth={ARGUMENT_DEPTH} "
        f"(byte {byte} of the arguments)"
    )


# --- frames ------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_frame_nested_to_the_limit_decodes(core: ModuleType, dialect: str) -> None:
    # The frame's object is one level, its "pad" member the other 511.
    built = DIALECTS[dialect].text_stream(arrays(FRAME_DEPTH - 1))
    events, error = on_small_stack(lambda: decode_all(core, dialect, built.data))
    assert error is None
    assert "".join(e.text for e in of(events, "TextDelta")) == "hi"
    assert [type(e).__name__ for e in events][-1] == "Finish"


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_frame_nested_beyond_the_limit_is_limit_exceeded(core: ModuleType, dialect: str) -> None:
    built = DIALECTS[dialect].text_stream(arrays(FRAME_DEPTH))
    events, error = on_small_stack(lambda: decode_all(core, dialect, built.data))
    assert isinstance(error, LimitExceeded)
    refused = built.byte_in_frame('"pad":', FRAME_DEPTH - 1)
    assert error.message == (
        f"invalid JSON in the {dialect} frame starting at byte {built.start}: "
        f"nesting deeper than max_depth={FRAME_DEPTH} (byte {refused} of the frame)"
    )
    assert (error.position, error.limit) == (built.start, FRAME_DEPTH)
    assert not of(events, "TextDelta"), "nothing of the refused frame is delivered"


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@pytest.mark.parametrize("split", [1, 4096])
def test_frame_limit_does_not_depend_on_the_split(
    core: ModuleType, dialect: str, split: int
) -> None:
    built = DIALECTS[dialect].text_stream(arrays(FRAME_DEPTH))
    whole = decode_all(core, dialect, built.data, chunk=len(built.data))[1]
    _, error = on_small_stack(lambda: decode_all(core, dialect, built.data, chunk=split))
    assert isinstance(error, LimitExceeded)
    assert isinstance(whole, LimitExceeded)
    assert (error.message, error.position) == (whole.message, whole.position)


# --- tool-call arguments -----------------------------------------------------------------


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_text_arguments_nested_to_the_limit_are_done(core: ModuleType, dialect: str) -> None:
    text = arrays(ARGUMENT_DEPTH)
    built = DIALECTS[dialect].call_stream(list(pieces(text)))
    events, error = on_small_stack(lambda: decode_all(core, dialect, built.data))
    assert error is None
    [done] = of(events, "ToolCallDone")
    assert (done.raw, nesting(done.arguments)) == (text, ARGUMENT_DEPTH)


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_text_arguments_nested_beyond_the_limit_are_limit_exceeded(
    core: ModuleType, dialect: str
) -> None:
    built = DIALECTS[dialect].call_stream(list(pieces(arrays(ARGUMENT_DEPTH + 1))))
    events, error = on_small_stack(lambda: decode_all(core, dialect, built.data))
    assert isinstance(error, LimitExceeded)
    assert error.message == argument_error(ARGUMENT_DEPTH)
    assert (error.position, error.limit) == (ARGUMENT_DEPTH, ARGUMENT_DEPTH)
    assert not of(events, "ToolCallDone") and not of(events, "ToolCallInvalid")


@pytest.mark.parametrize("dialect", OBJECT_DIALECTS)
def test_object_arguments_nested_to_the_limit_are_done(core: ModuleType, dialect: str) -> None:
    text = objects(ARGUMENT_DEPTH)
    built = DIALECTS[dialect].object_stream(text)
    events, error = on_small_stack(lambda: decode_all(core, dialect, built.data))
    assert error is None
    [done] = of(events, "ToolCallDone")
    assert (done.raw, nesting(done.arguments)) == (text, ARGUMENT_DEPTH)


@pytest.mark.parametrize("dialect", OBJECT_DIALECTS)
def test_object_arguments_nested_beyond_the_limit_are_limit_exceeded(
    core: ModuleType, dialect: str
) -> None:
    built = DIALECTS[dialect].object_stream(objects(ARGUMENT_DEPTH + 1))
    events, error = on_small_stack(lambda: decode_all(core, dialect, built.data))
    assert isinstance(error, LimitExceeded)
    # `{"a":` is 5 bytes: the 257th object opens at byte 1280 of the compact text.
    assert error.message == argument_error(5 * ARGUMENT_DEPTH)
    assert (error.position, error.limit) == (5 * ARGUMENT_DEPTH, ARGUMENT_DEPTH)
    assert not of(events, "ToolCallDone") and not of(events, "ToolCallInvalid")


@pytest.mark.parametrize(
    "dialect", ["openai-chat", "openai-responses", "anthropic", "bedrock", "cohere"]
)
def test_unfinished_deep_arguments_have_their_partial_value(core: ModuleType, dialect: str) -> None:
    # A stream cut inside the arguments: StreamTruncated carries what JsonStream.partial()
    # gives, built and converted on a small stack.
    cut = DIALECTS[dialect].call_prefix(["[" * 100, "[" * (ARGUMENT_DEPTH - 100) + '"ta'])
    decoder = core.StreamDecoder(dialect)

    def run() -> StreamTruncated:
        decoder.feed(cut)
        with pytest.raises(StreamTruncated) as caught:
            decoder.finish()
        return caught.value

    error = on_small_stack(run)
    [call] = error.partial_tool_calls
    assert nesting(call.partial) == ARGUMENT_DEPTH  # type: ignore[attr-defined]
    innermost = call.partial  # type: ignore[attr-defined]
    for _ in range(ARGUMENT_DEPTH - 1):
        [innermost] = innermost
    assert innermost == ["ta"]


@settings(max_examples=60, deadline=None)
@given(
    dialect=st.sampled_from(ALL_DIALECTS),
    kind=st.sampled_from(["frame", "text", "object"]),
    excess=st.integers(-2, 2),
    chunk=st.integers(1, 700),
)
def test_backends_agree_near_the_limits(dialect: str, kind: str, excess: int, chunk: int) -> None:
    spec = DIALECTS[dialect]
    if kind == "frame":
        built = spec.text_stream(arrays(FRAME_DEPTH - 1 + excess))
    elif kind == "text":
        built = spec.call_stream(list(pieces(arrays(ARGUMENT_DEPTH + excess), chunk % 97 + 1)))
    elif spec.object_arguments:
        built = spec.object_stream(objects(ARGUMENT_DEPTH + excess))
    else:
        return
    outcomes = []
    for core in (_core, _purepy):
        events, error = on_small_stack(
            lambda core=core: decode_all(core, dialect, built.data, chunk)
        )
        summary = error_summary(error)
        outcomes.append(([plain(e) for e in events], summary))
        assert (error is None) == (excess <= 0), summary
    assert outcomes[0] == outcomes[1]


# --- ToolCallAssembler -------------------------------------------------------------------


def test_assembler_text_at_and_beyond_the_limit(core: ModuleType) -> None:
    def run() -> tuple[Any, ...]:
        assembler = core.ToolCallAssembler()
        events = assembler.add(0, "a", "f", arrays(ARGUMENT_DEPTH))
        with pytest.raises(LimitExceeded) as caught:
            assembler.add(1, "b", "f", "[" * (ARGUMENT_DEPTH + 1))
        return events, caught.value, assembler.finish()

    events, error, finished = on_small_stack(run)
    assert nesting(of(events, "ToolCallDone")[0].arguments) == ARGUMENT_DEPTH
    assert (error.message, error.position, error.limit) == (
        argument_error(ARGUMENT_DEPTH).replace("tool call 0", "tool call 1"),
        ARGUMENT_DEPTH,
        ARGUMENT_DEPTH,
    )
    # The refused fragment is not reported, the call it belongs to ends invalid.
    assert [type(e).__name__ for e in error.completed] == ["ToolCallStart"]
    [invalid] = finished
    assert type(invalid).__name__ == "ToolCallInvalid"
    assert (invalid.index, invalid.raw) == (1, "")
    assert invalid.error == (
        f"invalid JSON: nesting deeper than max_depth={ARGUMENT_DEPTH} "
        f"(byte {ARGUMENT_DEPTH} of the arguments)"
    )


def test_assembler_limit_counts_levels_across_fragments(core: ModuleType) -> None:
    assembler = core.ToolCallAssembler()
    for piece in pieces("[" * ARGUMENT_DEPTH, 3):
        assembler.add(0, "a", "f", piece)
    with pytest.raises(LimitExceeded) as caught:
        assembler.add(0, None, None, "[")
    assert caught.value.position == ARGUMENT_DEPTH


def nested_lists(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [ARGUMENT_DEPTH, ARGUMENT_DEPTH + 1, 300, 1000, 200_000])
def test_assembler_object_arguments_of_any_depth(core: ModuleType, depth: int) -> None:
    value = nested_lists(depth)

    def run() -> list[Any] | LimitExceeded:
        try:
            return core.ToolCallAssembler().add(0, "a", "f", value)  # type: ignore[no-any-return]
        except LimitExceeded as error:
            # No traceback: its frames would keep the deep value for the garbage collector,
            # which may run on a small-stack thread later (CPython 3.13 frees by recursion).
            return error.with_traceback(None)

    outcome = on_small_stack(run)
    if depth <= ARGUMENT_DEPTH:
        assert isinstance(outcome, list)
        [_, delta, done] = outcome
        assert delta.fragment == arrays(depth)
        assert nesting(done.arguments) == depth
    else:
        assert isinstance(outcome, LimitExceeded)
        assert (outcome.message, outcome.position) == (
            argument_error(ARGUMENT_DEPTH),
            ARGUMENT_DEPTH,
        )


def test_assembler_object_arguments_keep_json_dumps_errors(core: ModuleType) -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference detected"):
        core.ToolCallAssembler().add(0, "a", "f", cycle)
    deep_bad: Any = {"k": object()}
    for _ in range(400):
        deep_bad = [deep_bad]
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        core.ToolCallAssembler().add(0, "a", "f", deep_bad)


def test_assembler_deep_object_when_the_python_stack_is_nearly_used_up(core: ModuleType) -> None:
    # json.dumps would raise RecursionError here; the arguments are still written exactly.
    value = nested_lists(ARGUMENT_DEPTH)
    headroom = 40

    def nested(levels: int) -> list[Any]:
        if levels > 0:
            return nested(levels - 1)
        return core.ToolCallAssembler().add(0, "a", "f", value)  # type: ignore[no-any-return]

    depth = len(_python_frames())
    events = nested(sys.getrecursionlimit() - depth - headroom)
    assert events[-1].raw == arrays(ARGUMENT_DEPTH)


def _python_frames() -> list[Any]:
    frames = []
    frame = sys._getframe(1)
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back  # type: ignore[assignment]
    return frames


def test_frame_at_the_limit_when_the_python_stack_is_nearly_used_up(core: ModuleType) -> None:
    # The pure backend's json.loads fast path raises RecursionError here: the frame is read
    # by the loop-based parser instead, with the same result.
    built = DIALECTS["openai-chat"].text_stream(arrays(FRAME_DEPTH - 1))

    def nested(levels: int) -> tuple[list[Any], BaseException | None]:
        if levels > 0:
            return nested(levels - 1)
        return decode_all(core, "openai-chat", built.data)

    events, error = nested(sys.getrecursionlimit() - len(_python_frames()) - 60)
    assert error is None
    assert "".join(e.text for e in of(events, "TextDelta")) == "hi"


@pytest.mark.parametrize("where", ["fragment", "object"])
def test_assembler_lone_surrogate_is_invalid_json_as_in_json_stream(
    core: ModuleType, where: str
) -> None:
    # JsonStream reads a str with a lone surrogate as its surrogatepass bytes, which are not
    # UTF-8: the arguments are invalid at that byte, and the text is reported as given.
    assembler = core.ToolCallAssembler()
    first = assembler.add(0, "a", "f", '{"k": "ok", "v": "')
    if where == "fragment":
        second = assembler.add(0, None, None, "x\ud800y")
        third = assembler.add(0, None, None, '"}')
        raw = '{"k": "ok", "v": "x\ud800y"}'
        byte = len(b'{"k": "ok", "v": "x')
    else:
        second = assembler.add(1, "b", "g", {"v": "x\udc00"})
        third = assembler.add(0, None, None, '"}')
        raw = '{"v":"x\udc00"}'
        byte = len(b'{"v":"x')
    finished = assembler.finish()
    events = first + second + third + finished
    deltas = "".join(e.fragment for e in of(events, "ToolCallDelta") if e.index == 0)
    invalid = of(events, "ToolCallInvalid")
    if where == "fragment":
        assert deltas == raw
        assert [(e.index, e.raw) for e in invalid] == [(0, raw)]
    else:
        assert [(e.index, e.raw) for e in invalid] == [(1, raw)]
        assert [e.fragment for e in of(events, "ToolCallDelta") if e.index == 1] == [raw]
        assert of(events, "ToolCallDone")[0].raw == '{"k": "ok", "v": ""}'
    assert (
        invalid[0].error == f"invalid JSON: invalid UTF-8 in string (byte {byte} of the arguments)"
    )
    stream = core.JsonStream()
    with pytest.raises(JsonStreamError) as caught:
        stream.feed(raw)
    assert caught.value.position == byte


def test_assembler_lone_surrogate_counts_as_three_bytes(core: ModuleType) -> None:
    # As for JsonStream (and the pure backend): the byte limit counts surrogatepass bytes.
    assembler = core.ToolCallAssembler(max_argument_bytes=8)
    assembler.add(0, "a", "f", '"\ud800')  # 4 bytes
    assembler.add(0, None, None, "\udfff")  # 7
    with pytest.raises(LimitExceeded):
        assembler.add(0, None, None, "ab")  # 9


# --- JsonStream, NdjsonDecoder, partial() on a small stack --------------------------------


def test_json_stream_default_limit_on_a_small_stack(core: ModuleType) -> None:
    def run() -> LimitExceeded:
        stream = core.JsonStream()
        with pytest.raises(LimitExceeded) as caught:
            stream.feed("[" * 1_000_000)
        return caught.value

    error = on_small_stack(run)
    assert (error.position, error.limit) == (256, 256)


def test_json_stream_deep_value_and_partial_on_a_small_stack(core: ModuleType) -> None:
    depth = 100_000

    def run() -> tuple[object, ...]:
        stream = core.JsonStream(max_depth=depth + 1)
        stream.feed("[" * depth + '{"k": "v')
        half = stream.partial()
        stream.feed('"}' + "]" * depth)
        return half, stream.partial(), stream.finish()

    # Freed here: CPython 3.13 frees a value this deep by recursion (see README).
    values = on_small_stack(run)
    assert [nesting(v) for v in values] == [depth + 1] * 3


@pytest.mark.parametrize("depth", [FRAME_DEPTH + 1, 1_000_000])
def test_ndjson_lines_nest_as_frames_do_on_a_small_stack(core: ModuleType, depth: int) -> None:
    def run() -> tuple[list[int], LimitExceeded]:
        decoder = core.NdjsonDecoder()
        values = decoder.feed(b"[1]\n" + arrays(FRAME_DEPTH).encode() + b"\n")
        with pytest.raises(LimitExceeded) as caught:
            decoder.feed(arrays(depth).encode() + b"\n")
        return [nesting(v) for v in values], caught.value

    depths, error = on_small_stack(run)
    assert depths == [1, FRAME_DEPTH]
    start = 4 + 2 * FRAME_DEPTH + 1
    assert error.message == (
        f"invalid JSON on the NDJSON line starting at byte {start}: nesting deeper than "
        f"max_depth={FRAME_DEPTH} (byte {FRAME_DEPTH} of the line)"
    )
    assert (error.position, error.limit) == (start, FRAME_DEPTH)


def test_native_whole_document_loaders_keep_the_default_limit() -> None:
    def run() -> tuple[Any, ...]:
        ok = _core._loads(arrays(256).encode()), _core._loads_simd_json(arrays(256).encode())
        with pytest.raises(LimitExceeded):
            _core._loads(arrays(257).encode())
        with pytest.raises(ValueError):
            _core._loads_simd_json(arrays(257).encode())
        with pytest.raises(ValueError):
            _core._loads_simd_json(arrays(1_000_000).encode())
        return ok

    assert [nesting(v) for v in on_small_stack(run)] == [256, 256]


# --- compact_json: json.dumps without recursion ------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(exclude_categories=())),
    lambda children: (
        st.lists(children)
        | st.tuples(children, children)
        | st.dictionaries(
            st.text() | st.integers() | st.floats() | st.booleans() | st.none(), children
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_iterative_dumps_writes_what_json_dumps_writes(value: object) -> None:
    assert _dumps_iteratively(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_compact_json_of_deep_values_on_a_small_stack() -> None:
    value: Any = {"k": [1.5, "é"]}
    for level in range(1_000_000):
        value = [value] if level % 2 else {"a": value, "b": None}
    text = on_small_stack(lambda: compact_json(value))
    assert text.startswith('[{"a":[{"a":[')
    assert text.endswith(',"b":null}]' * 2)
    assert '{"a":{"k":[1.5,"é"]},"b":null}' in text


# --- huge depth: a child process, so that a crash fails the test -------------------------

CHILD = """
import json, sys
sys.path.insert(0, {tests!r})
from depth_streams import DIALECTS, arrays, decode_all, objects, on_small_stack, nesting
from fluent_ai import _core, _purepy

core = {{"native": _core, "python": _purepy}}[{backend!r}]
# As an application may: the interpreter's limit then no longer stops C recursion before a
# 256 KiB stack runs out (nor does it on interpreters whose C recursion limit is higher).
sys.setrecursionlimit(10**7)

# Deep values are made and freed on this (main) thread: CPython 3.13 frees a value thousands
# of levels deep by recursion, which a 256 KiB stack cannot hold.
kept = []
deep_lists = {{}}
for depth in {depths!r}:
    deep = []
    for _ in range(depth):
        deep = [deep]
    deep_lists[depth] = deep
del deep

def run():
    results = []
    for depth in {depths!r}:
        for name, dialect in DIALECTS.items():
            cases = [
                ("frame", dialect.text_stream(arrays(depth))),
                ("text arguments", dialect.call_stream([arrays(depth)])),
            ]
            if dialect.object_arguments:
                cases.append(("object arguments", dialect.object_stream(objects(depth))))
            for kind, built in cases:
                _, error = decode_all(core, name, built.data, chunk=1 << 16)
                outcome = [type(error).__name__, getattr(error, "limit", None)]
                results.append([name, kind, depth, *outcome])
        cases = (("assembler text", arrays(depth)), ("assembler object", deep_lists[depth]))
        for kind, arguments in cases:
            try:
                core.ToolCallAssembler().add(0, "a", "f", arguments)
                outcome = ["none", None]
            except Exception as error:
                outcome = [type(error).__name__, getattr(error, "limit", None)]
                error.__traceback__ = None
            results.append(["-", kind, depth, *outcome])
        stream = core.JsonStream(max_depth=depth + 1)
        stream.feed(arrays(depth))
        kept.append(stream)
        kept.append(stream.finish())
        results.append(["-", "json stream", depth, str(nesting(kept[-1])), None])
        try:
            core.NdjsonDecoder().feed(arrays(depth).encode() + b"\\n")
            outcome = ["none", None]
        except Exception as error:
            outcome = [type(error).__name__, getattr(error, "limit", None)]
        results.append(["-", "ndjson", depth, *outcome])
    return results

print(json.dumps(on_small_stack(run)))
"""


@pytest.mark.parametrize("backend", ["native", "python"])
def test_huge_depth_never_crashes_on_a_small_stack(backend: str) -> None:
    depths = [200_000, 1_000_000]
    script = CHILD.format(tests=str(TESTS), backend=backend, depths=depths)
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert child.returncode == 0, f"exit {child.returncode}: {child.stderr[-2000:]}"
    results = json.loads(child.stdout)
    expected = []
    for depth in depths:
        for name, dialect in sorted(DIALECTS.items()):
            expected.append([name, "frame", depth, "LimitExceeded", FRAME_DEPTH])
            # Text arguments are a string in the frame: the assembler's limit applies.
            expected.append([name, "text arguments", depth, "LimitExceeded", ARGUMENT_DEPTH])
            if dialect.object_arguments:
                # An object that deep makes its frame too deep first.
                expected.append([name, "object arguments", depth, "LimitExceeded", FRAME_DEPTH])
        expected.append(["-", "assembler text", depth, "LimitExceeded", ARGUMENT_DEPTH])
        expected.append(["-", "assembler object", depth, "LimitExceeded", ARGUMENT_DEPTH])
        expected.append(["-", "json stream", depth, str(depth), None])
        expected.append(["-", "ndjson", depth, "LimitExceeded", FRAME_DEPTH])
    assert sorted(map(json.dumps, results)) == sorted(map(json.dumps, expected))
