"""Checks shared by the StreamDecoder dialect tests: splits, generated arguments, and the
issue 3 rules every generated stream obeys on both backends (same events, same errors)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from streams import Decoded, check_invariants, decode, error_summary

from chunking import bytewise, random_splits
from conftest import BACKENDS
from fluent_ai.errors import StreamTruncated

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
ARGS = st.dictionaries(
    st.text(max_size=5), st.one_of(st.integers(), TEXT, st.booleans(), st.none()), max_size=3
)
NAMES = st.text("abcdef_", min_size=1, max_size=6)

# A generated call: (id, name, arguments).
Call = tuple[str, str, Any]


def all_splits(data: bytes) -> list[list[bytes]]:
    """Whole, byte by byte, and five random splits."""
    return [[data], bytewise(data), *[random_splits(data, seed) for seed in range(5)]]


def finishes(result: Decoded) -> list[tuple[str, str | None]]:
    return [(f.reason, f.raw_reason) for f in result.of("Finish")]


def argument_fragments(draw: st.DrawFn, arguments: Any) -> list[str]:
    """The JSON text of ``arguments`` cut at random places, often after an empty first
    fragment (Anthropic and Bedrock send one)."""
    body = json.dumps(arguments, ensure_ascii=draw(st.booleans()))
    cuts = sorted(draw(st.sets(st.integers(0, len(body)), max_size=4)))
    bounds = [0, *cuts, len(body)]
    return [""] * draw(st.integers(0, 1)) + [body[a:b] for a, b in zip(bounds, bounds[1:])]


def decode_everywhere(dialect: str, data: bytes, seed: int) -> list[Decoded]:
    """``data`` in the same random split on every backend; the backends must agree event
    for event and on the error."""
    results = [decode(core, dialect, random_splits(data, seed)) for core in BACKENDS.values()]
    assert results[0].plain() == results[1].plain(), "backends agree event for event"
    assert error_summary(results[0].error) == error_summary(results[1].error)
    return results


def check_generated(
    results: list[Decoded], text: str, reasoning: str, calls: list[Call], finish: str
) -> None:
    """A complete generated stream decoded to exactly what was encoded."""
    for result in results:
        assert result.error is None
        check_invariants(result)
        assert result.text == text
        assert result.reasoning == reasoning
        done = result.of("ToolCallDone")
        assert sorted((c.id, c.name, c.arguments) for c in done) == sorted(calls)
        # Numbered by first appearance among tool calls.
        assert [s.id for s in result.of("ToolCallStart")] == [c[0] for c in calls]
        assert result.events[-1].reason == finish


def check_truncated(results: list[Decoded]) -> None:
    """A stream cut between frames: ``StreamTruncated`` keeps the text and every call that
    had not ended."""
    for result in results:
        error = result.error
        assert isinstance(error, StreamTruncated)
        check_invariants(result)
        assert error.partial_text == result.text
        partials: list[Any] = error.partial_tool_calls
        ended = {c.index for c in result.of("ToolCallDone") + result.of("ToolCallInvalid")}
        started = {c.index for c in result.of("ToolCallStart")}
        assert {c.index for c in partials} == started - ended, "every call is done or partial"
    described = [
        [(p.index, p.id, p.raw, p.partial) for p in r.error.partial_tool_calls]  # type: ignore[union-attr]
        for r in results
    ]
    assert described[0] == described[1]
