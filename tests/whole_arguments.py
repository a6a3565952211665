"""Helpers for the tests of the dialects whose tool calls arrive whole, arguments as a
JSON object (Gemini, Ollama): generated values and streams, and the checks they share."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Optional

import pytest
from hypothesis import strategies as st
from streams import Decoded, check_invariants, decode, error_summary

from chunking import bytewise, random_splits, two_way_splits
from conftest import BACKENDS
from fluent_ai.errors import JsonStreamError, StreamTruncated

# Ids the decoder makes up when the provider sends none.
SYNTHESIZED = re.compile(r"^call_fai_\d+$")

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=10)
_SCALAR = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.booleans(),
    st.none(),
)
_NESTED = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
ARGS = st.dictionaries(TEXT, _NESTED, max_size=4)
NAME = st.text("abcdef_", min_size=1, max_size=6)
# A provider's id, or None (the decoder makes one up); never looks like a synthesized one.
ID = st.one_of(st.none(), st.text("xyz0123", min_size=1, max_size=8))

# (name, arguments, id or None)
Call = tuple[str, Any, Optional[str]]


def all_splits(data: bytes) -> list[list[bytes]]:
    """Whole, byte by byte, and five random splits."""
    return [[data], bytewise(data), *[random_splits(data, seed) for seed in range(5)]]


def compact(value: object) -> str:
    """The ``raw`` text of a whole argument object (issue 3, section 7)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def check_whole_calls(result: Decoded, calls: Sequence[Call]) -> None:
    """Each call is numbered in order, has the provider's id or a synthesized one, its
    arguments, ``raw`` = the compact JSON and exactly one ``ToolCallDelta``."""
    done = result.of("ToolCallDone")
    assert [(c.index, c.name, c.arguments, c.raw) for c in done] == [
        (index, name, args, compact(args)) for index, (name, args, _) in enumerate(calls)
    ]
    for event, (_, _, id) in zip(done, calls):
        if id:
            assert event.id == id
        else:
            assert SYNTHESIZED.match(event.id), event.id
    deltas = result.of("ToolCallDelta")
    assert [(d.index, d.fragment) for d in deltas] == [(c.index, c.raw) for c in done]


# How a generated stream ends: its end marker, nothing (cut off), an in-stream error, or a
# frame that is not JSON.
ENDINGS = ("finished", "truncated", "error", "malformed")


@dataclass
class Generated:
    """A generated stream and what it encodes."""

    data: bytes
    prefix_length: int  # the bytes before the ending
    ending: str  # one of ENDINGS
    text: str
    reasoning: str
    calls: list[Call]


def decode_generated(dialect: str, stream: Generated, seed: int) -> list[Decoded]:
    """Decode ``stream`` on both backends in the same random split and check what every
    such dialect shares (text, reasoning, calls, truncation, malformed frame, agreement of
    the backends event for event); return both results for the dialect's own checks."""
    results = [
        decode(core, dialect, random_splits(stream.data, seed)) for core in BACKENDS.values()
    ]
    for result in results:
        check_invariants(result)
        assert result.text == stream.text
        assert result.reasoning == stream.reasoning
        check_whole_calls(result, stream.calls)
        if stream.ending in ("finished", "error"):
            assert result.error is None, "an in-stream error ends the stream too"
            assert len(result.of("ProviderErrorEvent")) == (stream.ending == "error")
        elif stream.ending == "truncated":
            assert isinstance(result.error, StreamTruncated)
            assert result.error.partial_text == stream.text
            assert result.error.partial_tool_calls == [], "whole calls are never unfinished"
            assert result.error.position == len(stream.data)
        else:
            assert isinstance(result.error, JsonStreamError)
            assert result.error.position == stream.prefix_length
    assert results[0].plain() == results[1].plain(), "backends agree event for event"
    assert error_summary(results[0].error) == error_summary(results[1].error)
    return results


def check_malformed_frame(
    core: ModuleType, dialect: str, good: bytes, data: bytes, byte: int
) -> None:
    """``data`` is ``good`` then a frame that is not JSON (failing at ``byte`` of it): the
    error is a JsonStreamError at the frame's start, the same whatever the split, keeps
    the text before it, and comes again (with nothing completed) on the next call."""
    summaries = set()
    for chunks in [[data], bytewise(data), *two_way_splits(data, 30)]:
        result = decode(core, dialect, chunks)
        error = result.error
        assert isinstance(error, JsonStreamError)
        assert error.position == len(good)
        assert f"invalid JSON in the {dialect} frame starting at byte {len(good)}" in error.message
        assert f"(byte {byte} of the frame)" in error.message
        assert result.text == "ok", "events completed before the error are kept"
        summaries.add(error_summary(error))
    assert len(summaries) == 1
    decoder = core.StreamDecoder(dialect)
    with pytest.raises(JsonStreamError):
        decoder.feed(data)
    with pytest.raises(JsonStreamError) as again:
        decoder.finish()
    assert again.value.completed == [] and again.value.position == len(good)
