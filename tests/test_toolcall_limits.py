"""``max_argument_bytes`` counts UTF-8 bytes, not characters, on both backends: multi-byte
text exactly at the limit passes, one byte more fails, however the arguments arrive (one
fragment, many, split inside a character's escape, whole objects). ``JsonStream(max_bytes)``
counts the same bytes for ``str`` and ``bytes`` fragments."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from fluent_ai.errors import LimitExceeded

# 2-, 3- and 4-byte characters: a character count is far below the byte count.
WIDE = "é€😀"


def names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def arguments_of_bytes(size: int) -> str:
    """A JSON object whose UTF-8 text is exactly ``size`` bytes and mostly multi-byte."""
    text = '{"a":"'
    while len((text + WIDE + '"}').encode()) <= size:
        text += WIDE
    text += "x" * (size - len((text + '"}').encode()))
    text += '"}'
    assert len(text.encode()) == size
    assert len(text) < size - 8  # characters and bytes really differ
    return text


@pytest.mark.parametrize("limit", [64, 100, 4096])
def test_multibyte_arguments_exactly_at_the_limit_pass(core: ModuleType, limit: int) -> None:
    text = arguments_of_bytes(limit)
    assembler = core.ToolCallAssembler(max_argument_bytes=limit)
    events = assembler.add(0, id="c", name="f", arguments=text)
    assert names(events) == ["ToolCallStart", "ToolCallDelta", "ToolCallDone"]
    assert events[-1].arguments == json.loads(text)


@pytest.mark.parametrize("limit", [64, 100, 4096])
def test_one_byte_over_the_limit_fails(core: ModuleType, limit: int) -> None:
    text = arguments_of_bytes(limit + 1)
    assembler = core.ToolCallAssembler(max_argument_bytes=limit)
    with pytest.raises(LimitExceeded) as caught:
        assembler.add(0, id="c", name="f", arguments=text)
    assert (caught.value.limit, caught.value.position) == (limit, limit)
    assert f"max_argument_bytes={limit}" in caught.value.message
    assert names(caught.value.completed) == ["ToolCallStart"]


def fragments_of(text: str, every: int) -> list[str]:
    return [text[i : i + every] for i in range(0, len(text), every)]


@pytest.mark.parametrize("every", [1, 2, 3, 7])
def test_fragments_are_counted_in_bytes(core: ModuleType, every: int) -> None:
    limit = 80
    exact = arguments_of_bytes(limit)
    assembler = core.ToolCallAssembler(max_argument_bytes=limit)
    events: list[Any] = []
    for fragment in fragments_of(exact, every):
        events += assembler.add(0, id="c", name="f", arguments=fragment)
    assert names(events)[-1] == "ToolCallDone"

    over = arguments_of_bytes(limit + 1)
    assembler = core.ToolCallAssembler(max_argument_bytes=limit)
    sent = 0
    refused = ""
    for fragment in fragments_of(over, every):
        try:
            assembler.add(0, id="c", name="f", arguments=fragment)
        except LimitExceeded:
            refused = fragment
            break
        sent += len(fragment.encode())
    # It failed at the fragment that crossed the limit, not before and not after.
    assert refused
    assert sent <= limit < sent + len(refused.encode())


def test_the_fragment_that_crosses_the_limit_is_the_one_refused(core: ModuleType) -> None:
    limit = 10
    assembler = core.ToolCallAssembler(max_argument_bytes=limit)
    assembler.add(0, id="c", name="f", arguments='{"a":"')  # 6 bytes
    assert names(assembler.add(0, arguments="é")) == ["ToolCallDelta"]  # 8
    with pytest.raises(LimitExceeded):
        assembler.add(0, arguments="€")  # 11 bytes, 8 characters
    # Nothing was taken from the refused fragment: two ASCII bytes still fit, then "}" not.
    assert names(assembler.add(0, arguments='"')) == ["ToolCallDelta"]  # 9
    assert names(assembler.add(0, arguments="}")) == ["ToolCallDelta", "ToolCallDone"]  # 10


def test_whole_argument_objects_are_counted_in_bytes(core: ModuleType) -> None:
    value = {"a": WIDE * 5}
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    events = core.ToolCallAssembler(max_argument_bytes=size).add(0, id="c", arguments=value)
    assert names(events)[-1] == "ToolCallDone"
    assert events[-1].arguments == value
    with pytest.raises(LimitExceeded) as caught:
        core.ToolCallAssembler(max_argument_bytes=size - 1).add(0, id="c", arguments=value)
    assert caught.value.limit == size - 1


@pytest.mark.parametrize("as_bytes", [False, True])
def test_json_stream_max_bytes_counts_utf8_for_str_and_bytes(
    core: ModuleType, as_bytes: bool
) -> None:
    text = arguments_of_bytes(50)

    def feed(stream: Any, fragment: str) -> Any:
        return stream.feed(fragment.encode() if as_bytes else fragment)

    exact = core.JsonStream(max_bytes=50)
    for fragment in fragments_of(text, 3):
        feed(exact, fragment)
    assert exact.finish() == json.loads(text)
    assert exact.position == 50

    over = core.JsonStream(max_bytes=49)
    with pytest.raises(LimitExceeded) as caught:
        for fragment in fragments_of(text, 3):
            feed(over, fragment)
    assert caught.value.limit == 49
