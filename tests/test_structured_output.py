"""Structured output (docs/structured-output.md): ``response_format=`` with a JSON Schema dict,
a pydantic model, a ``TypedDict`` or a dataclass, translated per provider (checked in each
request body), ``ChatResponse.parsed``, ``OutputPartial`` events while streaming (each a prefix
of the final value, on every split of the output, on both backends) and
``StructuredOutputError``.

Every provider answers from the loopback server in its own stream format
(tests/structured_play.py); both clients run each scenario.
"""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import pickle
from types import ModuleType
from typing import Any, Literal, Optional, TypedDict, Union

import pydantic
import pytest
from client_helpers import Runner, mode, server  # noqa: F401  (fixtures)
from depth_streams import on_small_stack
from hypothesis import given, settings
from hypothesis import strategies as st
from loopback import LoopbackServer
from structured_play import PROVIDERS, is_prefix, play
from structured_play import settings as provider_settings

import fluent_ai
from fluent_ai import errors
from fluent_ai.structured import (
    OutputPartial,
    OutputStream,
    output_format,
    schema_of,
    strict_schema,
)
from fluent_ai.structured._output import MAX_DEPTH

QUESTION = [{"role": "user", "content": "Who is Ada?"}]


class Person(pydantic.BaseModel):
    name: str
    age: int
    email: Optional[str] = None  # noqa: UP045  (evaluated on 3.9)
    tags: list[str] = []


class Handle:
    """An arbitrary class: pydantic validates it by isinstance, with no JSON Schema."""


class Pet(TypedDict):
    kind: Literal["cat", "dog"]
    name: str


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Address:
    street: str
    city: str


@dataclasses.dataclass
class Owner:
    """Someone with pets."""

    name: str
    age: int
    address: Address
    pets: list[Pet]
    colour: Colour
    nickname: Optional[str] = None  # noqa: UP045  (evaluated on 3.9)


DICT_SCHEMA = {
    "type": "object",
    "title": "Scores",
    "properties": {
        "title": {"type": "string"},
        "scores": {"type": "array", "items": {"type": "number"}},
        "done": {"type": "boolean"},
    },
    "required": ["title", "scores", "done"],
}

# (response_format, the model's output as JSON data, what ``parsed`` must be)
OWNER_DATA = {
    "name": "Ada Lovelace \u00e9\u4e2d\U0001f600",
    "age": 36,
    "address": {"street": "12 St James's Sq", "city": "London"},
    "pets": [{"kind": "cat", "name": "Pi"}, {"kind": "dog", "name": "Byron"}],
    "colour": "blue",
    "nickname": None,
}
CASES: dict[str, tuple[Any, Any, Any]] = {
    "dict": (
        DICT_SCHEMA,
        {"title": 'run "1"\n', "scores": [1.5, -2, 3e2, 0], "done": True},
        {"title": 'run "1"\n', "scores": [1.5, -2, 3e2, 0], "done": True},
    ),
    "pydantic": (
        Person,
        {"name": "Ada", "age": 36, "email": None, "tags": ["math", "poetry"]},
        Person(name="Ada", age=36, tags=["math", "poetry"]),
    ),
    "typeddict": (
        Pet,
        {"kind": "cat", "name": "Pi \\ \u00e9"},
        {"kind": "cat", "name": "Pi \\ \u00e9"},
    ),
    "dataclass": (
        Owner,
        OWNER_DATA,
        Owner(
            name=OWNER_DATA["name"],
            age=36,
            address=Address("12 St James's Sq", "London"),
            pets=[{"kind": "cat", "name": "Pi"}, {"kind": "dog", "name": "Byron"}],
            colour=Colour.BLUE,
        ),
    ),
}


def _partials(events: list[Any]) -> list[Any]:
    return [event.value for event in events if type(event) is OutputPartial]


def _check_partials(partials: list[Any], final: Any) -> None:
    assert partials, "no OutputPartial event"
    for before, after in zip(partials, partials[1:]):
        assert before != after  # only changes are sent
        assert is_prefix(before, after), (before, after)
    for partial in partials:
        assert is_prefix(partial, final), (partial, final)
    assert partials[-1] == final


# Per provider, per form: the stream and the whole answer -------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_stream_per_provider(server: LoopbackServer, mode: str, name: str, case: str) -> None:
    provider = PROVIDERS[name]
    response_format, data, expected = CASES[case]
    text = json.dumps(data, ensure_ascii=False)
    play(server, provider, text, piece=3)
    result = Runner(mode, providers=provider_settings(server)).stream(
        f"{name}/{provider.model}", QUESTION, response_format=response_format
    )
    assert result.error is None, result.error
    assert result.text == text
    _check_partials(_partials(result.events), data)
    # Each OutputPartial follows the text event that completed it.
    first = next(i for i, e in enumerate(result.events) if type(e) is OutputPartial)
    assert type(result.events[first - 1]) is fluent_ai.TextDelta
    assert result.response.parsed == expected
    assert type(result.response.parsed) is type(expected)
    body = json.loads(server.requests[-1].body)
    wire = output_format(response_format).wire  # type: ignore[union-attr]
    provider.wire(body, wire["json_schema"])


@pytest.mark.parametrize("case", ["dict", "pydantic", "dataclass"])
@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_chat_per_provider(server: LoopbackServer, mode: str, name: str, case: str) -> None:
    provider = PROVIDERS[name]
    response_format, data, expected = CASES[case]
    play(server, provider, json.dumps(data))
    answer = Runner(mode, providers=provider_settings(server)).chat(
        f"{name}/{provider.model}", QUESTION, response_format=response_format
    )
    assert answer.parsed == expected
    assert answer.text == json.dumps(data)
    # parsed is derived: not in to_dict, repr or equality
    assert "parsed" not in answer.to_dict()
    assert answer == dataclasses.replace(answer, parsed=None)
    provider.wire(
        json.loads(server.requests[-1].body), output_format(response_format).wire["json_schema"]
    )  # type: ignore[union-attr]


def test_openai_wire_form_of_each_kind() -> None:
    wire = output_format(Person).wire  # type: ignore[union-attr]
    assert wire["type"] == "json_schema"
    spec = wire["json_schema"]
    assert (spec["name"], spec["strict"]) == ("Person", True)
    # strict: every property required, no extra properties, no defaults
    assert spec["schema"]["required"] == ["name", "age", "email", "tags"]
    assert spec["schema"]["additionalProperties"] is False
    assert '"default": null' not in json.dumps(spec["schema"])  # the others stay (openai SDK)
    owner = output_format(Owner).wire["json_schema"]  # type: ignore[union-attr]
    assert owner["schema"]["description"] == "Someone with pets."
    defs = owner["schema"]["$defs"]
    assert defs["Address"]["required"] == ["street", "city"]
    assert defs["Pet"]["properties"]["kind"] == {"enum": ["cat", "dog"], "type": "string"}
    assert owner["schema"]["properties"]["colour"] == {"enum": ["red", "blue"], "type": "string"}
    assert owner["schema"]["properties"]["nickname"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }
    # OpenAI's own forms go out as given
    raw = {
        "type": "json_schema",
        "json_schema": {"name": "x", "schema": {"type": "object"}, "strict": False},
    }
    assert output_format(raw).wire == raw  # type: ignore[union-attr]
    assert output_format({"type": "json_object"}).wire == {"type": "json_object"}  # type: ignore[union-attr]
    assert output_format({"type": "text"}) is None
    assert (
        output_format({"title": "a b/c", "type": "object"}).wire["json_schema"]["name"] == "a_b_c"
    )  # type: ignore[union-attr]


def test_a_schema_that_cannot_be_strict_is_sent_as_given() -> None:
    @dataclasses.dataclass
    class Counts:
        by_word: dict[str, int]

    spec = output_format(Counts).wire["json_schema"]  # type: ignore[union-attr]
    assert spec["strict"] is False
    assert spec["schema"] == schema_of(Counts)
    loose = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": True,
    }
    sent, strict = strict_schema(loose)
    assert (sent, strict) == (loose, False)
    deep: dict[str, Any] = {"type": "object", "properties": {}}
    node = deep
    for _ in range(5000):  # no recursion on the schema's depth
        child: dict[str, Any] = {"type": "object", "properties": {}}
        node["properties"]["x"] = child
        node = child
    sent, strict = strict_schema(deep)
    assert strict and sent["required"] == ["x"] and "required" not in deep


def test_json_object_mode_parses_any_json(server: LoopbackServer, mode: str) -> None:
    play(server, PROVIDERS["openai"], '[1, {"a": null}]')
    answer = Runner(mode, providers=provider_settings(server)).chat(
        "openai/gpt-4.1", QUESTION, response_format={"type": "json_object"}
    )
    assert answer.parsed == [1, {"a": None}]
    assert json.loads(server.requests[-1].body)["response_format"] == {"type": "json_object"}


# Errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "text", "words"),
    [
        ("pydantic", '{"name": "Ada", "age": "old", "email": null, "tags": []}', "$.age"),
        ("dict", '{"title": 5, "scores": [1, "x"], "done": true}', "$.scores[1]: expected number"),
        (
            "dataclass",
            json.dumps({**OWNER_DATA, "pets": [{"kind": "cow", "name": "x"}]}),
            "$.pets[0].kind",
        ),
        ("typeddict", '{"kind": "cat"}', "'name' is missing"),
        ("typeddict", '{"kind": "cat", "name": "x", "extra": 1}', "'extra' is not allowed"),
    ],
)
def test_validation_failure(
    server: LoopbackServer, mode: str, case: str, text: str, words: str
) -> None:
    play(server, PROVIDERS["anthropic"], text)
    runner = Runner(mode, providers=provider_settings(server))
    with pytest.raises(errors.StructuredOutputError) as caught:
        runner.chat("anthropic/claude-sonnet-4-5", QUESTION, response_format=CASES[case][0])
    error = caught.value
    assert words in str(error) and any(words in problem for problem in error.errors)
    assert error.text == text
    assert error.response.text == text and error.response.parsed is None
    assert error.response.usage.output_tokens == 9
    assert "sk-structured-test" not in repr(error.__dict__) + str(error)
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.text, again.errors) == (str(error), error.text, error.errors)
    # The stream delivers every event, then raises; its response is set, unparsed.
    result = runner.stream("anthropic/claude-sonnet-4-5", QUESTION, response_format=CASES[case][0])
    assert isinstance(result.error, errors.StructuredOutputError)
    assert result.text == text
    assert any(type(e).__name__ == "Finish" for e in result.events)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"title": "cut', "not one whole JSON value"),
        ('Sure! {"title": "x"}', "not JSON"),
        ('{"title": "x", "scores": [], "done": true} and more', "not JSON"),
        ("", "not one whole JSON value"),
    ],
)
def test_output_that_is_not_json(server: LoopbackServer, mode: str, text: str, words: str) -> None:
    play(server, PROVIDERS["openai"], text)
    runner = Runner(mode, providers=provider_settings(server))
    result = runner.stream("openai/gpt-4.1", QUESTION, response_format=DICT_SCHEMA)
    assert isinstance(result.error, errors.StructuredOutputError), result.error
    assert words in str(result.error)
    assert result.error.text == text
    assert result.text == text  # nothing received is lost
    with pytest.raises(errors.StructuredOutputError, match=words):
        runner.chat("openai/gpt-4.1", QUESTION, response_format=DICT_SCHEMA)


def test_cut_at_max_tokens_says_so(server: LoopbackServer) -> None:
    server.reset()
    frames = PROVIDERS["openai"].stream(['{"title": "lo', "ng"])
    frames[-2] = frames[-2].replace(b'"finish_reason": "stop"', b'"finish_reason": "length"')
    from loopback import Response  # noqa: PLC0415

    server.route(
        "POST", "/v1/chat/completions", Response(200, {"content-type": "text/event-stream"}, frames)
    )
    result = Runner("sync", providers=provider_settings(server)).stream(
        "openai/gpt-4.1", QUESTION, response_format=DICT_SCHEMA
    )
    assert isinstance(result.error, errors.StructuredOutputError)
    assert "max_tokens" in str(result.error)
    assert _partials(result.events) == [{"title": "lo"}, {"title": "long"}]


def test_a_refusal_is_the_error_text(server: LoopbackServer, mode: str) -> None:
    server.reset()
    refusal = "I'm sorry, I cannot help with that."
    frames = PROVIDERS["openai"].stream([])
    chunk = {"id": "c", "object": "chat.completion.chunk", "model": "gpt-4.1"}
    delta = {"index": 0, "delta": {"refusal": refusal}, "finish_reason": None}
    frames.insert(1, b"data: " + json.dumps({**chunk, "choices": [delta]}).encode() + b"\n\n")
    from loopback import Response  # noqa: PLC0415

    server.route(
        "POST", "/v1/chat/completions", Response(200, {"content-type": "text/event-stream"}, frames)
    )
    result = Runner(mode, providers=provider_settings(server)).stream(
        "openai/gpt-4.1", QUESTION, response_format=Person
    )
    assert isinstance(result.error, errors.StructuredOutputError)
    assert result.error.text == refusal and not _partials(result.events)


def test_tool_calls_leave_parsed_none(server: LoopbackServer, mode: str) -> None:
    server.reset()
    whole = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    server.json("POST", "/v1/chat/completions", whole)
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    answer = Runner(mode, providers=provider_settings(server)).chat(
        "openai/gpt-4.1", QUESTION, tools=tools, response_format=Person
    )
    assert answer.parsed is None and answer.tool_calls[0].name == "f"


def test_a_schema_where_only_json_mode_exists_is_unsupported(server: LoopbackServer) -> None:
    server.reset()
    runner = Runner("sync", providers={"deepseek": {"base_url": server.url, "api_key": "k"}})
    with pytest.raises(errors.UnsupportedParameterError) as caught:
        runner.chat("deepseek/deepseek-chat", QUESTION, response_format=Person)
    assert (caught.value.provider, caught.value.parameter) == ("deepseek", "response_format")
    assert server.requests == []
    server.json("POST", "/chat/completions", PROVIDERS["openai"].whole('{"a": 1}'))
    answer = runner.chat(
        "deepseek/deepseek-chat", QUESTION, response_format={"type": "json_object"}
    )
    assert answer.parsed == {"a": 1}


@pytest.mark.parametrize("name", ["anthropic", "bedrock"])
def test_json_mode_without_schema_is_unsupported(
    server: LoopbackServer, mode: str, name: str
) -> None:
    server.reset()
    provider = PROVIDERS[name]
    with pytest.raises(errors.UnsupportedParameterError) as caught:
        Runner(mode, providers=provider_settings(server)).chat(
            f"{name}/{provider.model}", QUESTION, response_format={"type": "json_object"}
        )
    assert (caught.value.provider, caught.value.parameter) == (name, "response_format")
    assert server.requests == []


@pytest.mark.parametrize(
    ("value", "cls", "argument"),
    [
        (5, errors.ArgumentTypeError, "response_format"),
        (str, errors.ArgumentTypeError, "response_format"),
        ("json", errors.ArgumentTypeError, "response_format"),
        ({}, errors.ArgumentTypeError, "response_format['type']"),
        ({"type": 5}, errors.ArgumentTypeError, "response_format['type']"),
        (
            {"type": "json_schema", "json_schema": 5},
            errors.ArgumentTypeError,
            "response_format['json_schema']",
        ),
        ({1: "x"}, errors.ArgumentTypeError, "a key of response_format"),
        (
            {"type": "object", "enum": [float("nan")]},
            errors.InvalidArgumentError,
            "response_format",
        ),
    ],
)
def test_bad_response_format_is_refused_before_sending(
    server: LoopbackServer, value: Any, cls: type, argument: str
) -> None:
    server.reset()
    with pytest.raises(cls) as caught:
        Runner("sync", providers=provider_settings(server)).chat(
            "openai/gpt-4.1", QUESTION, response_format=value
        )
    assert caught.value.argument == argument  # type: ignore[attr-defined]
    assert server.requests == []


def test_a_class_without_a_schema_names_its_field() -> None:
    @dataclasses.dataclass
    class Event:
        when: datetime.datetime

    with pytest.raises(errors.InvalidArgumentError, match=r"Event\.when"):
        output_format(Event)

    class Keyed(TypedDict):
        counts: dict[int, int]

    with pytest.raises(errors.InvalidArgumentError, match=r"Keyed\.counts"):
        output_format(Keyed)

    class Opaque(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
        handle: Handle  # a type pydantic has no JSON Schema for

    with pytest.raises(errors.InvalidArgumentError, match="Opaque"):
        output_format(Opaque)

    @dataclasses.dataclass
    class Dangling:
        other: Missing  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(errors.InvalidArgumentError, match=r"Dangling.*Missing"):
        output_format(Dangling)


def test_recursive_and_union_classes() -> None:
    @dataclasses.dataclass
    class Node:
        label: str
        children: list[Node]
        weight: Union[int, str, None] = None  # noqa: UP007  (evaluated on 3.9)
        span: tuple[int, int] = (0, 0)

    import sys  # noqa: PLC0415

    sys.modules[__name__].Node = Node  # type: ignore[attr-defined]  # the forward reference
    spec = output_format(Node)
    assert spec is not None
    schema = spec.wire["json_schema"]["schema"]
    assert schema["properties"]["children"] == {"type": "array", "items": {"$ref": "#/$defs/Node"}}
    value = {
        "label": "a",
        "weight": 2,
        "span": [1, 2],
        "children": [{"label": "b", "weight": "x", "span": [0, 1], "children": []}],
    }
    built = spec.validate(value, json.dumps(value))
    assert built == Node("a", [Node("b", [], "x", (0, 1))], 2, (1, 2))
    with pytest.raises(errors.StructuredOutputError, match=r"\$\.children\[0\]\.span"):
        spec.validate({**value, "children": [{**value["children"][0], "span": [1]}]}, "")


# The partial values: every split, both backends ------------------------------------------------


def _run(core: ModuleType, text: str, cuts: list[int]) -> tuple[list[Any], Any]:
    output = output_format(DICT_SCHEMA if False else {"type": "json_object"})
    assert output is not None
    stream = OutputStream(output, core.TextDelta, core.JsonStream)
    events: list[Any] = []
    bounds = [0, *cuts, len(text)]
    for start, end in zip(bounds, bounds[1:]):
        batch: list[Any] = [core.TextDelta(text[start:end])] if end > start else []
        stream.add_partials(batch)
        events += batch
    return _partials(events), stream


FINAL = {
    "a": [1, -2.5e3, True, None, 'x"\\\u00e9\U0001f600'],
    "b": {"c": "", "d": [[], {}]},
    "e": 12345,
}
FINAL_TEXT = json.dumps(FINAL, ensure_ascii=False)


def test_every_split_in_two(core: ModuleType) -> None:
    for cut in range(len(FINAL_TEXT) + 1):
        partials, _ = _run(core, FINAL_TEXT, [cut])
        if partials:
            for partial in partials:
                assert is_prefix(partial, FINAL), (cut, partial)
            assert partials[-1] == FINAL


def test_one_character_at_a_time(core: ModuleType) -> None:
    partials, _ = _run(core, FINAL_TEXT, list(range(1, len(FINAL_TEXT))))
    _check_partials(partials, FINAL)
    # a number shows only once complete: never 1234 on the way to 12345
    assert all(p.get("e") in (None, 12345) for p in partials)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(value=st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=5), data=st.data())
def test_random_values_and_cuts(value: dict[str, Any], data: st.DataObject) -> None:
    from conftest import BACKENDS, NATIVE  # noqa: PLC0415

    text = json.dumps(value, ensure_ascii=False)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=8)))
    results = []
    for name, core in sorted(BACKENDS.items()):
        if name == "native" and NATIVE is None:
            continue
        partials, _ = _run(core, text, cuts)
        for partial in partials:
            assert is_prefix(partial, value)
        if text != "{}":
            assert partials[-1] == value
        results.append(partials)
    assert all(r == results[0] for r in results)  # the backends agree


def test_output_partial_event() -> None:
    event = OutputPartial({"a": [1]})
    assert event == OutputPartial({"a": [1]}) and event != OutputPartial({"a": []})
    assert OutputPartial(**event.to_dict()) == event
    assert pickle.loads(pickle.dumps(event)) == event
    assert len(repr(OutputPartial("x" * 10_000))) < 120
    assert OutputPartial.__match_args__ == ("value",)  # `case OutputPartial(value):`
    with pytest.raises(TypeError):
        hash(event)


@dataclasses.dataclass
class Chain:
    label: str
    child: Optional[Chain] = None  # noqa: UP045  (evaluated on 3.9)
    kids: list[Union[Chain, int]] = dataclasses.field(default_factory=list)  # noqa: UP007


def _chain(levels: int) -> str:
    value: dict[str, Any] = {"label": "x", "child": None, "kids": []}
    for _ in range(levels):
        value = {"label": "x", "child": value, "kids": [1]}
    return json.dumps(value)


@pytest.mark.parametrize("levels", [62, 63, 500])
def test_deep_output_on_a_small_stack(core: ModuleType, levels: int) -> None:
    # Validation and the building of nested classes recurse once per level: the output's
    # nesting is bounded (MAX_DEPTH), so no RecursionError or overflow, even on 256 KiB.
    output = output_format(Chain)
    assert output is not None
    text = _chain(levels)

    def run() -> Any:
        stream = OutputStream(output, core.TextDelta, core.JsonStream)
        stream.add_partials([core.TextDelta(text)])
        return stream.finish(fluent_ai.ChatResponse(text, (), None, "stop", "m", "p")).parsed

    if levels < MAX_DEPTH - 1:
        parsed = on_small_stack(run)
        assert isinstance(parsed, Chain) and parsed.child is not None
    else:
        with pytest.raises(errors.StructuredOutputError, match="max_depth=64"):
            on_small_stack(run)


@pytest.mark.parametrize("family", ["google", "anthropic"])
def test_vertex_both_families(
    server: LoopbackServer, mode: str, tmp_path: Any, family: str
) -> None:
    # Vertex AI's Gemini and Claude models (OAuth, per-family paths): the same translations.
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415
    from vertex_play import CLAUDE, GEMINI, VertexPlay, pem_of, write_key  # noqa: PLC0415

    server.reset()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    play_ = VertexPlay(server, key, project="p1", location="us-east5")
    text = json.dumps(CASES["pydantic"][1])
    pieces = [text[i : i + 5] for i in range(0, len(text), 5)]
    provider = PROVIDERS["gemini" if family == "google" else "anthropic"]
    play_.streams[family] = provider.stream(pieces)
    play_.whole[family] = provider.whole(text)
    key_file = write_key(tmp_path / "key.json", pem_of(key), play_.endpoint.url)
    settings = {
        "vertex": {
            "base_url": server.url + "/v1",
            "project": "p1",
            "location": "us-east5",
            "credentials_file": str(key_file),
        }
    }
    model = "vertex/" + (GEMINI if family == "google" else CLAUDE)
    runner = Runner(mode, providers=settings)
    result = runner.stream(model, QUESTION, response_format=Person)
    assert result.error is None, result.error
    _check_partials(_partials(result.events), CASES["pydantic"][1])
    assert result.response.parsed == CASES["pydantic"][2]
    assert runner.chat(model, QUESTION, response_format=Person).parsed == CASES["pydantic"][2]
    wire = output_format(Person).wire["json_schema"]  # type: ignore[union-attr]
    for request in play_.requests():
        provider.wire(request.json(), wire)


@pytest.mark.parametrize(
    ("model", "base", "path"),
    [
        ("azure/my-deployment", "/openai", "/openai/deployments/my-deployment/chat/completions"),
        ("groq/llama-3.3-70b-versatile", "/openai/v1", "/openai/v1/chat/completions"),
        ("mistral/mistral-large-latest", "/v1", "/v1/chat/completions"),
    ],
)
def test_openai_compatible_services(
    server: LoopbackServer, mode: str, model: str, base: str, path: str
) -> None:
    server.reset()
    response_format, data, expected = CASES["dataclass"]
    text = json.dumps(data)
    frames = PROVIDERS["openai"].stream([text[i : i + 7] for i in range(0, len(text), 7)])
    from loopback import Response  # noqa: PLC0415

    server.route("POST", path, Response(200, {"content-type": "text/event-stream"}, frames))
    name = model.split("/", maxsplit=1)[0]
    settings: dict[str, Any] = {name: {"base_url": server.url + base, "api_key": "k"}}
    if name == "azure":
        settings[name]["api_version"] = "2024-10-21"
    result = Runner(mode, providers=settings).stream(
        model, QUESTION, response_format=response_format
    )
    assert result.error is None, result.error
    assert result.response.parsed == expected
    _check_partials(_partials(result.events), data)
    wire = output_format(response_format).wire  # type: ignore[union-attr]
    assert json.loads(server.requests[-1].body)["response_format"] == wire


class Inner(pydantic.BaseModel):
    city: str
    zip: Optional[str] = None  # noqa: UP045  (evaluated on 3.9)


class Outer(pydantic.BaseModel):
    """A person, with nested models, defaults and literals."""

    name: str
    age: int = 3
    kind: Literal["a", "b"]
    places: list[Inner]
    main: Optional[Inner] = None  # noqa: UP045  (evaluated on 3.9)
    pair: tuple[int, str] = (1, "x")


class Described(pydantic.BaseModel):
    home: Inner = pydantic.Field(description="Where they live")
    other: Optional[Inner] = pydantic.Field(None, description="Elsewhere")  # noqa: UP045


class Tree(pydantic.BaseModel):
    label: str
    children: list[Tree] = pydantic.Field(default_factory=list, description="Sub-trees")


@pytest.mark.parametrize("model", [Person, Inner, Outer, Described, Tree])
def test_openai_wire_form_matches_the_openai_sdk(model: type) -> None:
    # The oracle: what openai's client.chat.completions.parse(response_format=model) sends.
    openai_parsing = pytest.importorskip("openai.lib._parsing._completions")
    expected = openai_parsing.type_to_response_format_param(model)
    assert output_format(model).wire == expected  # type: ignore[union-attr]


def test_where_the_openai_sdk_would_be_refused() -> None:
    # A dict[str, X] field: the SDK keeps additionalProperties {X} and says strict, which
    # OpenAI's strict mode refuses; fluent-ai sends strict false instead (documented).
    class Counts(pydantic.BaseModel):
        scores: dict[str, int]

    openai_parsing = pytest.importorskip("openai.lib._parsing._completions")
    theirs = openai_parsing.type_to_response_format_param(Counts)["json_schema"]
    ours = output_format(Counts).wire["json_schema"]  # type: ignore[union-attr]
    assert theirs["strict"] is True and ours["strict"] is False
    assert ours["schema"] == Counts.model_json_schema()


class Loop(pydantic.BaseModel):
    label: str
    next: Loop = pydantic.Field(description="always another")


def test_an_endlessly_recursive_described_reference_is_not_strict() -> None:
    # Unravelling {"$ref": ..., "description": ...} would never end: sent as given, not strict.
    spec = output_format(Loop).wire["json_schema"]  # type: ignore[union-attr]
    assert spec["strict"] is False and spec["schema"] == Loop.model_json_schema()
