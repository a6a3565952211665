"""``to_dict()`` and the short reprs of events and responses (README, "Types and serialization").

``to_dict()`` must give plain JSON data (``json.loads(json.dumps(d)) == d``: no tuples, no
objects), the same on both backends, and for an event the keyword arguments that build it
again. A repr cuts each field whose own ``repr`` is longer than 80 characters (code points) to
its first 60, then ``...<N chars>`` with N the length of the whole field repr; both backends
give the same text.
"""

from __future__ import annotations

import datetime
import json
import re
from types import ModuleType
from typing import Any

import pytest
from client_helpers import Runner, mode, server  # noqa: F401  (fixtures)
from fake_providers import KEY, SSE, frames, transcript
from loopback import LoopbackServer, Response, json_response

import fluent_ai
from conftest import BACKENDS, NATIVE
from fluent_ai import ChatResponse, EmbeddingResponse, RerankResponse, RerankResult
from fluent_ai._short_repr import FIELD_HEAD, FIELD_LIMIT

EVENT_NAMES = [
    "TextDelta",
    "ReasoningDelta",
    "ToolCallStart",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallInvalid",
    "Usage",
    "Finish",
    "ProviderErrorEvent",
    "PartialToolCall",
]

BIG = 1024 * 1024
ARGUMENTS = {"city": "Zürich", "days": [1, 2.5, None, True], "nested": {"emoji": "🌧️"}}


def samples(core: ModuleType) -> list[Any]:
    """One event of each class, with non-ASCII text, nested arguments and None fields."""
    return [
        core.TextDelta("Grüße 👋", 1),
        core.ReasoningDelta("Let me think…"),
        core.ToolCallStart(0, "call_1", "get_weather"),
        core.ToolCallDelta(0, '{"city": "Zü'),
        core.ToolCallDone(0, "call_1", "get_weather", ARGUMENTS, json.dumps(ARGUMENTS)),
        core.ToolCallInvalid(1, "call_2", "f", '{"a": ', "unexpected end of input"),
        core.Usage(120, 30, 150, None, 0, 12),
        core.Finish("stop", None),
        core.ProviderErrorEvent(None, "Overloaded", '{"type": "error"}'),
        core.PartialToolCall(2, "call_3", "g", '{"q": "ab', {"q": "ab"}),
    ]


def both_backends() -> list[ModuleType]:
    if NATIVE is None:
        pytest.skip("native backend: not in this install (the comparison needs both)")
    return [BACKENDS["native"], BACKENDS["python"]]


def json_round_trip(data: object) -> object:
    return json.loads(json.dumps(data))


def test_the_documented_limits() -> None:
    assert (FIELD_LIMIT, FIELD_HEAD) == (80, 60)  # README, "Types and serialization"


def test_every_event_class_has_a_sample(core: ModuleType) -> None:
    assert [type(event).__name__ for event in samples(core)] == EVENT_NAMES


@pytest.mark.parametrize("index", range(len(EVENT_NAMES)), ids=EVENT_NAMES)
def test_event_to_dict_is_plain_json_and_rebuilds_the_event(core: ModuleType, index: int) -> None:
    event = samples(core)[index]
    data = event.to_dict()
    assert type(data) is dict
    assert list(data) == list(type(event).__match_args__)
    assert [data[name] for name in data] == [getattr(event, name) for name in data]
    assert json_round_trip(data) == data
    assert type(event)(**data) == event
    assert event.to_dict() is not data  # a new dict on each call


def test_tool_call_arguments_are_shared_not_copied(core: ModuleType) -> None:
    event = samples(core)[4]
    assert event.to_dict()["arguments"] is event.arguments


@pytest.mark.parametrize("index", range(len(EVENT_NAMES)), ids=EVENT_NAMES)
def test_both_backends_give_the_same_dict_and_repr(index: int) -> None:
    native, python = (samples(core)[index] for core in both_backends())
    assert native.to_dict() == python.to_dict()
    assert repr(native) == repr(python)


def test_a_small_event_repr_shows_every_field_whole(core: ModuleType) -> None:
    assert repr(core.TextDelta("hi", 0)) == "TextDelta(text='hi', index=0)"
    assert repr(core.Finish("stop", None)) == "Finish(reason='stop', raw_reason=None)"


def cut(text_repr: str) -> str:
    """What the rule makes of a field repr that is too long."""
    return f"{text_repr[:FIELD_HEAD]}...<{len(text_repr)} chars>"


@pytest.mark.parametrize("length", [FIELD_LIMIT - 3, FIELD_LIMIT - 2, FIELD_LIMIT - 1, 500])
def test_a_field_is_cut_only_past_the_limit(core: ModuleType, length: int) -> None:
    text = "a" * length  # its repr has two quotes more
    shown = repr(text) if length + 2 <= FIELD_LIMIT else cut(repr(text))
    assert repr(core.ReasoningDelta(text)) == f"ReasoningDelta(text={shown})"


@pytest.mark.parametrize("character", ["é", "€", "🌧", "\x00"])
@pytest.mark.parametrize("count", [30, 200])
def test_the_cut_counts_characters_not_bytes(core: ModuleType, character: str, count: int) -> None:
    # 30 two- to four-byte characters fit in 80 characters but not in 80 bytes.
    text = character * count
    field = repr(text)
    shown = field if len(field) <= FIELD_LIMIT else cut(field)
    assert repr(core.ReasoningDelta(text)) == f"ReasoningDelta(text={shown})"


def test_a_megabyte_tool_call_has_a_short_repr(core: ModuleType) -> None:
    arguments = {"path": "notes.txt", "content": "x" * BIG}
    raw = json.dumps(arguments)
    event = core.ToolCallDone(3, "call_9", "write_file", arguments, raw)
    text = repr(event)
    assert len(text) < 400, text
    assert text.startswith("ToolCallDone(index=3, id='call_9', name='write_file', arguments={")
    assert f"...<{len(repr(arguments))} chars>" in text
    assert f"raw='{raw[: FIELD_HEAD - 1]}...<{len(raw) + 2} chars>)" in text
    partial = core.PartialToolCall(0, "c", "w", raw, arguments)
    assert len(repr(partial)) < 400


def decoded_response(core: ModuleType, name: str, dialect: str) -> ChatResponse:
    """A ``ChatResponse`` made as the client makes one, from a real transcript."""
    decoder = core.StreamDecoder(dialect)
    events = [event for frame in frames(transcript(name)) for event in decoder.feed(frame)]
    events += decoder.finish()
    finish = [event for event in events if type(event).__name__ == "Finish"]
    return ChatResponse(
        text=decoder.text,
        tool_calls=tuple(decoder.tool_calls),
        usage=decoder.usage,
        finish_reason=decoder.finish_reason,
        model="gpt-4o-2024-08-06",
        provider="openai",
        reasoning="".join(e.text for e in events if type(e).__name__ == "ReasoningDelta"),
        raw_finish_reason=finish[-1].raw_reason if finish else None,
        request_id="req_1",
    )


TRANSCRIPTS = [
    ("openai_chat_parallel_tool_calls.txt", "openai-chat"),
    ("openai_chat_usage.txt", "openai-chat"),
    ("anthropic_thinking.txt", "anthropic"),
]


@pytest.mark.parametrize(("name", "dialect"), TRANSCRIPTS)
def test_chat_response_to_dict_round_trips_and_agrees_across_backends(
    name: str, dialect: str
) -> None:
    native, python = (decoded_response(core, name, dialect) for core in both_backends())
    data = native.to_dict()
    assert json_round_trip(data) == data
    assert data == python.to_dict()
    assert repr(native) == repr(python)
    assert data["tool_calls"] == [call.to_dict() for call in native.tool_calls]
    assert data["usage"] == (None if native.usage is None else native.usage.to_dict())
    assert set(data) == {
        "text",
        "tool_calls",
        "usage",
        "finish_reason",
        "model",
        "provider",
        "reasoning",
        "invalid_tool_calls",
        "raw_finish_reason",
        "request_id",
    }


def test_the_parallel_calls_are_all_in_the_dict() -> None:
    core = fluent_ai._backend.core
    data = decoded_response(core, "openai_chat_parallel_tool_calls.txt", "openai-chat").to_dict()
    assert [call["name"] for call in data["tool_calls"]] == ["GetWeatherArgs", "get_stock_price"]
    assert data["tool_calls"][0]["arguments"] == {
        "city": "Edinburgh",
        "country": "GB",
        "units": "c",
    }
    assert data["finish_reason"] == "tool_calls"


def test_chat_response_repr_is_short_for_a_long_answer() -> None:
    call = fluent_ai.ToolCallDone(0, "c", "f", {"blob": "y" * BIG}, "{}")
    response = ChatResponse(
        text="z" * BIG,
        tool_calls=(call,) * 50,
        usage=fluent_ai.Usage(1, 2, 3),
        finish_reason="stop",
        model="m",
        provider="p",
        reasoning="r" * BIG,
        raw={"huge": "w" * BIG},
    )
    text = repr(response)
    assert len(text) < 1000, text
    assert text.startswith("ChatResponse(text='zzz")
    assert f"...<{BIG + 2} chars>" in text
    assert "raw=" not in text and "www" not in text


def test_embedding_and_rerank_responses() -> None:
    usage = fluent_ai.Usage(input_tokens=8)
    vectors = [[0.25, -1.0, 3.5e-7]] * 1000
    embedded = EmbeddingResponse(vectors, "text-embedding-3-small", "openai", usage, {"raw": 1})
    data = embedded.to_dict()
    assert json_round_trip(data) == data
    assert data == {
        "embeddings": vectors,
        "model": "text-embedding-3-small",
        "provider": "openai",
        "usage": usage.to_dict(),
    }
    assert len(repr(embedded)) < 400
    results = [RerankResult(1, 0.9, "d" * BIG), RerankResult(0, 0.1)]
    ranked = RerankResponse(results, "rerank-v3.5", "cohere", None, {"raw": 1})
    data = ranked.to_dict()
    assert json_round_trip(data) == data
    assert data["results"][1] == {"index": 0, "relevance_score": 0.1, "document": None}
    assert data["usage"] is None
    assert len(repr(ranked)) < 400
    assert len(repr(results[0])) < 200


def test_cost_and_model_info_to_dict() -> None:
    info = fluent_ai.catalog.get("openai/gpt-4o")
    data = info.to_dict()
    assert json_round_trip(data) == data
    assert data["id"] == info.id and data["provider"] == "openai"
    assert isinstance(data["live_fields"], list)
    if info.deprecation_date is not None:
        assert data["deprecation_date"] == info.deprecation_date.isoformat()
    dated = fluent_ai.ModelInfo("p", "m", deprecation_date=datetime.date(2026, 1, 31))
    assert dated.to_dict()["deprecation_date"] == "2026-01-31"
    cost = fluent_ai.catalog.cost(info, fluent_ai.Usage(1000, 100))
    assert cost.to_dict() == json_round_trip(cost.to_dict())
    assert set(cost.to_dict()) == {"model", "input", "output", "cache_read", "cache_write", "total"}


def test_a_real_client_response_serializes(server: LoopbackServer, mode: str) -> None:  # noqa: F811
    stream = frames(transcript("openai_chat_parallel_tool_calls.txt"))
    server.reset()

    def answer(request: Any) -> Response:
        if request.json().get("stream"):
            return Response(200, SSE, stream)
        return json_response({"error": {"message": "stream only here"}}, 400)

    server.route("POST", "/v1/chat/completions", answer)
    providers = {"openai": {"base_url": server.url + "/v1", "api_key": KEY}}
    streamed = Runner(mode, providers=providers).stream(
        "openai/gpt-4o", [{"role": "user", "content": "Weather and AAPL?"}]
    )
    assert streamed.error is None, streamed.error
    response = streamed.response
    data = response.to_dict()
    assert json_round_trip(data) == data
    assert [call["id"] for call in data["tool_calls"]] == [
        "call_JMW1whyEaYG438VE1OIflxA2",
        "call_DNYTawLBoN8fj3KN6qU9N1Ou",
    ]
    events = [event.to_dict() for event in streamed.events]
    assert json_round_trip(events) == events
    assert re.fullmatch(r"ChatResponse\(text='', tool_calls=.*\)", repr(response), re.S)
