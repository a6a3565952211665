"""Building SSE streams whose events carry an ``event:`` line equal to ``data.type`` (OpenAI
Responses, Cohere v2, Anthropic), and the standard set of ways to cut a stream."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from streams import check_invariants, decode, error_summary

from chunking import bytewise, random_splits
from conftest import BACKENDS
from fluent_ai.errors import JsonStreamError, StreamTruncated


def typed_sse(*payloads: object, tail: bytes = b"", crlf: bool = False) -> bytes:
    """One SSE event per payload (a dict, sent with ``event: <type>``, or raw text), then
    ``tail``."""
    end = b"\r\n" if crlf else b"\n"
    body = b""
    for payload in payloads:
        if isinstance(payload, dict):
            body += b"event: " + str(payload["type"]).encode() + end
            data = json.dumps(payload, ensure_ascii=False)
        else:
            data = str(payload)
        body += b"data: " + data.encode("utf-8") + end + end
    return body + tail


def all_splits(data: bytes) -> list[list[bytes]]:
    """Whole, byte by byte, and five random splits."""
    return [[data], bytewise(data), *[random_splits(data, seed) for seed in range(5)]]


def frame_splits(data: bytes) -> list[bytes]:
    """One chunk per SSE event (split after each blank line)."""
    events = data.split(b"\n\n")
    return [e + b"\n\n" for e in events[:-1]] + ([events[-1]] if events[-1] else [])


@dataclass
class Planned:
    """One frame of a generated stream and what it carries."""

    data: bytes
    text: str = ""
    call: int | None = None  # the generated call this frame starts or adds a fragment to
    fragment: str = ""


@dataclass
class Plan:
    """A generated stream: its frames (the last one is the end marker), the calls it encodes
    as ``(id, name, arguments)`` in the order they start, and an in-stream error frame with
    the ``(type, message)`` it must give."""

    frames: list[Planned]
    calls: list[tuple[str, str, object]]
    error_frame: bytes
    error: tuple[str | None, str]
    trailer: bytes = b""


def finish_of(result: Any) -> tuple[str, str | None]:
    """``(reason, raw_reason)`` of the last event, which must be the ``Finish``."""
    finish = result.events[-1]
    assert type(finish).__name__ == "Finish"
    return finish.reason, finish.raw_reason


MODES = ("whole", "truncated", "malformed", "error")


def check_plan(dialect: str, plan: Plan, mode: str, cut: int, seed: int) -> None:
    """Decode ``plan`` on both backends, whole or spoiled at frame ``cut`` (``mode``), in
    random splits; check what must come out, and that the backends agree event for event."""
    frames = plan.frames
    cut %= len(frames)  # frames[cut] is never after the end marker
    head, rest = frames[:cut], frames[cut:]
    prefix = b"".join(f.data for f in head)
    text = "".join(f.text for f in head)
    if mode == "whole":
        data = prefix + b"".join(f.data for f in rest) + plan.trailer
    elif mode == "truncated":
        data = prefix
    elif mode == "malformed":
        data = prefix + b'data: {"type": oops}\n\n' + b"".join(f.data for f in rest)
    else:
        data = prefix + plan.error_frame + b"".join(f.data for f in rest)
    results = [decode(core, dialect, random_splits(data, seed)) for core in BACKENDS.values()]
    for result in results:
        check_invariants(result)
        if mode == "whole":
            assert result.error is None, result.error
            assert result.text == "".join(f.text for f in frames)
            done = sorted(result.of("ToolCallDone"), key=lambda c: c.index)
            assert [(c.index, c.id, c.name, c.arguments) for c in done] == [
                (index, *call) for index, call in enumerate(plan.calls)
            ]
        elif mode == "truncated":
            error = result.error
            assert isinstance(error, StreamTruncated), error
            assert (error.position, error.partial_text) == (len(prefix), text)
            assert [
                (p.index, p.id, p.name, p.raw) for p in error.partial_tool_calls
            ] == unfinished_calls(plan, head)
        elif mode == "malformed":
            assert isinstance(result.error, JsonStreamError), result.error
            assert result.error.position == len(prefix)
            assert result.text == text
        else:
            assert result.error is None, result.error
            assert result.text == text
            assert [(e.type, e.message) for e in result.of("ProviderErrorEvent")] == [plan.error]
            finish = result.events[-1]
            assert (finish.reason, finish.raw_reason) == ("error", plan.error[0])
    assert results[0].plain() == results[1].plain(), "backends agree event for event"
    assert error_summary(results[0].error) == error_summary(results[1].error)


def unfinished_calls(plan: Plan, head: list[Planned]) -> list[tuple[int, str, str, str]]:
    """``(index, id, name, raw so far)`` of the calls begun in ``head`` whose argument text
    is not complete there (a complete JSON text is reported done at once)."""
    raws: dict[int, str] = {}
    for frame in head:
        if frame.call is not None:
            raws[frame.call] = raws.get(frame.call, "") + frame.fragment
    order = sorted(raws)  # generated calls start in order
    unfinished = []
    for index, call in enumerate(order):
        identifier, name, arguments = plan.calls[call]
        try:
            complete = json.loads(raws[call]) == arguments
        except ValueError:
            complete = False
        if not complete:
            unfinished.append((index, identifier, name, raws[call]))
    return unfinished


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=10)
ARGS = st.dictionaries(
    st.text(max_size=5), st.one_of(st.integers(), TEXT, st.booleans(), st.none()), max_size=3
)
# (arguments, name) of up to three calls; generated call n has the id f"call_{n}".
CALLS = st.lists(st.tuples(ARGS, st.text("abcdef_", min_size=1, max_size=6)), max_size=3)


def call_frames(
    draw: st.DrawFn,
    calls: Sequence[tuple[object, str]],
    *,
    start: Callable[[int, str, str], Any],
    fragment: Callable[[int, str], Any],
    end: Callable[[int, str], Sequence[Any]],
    indents: Sequence[int | None] = (None,),
) -> list[Planned]:
    """The frames of parallel calls: each call's argument text (``json.dumps`` with a drawn
    indent) is cut into random fragments and the calls' fragments are interleaved; a call
    starts (``start(n, id, name)``) before its first fragment (``fragment(n, text)``), calls
    start in order, and the payloads ``end(n, whole text)`` follow a call's last fragment."""
    pieces: dict[int, list[str]] = {}
    wholes: dict[int, str] = {}
    for number, (arguments, _name) in enumerate(calls):
        whole = json.dumps(
            arguments, indent=draw(st.sampled_from(indents)), ensure_ascii=draw(st.booleans())
        )
        cuts = sorted(draw(st.sets(st.integers(1, len(whole) - 1), max_size=5)))
        bounds = [0, *cuts, len(whole)]
        pieces[number] = [whole[a:b] for a, b in zip(bounds, bounds[1:])]
        wholes[number] = whole
    frames: list[Planned] = []
    started = 0
    for number in draw(st.permutations([n for n in pieces for _ in pieces[n]])):
        while started <= number:
            payload = start(started, f"call_{started}", calls[started][1])
            frames.append(Planned(typed_sse(payload), call=started))
            started += 1
        text = pieces[number].pop(0)
        frames.append(Planned(typed_sse(fragment(number, text)), call=number, fragment=text))
        if not pieces[number]:
            frames += [Planned(typed_sse(p)) for p in end(number, wholes[number])]
    return frames


def plan_calls(calls: Sequence[tuple[object, str]]) -> list[tuple[str, str, object]]:
    """The ``(id, name, arguments)`` that :func:`call_frames` encodes."""
    return [(f"call_{n}", name, arguments) for n, (arguments, name) in enumerate(calls)]
