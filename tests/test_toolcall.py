"""ToolCallAssembler: the public assembler, on both backends."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai._models import construct_type
from openai._streaming import SSEDecoder
from openai.types.chat import ChatCompletionChunk
from streams import TRANSCRIPTS, plain

from conftest import BACKENDS
from fluent_ai.errors import LimitExceeded


def names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_done_the_moment_the_value_closes(core: ModuleType) -> None:
    assembler = core.ToolCallAssembler()
    first = assembler.add(0, id="c1", name="get", arguments='{"city": "Pa')
    assert names(first) == ["ToolCallStart", "ToolCallDelta"]
    assert first[0] == core.ToolCallStart(0, "c1", "get")
    second = assembler.add(0, arguments='ris"}')
    assert names(second) == ["ToolCallDelta", "ToolCallDone"]
    assert second[1] == core.ToolCallDone(0, "c1", "get", {"city": "Paris"}, '{"city": "Paris"}')
    assert assembler.finish() == []


def test_whole_object_gives_compact_raw_and_one_delta(core: ModuleType) -> None:
    assembler = core.ToolCallAssembler()
    arguments = {"q": 'caf\u00e9 "x"', "n": [1, 2.5, None, True]}
    events = assembler.add(3, name="search", arguments=arguments)
    assert names(events) == ["ToolCallStart", "ToolCallDelta", "ToolCallDone"]
    raw = json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
    assert events[1].fragment == raw
    assert (events[2].index, events[2].arguments, events[2].raw) == (0, arguments, raw)
    assert events[0].id == events[2].id and events[0].id.startswith("call_fai_")


def test_empty_arguments_are_an_empty_object(core: ModuleType) -> None:
    assembler = core.ToolCallAssembler()
    assert names(assembler.add(0, id="c", name="now", arguments="")) == ["ToolCallStart"]
    [done] = assembler.finish()
    assert (done.arguments, done.raw) == ({}, "")


def test_invalid_arguments_reported_when_the_call_is_over(core: ModuleType) -> None:
    assembler = core.ToolCallAssembler()
    assembler.add(0, id="c", name="f", arguments='{"a": nul')
    assert names(assembler.add(0, arguments="x}")) == ["ToolCallDelta"]
    [invalid] = assembler.finish()
    assert invalid == core.ToolCallInvalid(0, "c", "f", '{"a": nulx}', invalid.error)
    assert "byte 9 of the arguments" in invalid.error


def test_parallel_calls_numbered_by_first_appearance(core: ModuleType) -> None:
    assembler = core.ToolCallAssembler()
    events = assembler.add(7, id="b", name="g", arguments="{")
    events += assembler.add(2, id="a", name="f", arguments="[1")
    events += assembler.add(2, arguments="]")
    events += assembler.add(7, arguments="}")
    done = [(e.index, e.id, e.arguments) for e in events if type(e).__name__ == "ToolCallDone"]
    assert done == [(1, "a", [1]), (0, "b", {})]


def test_new_id_under_the_same_index_starts_a_new_call(core: ModuleType) -> None:
    assembler = core.ToolCallAssembler()
    events = assembler.add(0, id="x", name="f", arguments="")
    events += assembler.add(0, id="y", name="g", arguments="{}")
    assert [plain(e) for e in events] == [
        ("ToolCallStart", 0, "x", "f"),
        ("ToolCallDone", 0, "x", "f", {}, ""),
        ("ToolCallStart", 1, "y", "g"),
        ("ToolCallDelta", 1, "{}"),
        ("ToolCallDone", 1, "y", "g", {}, "{}"),
    ]


def test_limits(core: ModuleType) -> None:
    assembler = core.ToolCallAssembler(max_calls=1)
    assembler.add(0, id="a", name="f", arguments="{")
    with pytest.raises(LimitExceeded) as caught:
        assembler.add(1, id="b", name="g", arguments="{")
    assert caught.value.limit == 1
    assert "max_calls=1" in caught.value.message

    assembler = core.ToolCallAssembler(max_argument_bytes=8)
    assert names(assembler.add(0, id="a", name="f", arguments='{"a":')) == [
        "ToolCallStart",
        "ToolCallDelta",
    ]
    with pytest.raises(LimitExceeded) as caught:
        assembler.add(0, arguments=' "\u00e9"}')  # 5 + 6 bytes > 8
    assert (caught.value.limit, caught.value.position) == (8, 8)


@settings(max_examples=80, deadline=None)
@given(
    value=st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6)),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=4), children, max_size=3)
        ),
        max_leaves=8,
    ).map(lambda v: {"v": v}),
    ascii_only=st.booleans(),
    cuts=st.sets(st.integers(0, 200), max_size=8),
)
def test_any_fragmenting_gives_the_same_value(value: Any, ascii_only: bool, cuts: set[int]) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    bounds = [0, *sorted(c for c in cuts if c < len(text)), len(text)]
    fragments = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    results = []
    for core in BACKENDS.values():
        assembler = core.ToolCallAssembler()
        events: list[Any] = []
        for fragment in fragments:
            events += assembler.add(0, id="c", name="f", arguments=fragment)
        events += assembler.finish()
        done = [e for e in events if type(e).__name__ == "ToolCallDone"]
        assert [(d.arguments, d.raw) for d in done] == [(value, text)]
        results.append([plain(e) for e in events])
    assert results[0] == results[1]


def test_readme_example_with_the_openai_sdk(core: ModuleType) -> None:
    """The README's example: an openai SDK stream's ``delta.tool_calls`` into the assembler."""
    body = (TRANSCRIPTS / "openai_chat_parallel_tool_calls.txt").read_bytes()
    chunks = [
        construct_type(type_=ChatCompletionChunk, value=json.loads(event.data))
        for event in SSEDecoder().iter_bytes(iter([body]))
        if event.data != "[DONE]"
    ]  # what `for chunk in client.chat.completions.create(..., stream=True)` yields

    assembler = core.ToolCallAssembler()
    ready = []
    for chunk in chunks:
        for choice in chunk.choices:  # type: ignore[attr-defined]
            for call in choice.delta.tool_calls or []:
                function = call.function
                for event in assembler.add(
                    call.index,
                    id=call.id,
                    name=function.name if function else None,
                    arguments=function.arguments if function else None,
                ):
                    if type(event).__name__ == "ToolCallDone":
                        ready.append((event.name, event.arguments))  # run the tool now
    ready += [(e.name, e.arguments) for e in assembler.finish() if hasattr(e, "arguments")]
    assert ready == [
        ("GetWeatherArgs", {"city": "Edinburgh", "country": "GB", "units": "c"}),
        ("get_stock_price", {"ticker": "AAPL", "exchange": "NASDAQ"}),
    ]
