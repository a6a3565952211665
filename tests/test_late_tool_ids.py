"""openai-chat tool calls whose ``id`` or ``name`` arrives in a later delta than the call's
first fragment (issue 10, hardening): fragments are keyed by ``index`` (or, without one, by the
latest call), and the id and name may come in any delta of that call; only a different id of
the provider's starts a new call. Both backends, every split of the stream."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from streams import decode

from chunking import bytewise, random_splits, two_way_splits


def sse(*chunks: dict[str, Any], done: bool = True) -> bytes:
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    return body + (b"data: [DONE]\n\n" if done else b"")


def delta(*calls: dict[str, Any], finish: str | None = None, choice: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {"tool_calls": list(calls)} if calls else {}
    return {"choices": [{"index": choice, "delta": body, "finish_reason": finish}]}


def call(
    index: int | None = None, id: str | None = None, name: str | None = None, args: str = ""
) -> dict[str, Any]:
    entry: dict[str, Any] = {"function": {"arguments": args}}
    if index is not None:
        entry["index"] = index
    if id is not None:
        entry["id"] = id
    if name is not None:
        entry["function"]["name"] = name
    return entry


# (stream, the calls expected: (index, id, name, arguments)).
CASES: dict[str, tuple[bytes, list[tuple[int, str, str, Any]]]] = {
    "id in the second delta": (
        sse(
            delta(call(0, args='{"city"')),
            delta(call(0, "call_1", "weather", ':"Paris"}')),
            delta(finish="tool_calls"),
        ),
        [(0, "call_1", "weather", {"city": "Paris"})],
    ),
    "id and name in the last delta of the call": (
        sse(
            delta(call(0, args='{"a"')),
            delta(call(0, args=":1")),
            delta(call(0, "call_9", "f", "}")),
            delta(finish="tool_calls"),
        ),
        [(0, "call_9", "f", {"a": 1})],
    ),
    "two calls, each id late": (
        sse(
            delta(call(0, args='{"a":'), call(1, args='{"b":')),
            delta(call(1, "call_b", "g", "2}")),
            delta(call(0, "call_a", "f", "1}")),
            delta(finish="tool_calls"),
        ),
        [(0, "call_a", "f", {"a": 1}), (1, "call_b", "g", {"b": 2})],
    ),
    "id repeated in every delta": (
        sse(
            delta(call(0, "call_1", "f", '{"a"')),
            delta(call(0, "call_1", "f", ":1}")),
            delta(finish="tool_calls"),
        ),
        [(0, "call_1", "f", {"a": 1})],
    ),
    "index reused by a call with another id (kept: a new call)": (
        sse(
            delta(call(0, "call_1", "f", '{"a":1}')),
            delta(call(0, "call_2", "g", '{"b":2}')),
            delta(finish="tool_calls"),
        ),
        [(0, "call_1", "f", {"a": 1}), (1, "call_2", "g", {"b": 2})],
    ),
    "no index, id late": (
        sse(
            delta(call(args='{"a"')),
            delta(call(None, "call_1", "f", ":1}")),
            delta(finish="tool_calls"),
        ),
        [(0, "call_1", "f", {"a": 1})],
    ),
    "no index, id repeated, then a new call": (
        sse(
            delta(call(None, "call_1", "f", '{"a"')),
            delta(call(None, "call_1", None, ":1}")),
            delta(call(None, "call_2", "g", "{}")),
            delta(finish="tool_calls"),
        ),
        [(0, "call_1", "f", {"a": 1}), (1, "call_2", "g", {})],
    ),
}


def done_calls(events: list[Any]) -> list[tuple[int, str, str, Any]]:
    """The finished calls in index order (a call is done when its value closes)."""
    return sorted(
        (e.index, e.id, e.name, e.arguments) for e in events if type(e).__name__ == "ToolCallDone"
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_late_id_belongs_to_the_call_of_its_index(core: ModuleType, case: str) -> None:
    data, expected = CASES[case]
    splits = [[data], bytewise(data), *two_way_splits(data, 40)]
    splits += [random_splits(data, seed) for seed in range(5)]
    for chunks in splits:
        result = decode(core, "openai-chat", chunks)
        assert result.error is None, result.error
        assert done_calls(result.events) == expected
        assert [type(e).__name__ for e in result.events].count("ToolCallStart") == len(expected)
        assert not result.of("ToolCallInvalid")
        assert done_calls(result.decoder.tool_calls) == expected


def test_cut_stream_reports_the_late_id(core: ModuleType) -> None:
    """A stream cut after the id came reports the open call under the provider's id."""
    data = sse(delta(call(0, args='{"a"')), delta(call(0, "call_1", "f", ":1")), done=False)
    result = decode(core, "openai-chat", [data])
    assert type(result.error).__name__ == "StreamTruncated"
    (partial,) = result.error.partial_tool_calls  # type: ignore[union-attr]
    assert (partial.index, partial.id, partial.name, partial.raw) == (0, "call_1", "f", '{"a":1')


def test_assembler_adopts_a_late_id(core: ModuleType) -> None:
    """The public ``ToolCallAssembler`` follows the same rule."""
    assembler = core.ToolCallAssembler()
    first = assembler.add(0, None, None, '{"a"')
    assert [type(e).__name__ for e in first] == ["ToolCallStart", "ToolCallDelta"]
    events = assembler.add(0, "call_7", "f", ":1}")
    assert done_calls(events) == [(0, "call_7", "f", {"a": 1})]
    # A provider id already given: another id is another call.
    events = assembler.add(0, "call_8", "g", "{}")
    assert done_calls(events) == [(1, "call_8", "g", {})]
