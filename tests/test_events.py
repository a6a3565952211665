"""The normalized event classes: immutable, compared and hashed by value, readable, matchable
and picklable, with the same behaviour on both backends."""

from __future__ import annotations

import pickle
import sys
from types import ModuleType

import pytest

EXAMPLES = {
    "TextDelta": ("hi", 1),
    "ReasoningDelta": ("hmm",),
    "ToolCallStart": (0, "call_1", "get"),
    "ToolCallDelta": (0, '{"a"'),
    "ToolCallDone": (0, "call_1", "get", {"a": 1}, '{"a": 1}'),
    "ToolCallInvalid": (0, "call_1", "get", "{", "unexpected end"),
    "Usage": (10, 5, 15, 2, None, 1),
    "Finish": ("stop", "end_turn"),
    "ProviderErrorEvent": ("overloaded_error", "Overloaded", "{}"),
    "PartialToolCall": (0, "call_1", "get", '{"a": [1', {"a": [1]}),
}
FIELDS = {
    "TextDelta": ("text", "index"),
    "ReasoningDelta": ("text",),
    "ToolCallStart": ("index", "id", "name"),
    "ToolCallDelta": ("index", "fragment"),
    "ToolCallDone": ("index", "id", "name", "arguments", "raw"),
    "ToolCallInvalid": ("index", "id", "name", "raw", "error"),
    "Usage": (
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
    ),
    "Finish": ("reason", "raw_reason"),
    "ProviderErrorEvent": ("type", "message", "raw"),
    "PartialToolCall": ("index", "id", "name", "raw", "partial"),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_fields_equality_repr_and_pickle(core: ModuleType, name: str) -> None:
    cls = getattr(core, name)
    values = EXAMPLES[name]
    event = cls(*values)
    assert cls.__match_args__ == FIELDS[name]
    assert tuple(getattr(event, f) for f in FIELDS[name]) == values
    assert event == cls(*values)
    assert event == cls(**dict(zip(FIELDS[name], values)))
    # Another valid value of the last field (an int field takes only ints).
    other = values[-1] + 1 if isinstance(values[-1], int) else "other"
    assert event != cls(*values[:-1], other)
    assert event != values
    fields = ", ".join(f"{f}={v!r}" for f, v in zip(FIELDS[name], values))
    assert repr(event) == f"{name}({fields})"
    assert pickle.loads(pickle.dumps(event)) == event
    with pytest.raises(AttributeError):
        setattr(event, FIELDS[name][0], "changed")


def test_hash_by_value_and_unhashable_dict_fields(core: ModuleType) -> None:
    assert hash(core.TextDelta("a")) == hash(core.TextDelta("a", 0))
    assert len({core.Finish("stop", None), core.Finish("stop", None)}) == 1
    with pytest.raises(TypeError):
        hash(core.ToolCallDone(0, "c", "f", {"a": 1}, "{}"))


def test_defaults_and_missing_arguments(core: ModuleType) -> None:
    assert core.TextDelta("x").index == 0
    assert core.Usage() == core.Usage(None, None, None, None, None, None)
    with pytest.raises(TypeError):
        core.Finish("stop")


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")
def test_match_positional_patterns(core: ModuleType) -> None:
    namespace = {"core": core}
    exec(
        "def describe(event):\n"
        "    match event:\n"
        "        case core.TextDelta(text, 0):\n"
        "            return f'text {text}'\n"
        "        case core.ToolCallDone(index, _, name, arguments):\n"
        "            return f'call {index} {name} {arguments}'\n"
        "        case core.Finish(reason=reason):\n"
        "            return f'finish {reason}'\n",
        namespace,
    )
    describe = namespace["describe"]
    assert describe(core.TextDelta("hi")) == "text hi"  # type: ignore[operator]
    done = core.ToolCallDone(2, "c", "f", {"a": 1}, "{}")
    assert describe(done) == "call 2 f {'a': 1}"  # type: ignore[operator]
    assert describe(core.Finish("length", "max_tokens")) == "finish length"  # type: ignore[operator]
