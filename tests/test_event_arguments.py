"""The public event constructors check their arguments on both backends (one rule, one message:
``fluent_ai._event_fields``), and never refuse an event the decoders make."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from streams import decode

import fluent_ai._event_fields
import fluent_ai._purepy.events
from conftest import BACKENDS, NATIVE, SHARED
from fluent_ai import examples
from fluent_ai.errors import ArgumentTypeError, InvalidArgumentError
from fluent_ai.providers.openai_chat import _embedding_usage

T, V = ArgumentTypeError, InvalidArgumentError

# class, positional arguments, keyword arguments, error class, argument named, message.
BAD: list[tuple[str, tuple[Any, ...], dict[str, Any], type[Exception], str, str]] = [
    ("TextDelta", (5,), {}, T, "text", "text must be a str, not int 5"),
    ("TextDelta", (None,), {}, T, "text", "text must be a str, not None"),
    ("TextDelta", (b"x",), {}, T, "text", "text must be a str, not a value of type bytes"),
    ("TextDelta", ("x", -1), {}, V, "index", "index must be an int >= 0, not int -1"),
    ("TextDelta", ("x", True), {}, T, "index", "index must be an int >= 0, not True"),
    ("TextDelta", ("x", 1.0), {}, T, "index", "index must be an int >= 0, not float 1.0"),
    ("TextDelta", ("x",), {"index": "0"}, T, "index", "index must be an int >= 0, not str '0'"),
    ("ReasoningDelta", (b"x",), {}, T, "text", "text must be a str, not a value of type bytes"),
    ("ReasoningDelta", (), {"text": 1}, T, "text", "text must be a str, not int 1"),
    (
        "Usage",
        (),
        {"input_tokens": "x"},
        T,
        "input_tokens",
        "input_tokens must be an int >= 0 or None, not str 'x'",
    ),
    (
        "Usage",
        (),
        {"input_tokens": -1},
        V,
        "input_tokens",
        "input_tokens must be an int >= 0 or None, not int -1",
    ),
    (
        "Usage",
        (),
        {"input_tokens": True},
        T,
        "input_tokens",
        "input_tokens must be an int >= 0 or None, not True",
    ),
    (
        "Usage",
        (1, 2, 3.0),
        {},
        T,
        "total_tokens",
        "total_tokens must be an int >= 0 or None, not float 3.0",
    ),
    (
        "Usage",
        (),
        {"cache_read_tokens": -5},
        V,
        "cache_read_tokens",
        "cache_read_tokens must be an int >= 0 or None, not int -5",
    ),
    (
        "Usage",
        (),
        {"cache_write_tokens": False},
        T,
        "cache_write_tokens",
        "cache_write_tokens must be an int >= 0 or None, not False",
    ),
    (
        "Usage",
        (),
        {"reasoning_tokens": [1]},
        T,
        "reasoning_tokens",
        "reasoning_tokens must be an int >= 0 or None, not a value of type list",
    ),
    (
        "Usage",
        (0, "1"),
        {},
        T,
        "output_tokens",
        "output_tokens must be an int >= 0 or None, not str '1'",
    ),
    ("ToolCallStart", ("a", "id", "f"), {}, T, "index", "index must be an int >= 0, not str 'a'"),
    ("ToolCallStart", (-2, "id", "f"), {}, V, "index", "index must be an int >= 0, not int -2"),
    ("ToolCallStart", (0, None, "f"), {}, T, "id", "id must be a str, not None"),
    ("ToolCallStart", (0, "id", 7), {}, T, "name", "name must be a str, not int 7"),
    ("ToolCallDelta", (0, None), {}, T, "fragment", "fragment must be a str, not None"),
    ("ToolCallDelta", (None, "x"), {}, T, "index", "index must be an int >= 0, not None"),
    (
        "ToolCallDone",
        (),
        {"index": 0, "id": "i", "name": "f", "arguments": {}, "raw": None},
        T,
        "raw",
        "raw must be a str, not None",
    ),
    (
        "ToolCallDone",
        (),
        {"index": 1.5, "id": "i", "name": "f", "arguments": {}, "raw": "{}"},
        T,
        "index",
        "index must be an int >= 0, not float 1.5",
    ),
    ("ToolCallInvalid", (0, "i", "f", "{", 3), {}, T, "error", "error must be a str, not int 3"),
    (
        "ToolCallInvalid",
        (0, "i", "f", b"{", "e"),
        {},
        T,
        "raw",
        "raw must be a str, not a value of type bytes",
    ),
    ("Finish", (5, None), {}, T, "reason", "reason must be a str, not int 5"),
    ("Finish", ("stop", 1), {}, T, "raw_reason", "raw_reason must be a str or None, not int 1"),
    ("ProviderErrorEvent", (3, "m", "r"), {}, T, "type", "type must be a str or None, not int 3"),
    ("ProviderErrorEvent", (None, None, "r"), {}, T, "message", "message must be a str, not None"),
    (
        "ProviderErrorEvent",
        (None, "m", {}),
        {},
        T,
        "raw",
        "raw must be a str, not a value of type dict",
    ),
    ("PartialToolCall", (0, "i", "f", None, None), {}, T, "raw", "raw must be a str, not None"),
    (
        "PartialToolCall",
        (-1, "i", "f", "", None),
        {},
        V,
        "index",
        "index must be an int >= 0, not int -1",
    ),
]


def _ids() -> list[str]:
    return [f"{c}-{arg}-{i}" for i, (c, _, _, _, arg, _) in enumerate(BAD)]


@pytest.mark.parametrize("case", BAD, ids=_ids())
def test_bad_event_arguments_raise_the_typed_error(core: ModuleType, case: Any) -> None:
    name, args, kwargs, error, argument, message = case
    with pytest.raises(error) as raised:
        getattr(core, name)(*args, **kwargs)
    assert type(raised.value) is error
    assert raised.value.argument == argument  # type: ignore[attr-defined]
    assert str(raised.value) == message
    base = TypeError if error is T else ValueError
    assert isinstance(raised.value, base)


@pytest.mark.skipif(NATIVE is None, reason="native backend absent: nothing to compare")
def test_both_backends_word_every_refusal_alike() -> None:
    for name, args, kwargs, _, _, _ in BAD:
        said = []
        for module in (BACKENDS["native"], BACKENDS["python"]):
            with pytest.raises((T, V)) as raised:
                getattr(module, name)(*args, **kwargs)
            said.append((type(raised.value), str(raised.value)))
        assert said[0] == said[1], name


GOOD: list[tuple[str, tuple[Any, ...]]] = [
    ("TextDelta", ("", 0)),
    ("TextDelta", ("x", 2**70)),
    ("ReasoningDelta", ("",)),
    ("Usage", (None, None, None, None, None, None)),
    ("Usage", (0, 2**64 - 1, 2**80, 0, 0, 0)),
    ("ToolCallStart", (0, "", "")),
    ("ToolCallDelta", (3, "")),
    ("ToolCallDone", (0, "i", "f", [1, "x"], '[1,"x"]')),
    ("ToolCallDone", (0, "i", "f", None, "null")),
    ("ToolCallInvalid", (0, "i", "f", "{", "bad")),
    ("Finish", ("stop", None)),
    ("Finish", ("other", "weird")),
    ("ProviderErrorEvent", (None, "", "")),
    ("PartialToolCall", (0, "i", "f", '{"a', {"a": None})),
    ("PartialToolCall", (0, "i", "f", "", None)),
]


@pytest.mark.parametrize(("name", "args"), GOOD, ids=[g[0] for g in GOOD])
def test_valid_events_are_built(core: ModuleType, name: str, args: tuple[Any, ...]) -> None:
    event = getattr(core, name)(*args)
    assert tuple(event.to_dict().values()) == args


def _round_trip(events: list[Any]) -> int:
    for event in events:
        again = type(event)(**event.to_dict())
        assert again == event, event
    return len(events)


def test_every_decoded_example_event_builds_again(core: ModuleType) -> None:
    count = 0
    for name, dialect in examples.EXAMPLES.items():
        decoded = decode(core, dialect, [examples.read(name)])
        assert decoded.error is None, name
        count += _round_trip(decoded.events)
        kinds = {type(e).__name__ for e in decoded.events}
        assert {"TextDelta", "ToolCallStart", "ToolCallDone", "Finish"} <= kinds, name
    assert count > 20


REAL = SHARED / "real"
MANIFEST = Path(__file__).parent / "data" / "real" / "MANIFEST.json"


@pytest.mark.skipif(
    not REAL.is_dir(), reason="../shared/real is absent (tests/data/real/README.md)"
)
def test_every_decoded_real_stream_event_builds_again(core: ModuleType) -> None:
    """Recorded provider traffic (usage, errors, odd finish reasons), not only our examples;
    a stream cut short also yields its partial tool calls."""
    kinds: set[str] = set()
    for entry in json.loads(MANIFEST.read_text(encoding="utf-8"))["streams"]:
        data = (REAL / entry["file"]).read_bytes()
        for cut in (data, data[: len(data) // 2]):
            decoded = decode(core, entry["dialect"], [cut])
            _round_trip(decoded.events)
            kinds |= {type(e).__name__ for e in decoded.events}
            partials = getattr(decoded.error, "partial_tool_calls", None) or []
            _round_trip(list(partials))
            kinds |= {type(p).__name__ for p in partials}
    assert {
        "TextDelta",
        "ReasoningDelta",
        "Usage",
        "Finish",
        "ToolCallDone",
        "ProviderErrorEvent",
        "PartialToolCall",
    } <= kinds


@pytest.mark.parametrize(
    "arguments", [5, 1.5, True, b"{}", ("a",), object()], ids=lambda a: type(a).__name__
)
def test_assembler_refuses_arguments_of_another_type(core: ModuleType, arguments: object) -> None:
    assembler = core.ToolCallAssembler()
    with pytest.raises(ArgumentTypeError) as raised:
        assembler.add(0, "id", "f", arguments)
    assert raised.value.argument == "arguments"
    assert str(raised.value).startswith("arguments must be a str, a dict, a list or None, not ")
    # Nothing was started: the refused chunk left no call behind.
    assert assembler.finish() == []


@pytest.mark.parametrize("arguments", ['{"a":1}', {"a": 1}, [1, 2], None])
def test_assembler_takes_text_objects_and_arrays(core: ModuleType, arguments: object) -> None:
    events = core.ToolCallAssembler().add(0, "id", "f", arguments)
    assert type(events[0]).__name__ == "ToolCallStart"


def test_decoders_build_events_without_the_check(
    core: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hot path pays nothing: with the check made to fail, decoding still works (the
    native core builds its events in Rust, the pure decoders through the unchecked ``_of``)."""

    def refuse(*_: object) -> None:
        raise AssertionError("a decoder went through the checked constructor")

    monkeypatch.setattr(fluent_ai._event_fields, "check_event", refuse)
    monkeypatch.setattr(fluent_ai._purepy.events, "check_event", refuse)
    with pytest.raises(AssertionError):
        core.TextDelta("x")  # the public constructor does check
    for name, dialect in examples.EXAMPLES.items():
        decoded = decode(core, dialect, [examples.read(name)])
        assert decoded.error is None, (name, decoded.error)
        assert decoded.events, name
    # Cut after the first argument fragment's SSE event: a truncated stream with a partial call.
    data = examples.read(examples.ANTHROPIC_TOOL_USE)
    end = data.index(b"\n\n", data.index(b"input_json_delta")) + 2
    decoded = decode(core, "anthropic", [data[:end]])
    assert decoded.error is not None
    assert decoded.error.partial_tool_calls, "a stream cut inside a tool call"  # type: ignore[attr-defined]


def test_a_servers_odd_token_counts_are_no_count_not_an_error() -> None:
    """Counts read from a provider's JSON go through ``token_count``: ``true``, ``-1`` or
    ``1.5`` from a server is no count (None), never the caller's ``InvalidArgumentError``."""
    assert fluent_ai._event_fields.token_count(7) == 7
    assert fluent_ai._event_fields.token_count(0) == 0
    for odd in (True, False, -1, 1.5, "3", None):
        assert fluent_ai._event_fields.token_count(odd) is None
    usage = _embedding_usage({"prompt_tokens": -1, "total_tokens": True})
    assert (usage.input_tokens, usage.total_tokens) == (None, None)
    usage = _embedding_usage({"prompt_tokens": True, "total_tokens": 9})
    assert (usage.input_tokens, usage.total_tokens) == (9, 9)
