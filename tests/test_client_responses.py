"""The Responses API client path (``api="responses"``) end to end against loopback servers:
the request body a Responses server accepts (checked against the openai SDK's own request
types), real recorded Responses traffic (tests/data/responses, ../shared/spec/transcripts)
split every way and cut at every kind of point, the whole (non-stream) answers against the
openai SDK's ``Response`` model, the error classes, and a multi-turn tool loop. Sync and async
(the ``mode`` fixture); the decoder-level checks run on both backends (the ``core`` fixture).
"""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import openai as openai_sdk
import pytest
from client_helpers import FAST, Runner, mode, server  # noqa: F401
from cut_server import CutServer, Plan, wire
from fake_providers import KEY, TOOLS, frames
from hypothesis import given, settings
from hypothesis import strategies as st
from loopback import LoopbackServer, Request, Response, json_response
from openai._models import construct_type
from openai.types.responses import Response as SdkResponse
from openai.types.responses import response_create_params
from pydantic import TypeAdapter, ValidationError
from streams import TRANSCRIPTS, decode

import fluent_ai
from chunking import bytewise, random_splits, two_way_splits
from conftest import NATIVE
from fluent_ai import AsyncClient, Client, Timeout, _purepy, errors
from fluent_ai._backend import core as active_core
from fluent_ai.providers.openai_responses import replay_response

DATA = Path(__file__).parent / "data" / "responses"
SSE = {"content-type": "text/event-stream"}
GPT = "openai/gpt-4.1"

#: Real recorded Responses streams: (file, text, calls as (id, name, arguments), reasoning?).
FUNCTION_CALL = (TRANSCRIPTS / "openai_responses_function_call.txt").read_bytes()
REASONING_CALL = (DATA / "reasoning_summary_tool_call.sse").read_bytes()
TEXT = (DATA / "text.sse").read_bytes()
BUILTIN_TOOL_TEXT = (DATA / "builtin_tool_text.sse").read_bytes()
ERROR_THEN_FAILED = (DATA / "error_then_failed.sse").read_bytes()
RECORDED = {
    "function_call": FUNCTION_CALL,
    "reasoning_call": REASONING_CALL,
    "text": TEXT,
    "builtin_tool_text": BUILTIN_TOOL_TEXT,
    "azure_tool_call": (DATA / "azure_tool_call.sse").read_bytes(),
    "lmstudio_reasoning_tool_call": (DATA / "lmstudio_reasoning_tool_call.sse").read_bytes(),
}
PHASE = json.loads((DATA / "whole-phase.json").read_bytes())
PHASE_TEXT = "".join(
    part["text"] for item in PHASE["output"] for part in item["content"] if "text" in part
)
WHOLE = sorted(p.name for p in DATA.glob("whole-*.json") if p.name != "whole-error.json")

_CREATE = {
    True: TypeAdapter(response_create_params.ResponseCreateParamsStreaming),
    False: TypeAdapter(response_create_params.ResponseCreateParamsNonStreaming),
}


def sdk_problems(body: dict[str, Any]) -> list[str]:
    """What the openai SDK's request types say of ``body`` (its TypedDicts, validated)."""
    try:
        checked = _CREATE[bool(body.get("stream"))].validate_python(body)
        for key in ("tools", "input"):
            if not isinstance(checked.get(key), (str, type(None))):
                list(checked[key])  # iterables validate lazily
    except ValidationError as error:
        return [f"not a Responses request: {error.errors()[:2]}"]
    return []


def sdk_reasoning(sdk: SdkResponse) -> str:
    """The reasoning summaries, then any reasoning text, of each reasoning item."""
    return "".join(
        part.text
        for item in sdk.output
        if item.type == "reasoning"
        for part in [*item.summary, *(item.content or [])]
    )


def responses_route(
    server: LoopbackServer,
    path: str = "/v1/responses",
    *,
    stream: list[bytes] | None = None,
    whole: object = None,
    auth: tuple[str, str] = ("authorization", f"Bearer {KEY}"),
    **options: Any,
) -> None:
    """A Responses endpoint: auth, a body the SDK's types accept, no Chat Completions field;
    then the recorded stream (``stream: true``) or the whole answer."""
    name, value = auth

    def handle(request: Request) -> Response:
        if request.headers.get(name) != value:
            return json_response({"error": {"message": "bad key", "type": "auth"}}, 401)
        body = request.json()
        problems = sdk_problems(body)
        problems += [f"chat field {k}" for k in ("messages", "max_tokens", "stop") if k in body]
        if problems:
            return json_response({"error": {"message": "; ".join(problems)}}, 400)
        if body.get("stream"):
            return Response(200, SSE, list(stream or ()), **options)
        return json_response(whole)

    server.route("POST", path, handle)


def openai(server: LoopbackServer, **settings: Any) -> dict[str, dict[str, Any]]:
    return {"openai": {"base_url": server.url + "/v1", "api_key": KEY, **settings}}


def last_body(server: LoopbackServer) -> dict[str, Any]:
    body: dict[str, Any] = server.requests[-1].json()
    return body


# --- Request translation ------------------------------------------------------------------------

WEATHER_CALLS = [
    {
        "id": "call_a",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'},
    },
    {
        "id": "call_b",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"location":"Rome"}'},
    },
]
CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": "Use metric units."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Weather here?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            {"type": "image_url", "image_url": {"url": "https://x.test/a.png", "detail": "low"}},
        ],
    },
    {"role": "assistant", "content": "Checking both.", "tool_calls": WEATHER_CALLS},
    {"role": "tool", "tool_call_id": "call_a", "content": "18C"},
    {
        "role": "tool",
        "tool_call_id": "call_b",
        "content": [
            {"type": "text", "text": "21C"},
            {"type": "image_url", "image_url": {"url": "https://x.test/map.png"}},
        ],
    },
]
TRANSLATED_INPUT = [
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": "Use metric units."},
    {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "Weather here?"},
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
            {"type": "input_image", "image_url": "https://x.test/a.png", "detail": "low"},
        ],
    },
    {"role": "assistant", "content": "Checking both."},
    {
        "type": "function_call",
        "call_id": "call_a",
        "name": "get_weather",
        "arguments": '{"location":"Paris"}',
    },
    {
        "type": "function_call",
        "call_id": "call_b",
        "name": "get_weather",
        "arguments": '{"location":"Rome"}',
    },
    {"type": "function_call_output", "call_id": "call_a", "output": "18C"},
    {
        "type": "function_call_output",
        "call_id": "call_b",
        "output": [
            {"type": "input_text", "text": "21C"},
            {"type": "input_image", "image_url": "https://x.test/map.png", "detail": "auto"},
        ],
    },
]
SCHEMA = {"type": "object", "properties": {"c": {"type": "number"}}, "required": ["c"]}


def test_every_translated_option_lands_where_the_responses_api_takes_it(
    server: LoopbackServer, mode: str
) -> None:
    responses_route(server, stream=frames(FUNCTION_CALL))
    runner = Runner(mode, providers=openai(server))
    strict_tool = {"type": "function", "function": {**TOOLS[0]["function"], "strict": True}}
    result = runner.stream(
        GPT,
        CONVERSATION,
        api="responses",
        tools=[TOOLS[0], strict_tool, {"type": "web_search"}],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=300,
        temperature=0.5,
        top_p=0.9,
        parallel_tool_calls=False,
        reasoning_effort="high",
        user="u-1",
        metadata={"k": "v"},
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "w", "schema": SCHEMA, "strict": True},
        },
    )
    assert result.error is None, result.error
    assert server.requests[-1].path == "/v1/responses"
    function = TOOLS[0]["function"]
    flat = {"type": "function", "name": "get_weather", "description": function["description"]}
    assert last_body(server) == {
        "model": "gpt-4.1",
        "input": TRANSLATED_INPUT,
        "tools": [
            {**flat, "parameters": function["parameters"], "strict": False},
            {**flat, "parameters": function["parameters"], "strict": True},
            {"type": "web_search"},
        ],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "max_output_tokens": 300,
        "temperature": 0.5,
        "text": {"format": {"type": "json_schema", "name": "w", "schema": SCHEMA, "strict": True}},
        "stream": True,
        "store": False,
        "top_p": 0.9,
        "parallel_tool_calls": False,
        "reasoning": {"effort": "high", "summary": "auto"},
        "user": "u-1",
        "metadata": {"k": "v"},
    }


def test_a_plain_call_sends_the_minimal_body_and_no_chat_fields(
    server: LoopbackServer, mode: str
) -> None:
    responses_route(server, whole=PHASE)
    # The recorded answer is prose, not JSON: JSON mode's answer fails to parse (structured
    # output), with the whole response on the error.
    with pytest.raises(errors.StructuredOutputError) as raised:
        Runner(mode, providers=openai(server)).chat(
            GPT,
            [{"role": "user", "content": "Hi"}],
            api="responses",
            response_format={"type": "json_object"},
        )
    assert raised.value.response is not None
    assert raised.value.response.finish_reason == "stop"
    assert last_body(server) == {
        "model": "gpt-4.1",
        "input": [{"role": "user", "content": "Hi"}],
        "text": {"format": {"type": "json_object"}},
        "store": False,
    }


@pytest.mark.parametrize("option", ["stop", "seed", "presence_penalty", "frequency_penalty"])
def test_options_without_a_responses_field_are_refused_before_sending(
    server: LoopbackServer, option: str
) -> None:
    responses_route(server, stream=frames(FUNCTION_CALL))
    value: Any = {"stop": "END", "seed": 7}.get(option, 0.5)
    before = len(server.requests)
    with Client(providers=openai(server)) as client:
        with pytest.raises(errors.UnsupportedParameterError) as raised:
            client.chat(GPT, [{"role": "user", "content": "x"}], api="responses", **{option: value})
        # A stream is refused when it is made, before it is iterated.
        with pytest.raises(errors.UnsupportedParameterError):
            client.stream(
                GPT, [{"role": "user", "content": "x"}], api="responses", **{option: value}
            )
    assert (raised.value.provider, raised.value.parameter) == ("openai", option)
    assert len(server.requests) == before


def test_xai_grok4_reasoning_effort_is_refused_on_the_responses_path_too(
    server: LoopbackServer,
) -> None:
    providers = {"xai": {"base_url": server.url, "api_key": KEY}}
    messages = [{"role": "user", "content": "x"}]
    refused = pytest.raises(errors.UnsupportedParameterError)
    with Client(providers=providers) as client, refused as raised:
        client.chat("xai/grok-4", messages, api="responses", reasoning_effort="low")
    assert (raised.value.provider, raised.value.parameter) == ("xai", "reasoning_effort")


@pytest.mark.parametrize(
    ("provider", "settings"),
    [
        ("anthropic", {"base_url": "http://127.0.0.1:9"}),
        ("groq", {"base_url": "http://127.0.0.1:9"}),
        ("gemini", {"base_url": "http://127.0.0.1:9"}),
        ("mine", {"base_url": "http://127.0.0.1:9", "dialect": "openai-chat"}),
    ],
)
def test_a_provider_without_a_responses_api_refuses_it_before_sending(
    provider: str, settings: dict[str, str], mode: str
) -> None:
    runner = Runner(mode, providers={provider: {**settings, "api_key": KEY}})
    with pytest.raises(errors.UnsupportedParameterError) as raised:
        runner.chat(f"{provider}/m", [{"role": "user", "content": "x"}], api="responses")
    assert (raised.value.provider, raised.value.parameter) == (provider, "api")
    assert isinstance(raised.value, ValueError)
    result = runner.stream(f"{provider}/m", [{"role": "user", "content": "x"}], api="responses")
    assert isinstance(result.error, errors.UnsupportedParameterError)


def test_the_api_setting_chooses_the_default_and_the_call_overrides_it(
    server: LoopbackServer,
) -> None:
    responses_route(server, whole=PHASE)
    chat_whole = {
        "model": "m",
        "choices": [{"index": 0, "message": {"content": "chat"}, "finish_reason": "stop"}],
    }
    server.json("POST", "/v1/chat/completions", chat_whole)
    server.json("POST", "/compat/responses", PHASE)
    messages = [{"role": "user", "content": "x"}]
    providers = {
        **openai(server, api="responses"),
        "groq": {"base_url": server.url + "/compat", "api_key": KEY, "api": "responses"},
        "vllm": {"base_url": server.url + "/v1", "api": "chat"},
    }
    with Client(providers=providers) as client:
        assert client.chat(GPT, messages).text == PHASE_TEXT
        assert server.requests[-1].path == "/v1/responses"
        assert client.chat(GPT, messages, api="chat").text == "chat"
        assert server.requests[-1].path == "/v1/chat/completions"
        # An OpenAI-compatible server opts in with the setting.
        assert client.chat("groq/m", messages).text == PHASE_TEXT
        assert server.requests[-1].path == "/compat/responses"
        assert client.chat("vllm/m", messages).text == "chat"
        with pytest.raises(errors.UnsupportedParameterError):
            client.chat("vllm/m", messages, api="responses")
    with Client(providers=openai(server)) as client:  # no setting: Chat Completions
        assert client.chat(GPT, messages).text == "chat"


@pytest.mark.parametrize(
    ("value", "error"),
    [("Responses", errors.InvalidArgumentError), (1, errors.ArgumentTypeError), ("", ValueError)],
)
def test_a_bad_api_value_names_the_argument_and_the_setting(value: Any, error: type) -> None:
    with Client(providers={"openai": {"api_key": KEY}}) as client, pytest.raises(error) as raised:
        client.chat(GPT, [{"role": "user", "content": "x"}], api=value)
    assert "api" in str(raised.value)
    with pytest.raises(error) as raised:
        Client(providers={"openai": {"api": value}})
    assert "'api'" in str(raised.value)
    with pytest.raises(errors.UnknownSettingError):
        Client(providers={"anthropic": {"api": "responses"}})
    with pytest.raises(errors.InvalidArgumentError):
        Client(providers={"openai": {"reasoning_summary": "long"}})


@pytest.mark.parametrize(("summary", "sent"), [("none", None), ("detailed", "detailed")])
def test_the_reasoning_summary_setting(server: LoopbackServer, summary: str, sent: Any) -> None:
    responses_route(server, whole=PHASE)
    with Client(providers=openai(server, reasoning_summary=summary)) as client:
        messages = [{"role": "user", "content": "x"}]
        extra = {"store": True}
        client.chat(GPT, messages, api="responses", reasoning_effort="low", extra_body=extra)
    body = last_body(server)
    assert body["reasoning"] == (
        {"effort": "low"} if sent is None else {"effort": "low", "summary": sent}
    )
    assert body["store"] is True  # extra_body wins


@pytest.mark.parametrize("base", ["{url}/openai", "{url}/openai/v1"])
def test_azure_responses_go_to_the_v1_api_with_the_deployment_as_model(
    server: LoopbackServer, mode: str, base: str
) -> None:
    responses_route(
        server,
        "/openai/v1/responses",
        stream=frames(FUNCTION_CALL),
        auth=("api-key", KEY),
    )
    settings = {
        "base_url": base.format(url=server.url),
        "api_key": KEY,
        "api_version": "2024-10-21",
    }
    result = Runner(mode, providers={"azure": settings}).stream(
        "azure/my-deployment", [{"role": "user", "content": "x"}], api="responses"
    )
    assert result.error is None, result.error
    request = server.requests[-1]
    assert request.path == "/openai/v1/responses"
    assert "api-version" not in request.query
    assert request.json()["model"] == "my-deployment"
    assert [c.name for c in result.response.tool_calls] == ["add"]


@pytest.mark.parametrize(
    "version", [None, "2024-10-21", "2025-03-01-preview", "2025-04-01-preview"]
)
def test_azure_routes_match_the_openai_sdk(server: LoopbackServer, version: str | None) -> None:
    """Dated versions with the Responses API: the route ``AzureOpenAI`` takes; otherwise the
    v1 API, as Microsoft documents it (``OpenAI(base_url=f"{endpoint}/openai/v1/")``)."""
    for path in ("/openai/responses", "/openai/v1/responses"):
        responses_route(server, path, whole=PHASE, auth=("api-key", KEY))
    if version is not None and version >= "2025":
        sdk: Any = openai_sdk.AzureOpenAI(
            azure_endpoint=server.url, api_key=KEY, api_version=version, max_retries=0
        )
    else:
        sdk = openai_sdk.OpenAI(
            base_url=server.url + "/openai/v1/",
            api_key=KEY,
            default_headers={"api-key": KEY},
            max_retries=0,
        )
    sdk.responses.create(model="my-deployment", input="Hi", store=False)
    theirs = server.requests[-1]
    settings = {"endpoint": server.url, "api_key": KEY, "api_version": version}
    with Client(providers={"azure": settings}) as client:
        answer = client.chat(
            "azure/my-deployment", [{"role": "user", "content": "Hi"}], api="responses"
        )
    ours = server.requests[-1]
    assert answer.text == PHASE_TEXT
    assert (ours.path, ours.query) == (theirs.path, theirs.query)
    assert ours.json() == {**theirs.json(), "input": [{"role": "user", "content": "Hi"}]}


def test_bad_content_parts_are_refused_before_sending(server: LoopbackServer) -> None:
    before = len(server.requests)
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    refused = pytest.raises(errors.ConfigurationError, match="input_audio")
    with Client(providers=openai(server)) as client, refused:
        client.chat(GPT, [{"role": "user", "content": [audio]}], api="responses")
    assert len(server.requests) == before


# --- Whole answers: the openai SDK's Response model is the oracle ------------------------------


@pytest.mark.parametrize("name", WHOLE)
def test_whole_answers_match_the_sdk_response(server: LoopbackServer, mode: str, name: str) -> None:
    body = json.loads((DATA / name).read_bytes())
    responses_route(server, whole=body)
    answer = Runner(mode, providers=openai(server)).chat(
        GPT, [{"role": "user", "content": "x"}], api="responses"
    )
    sdk = construct_type(type_=SdkResponse, value=body)
    calls = [item for item in sdk.output if item.type == "function_call"]
    assert answer.text == sdk.output_text
    assert [(c.id, c.name, c.arguments) for c in answer.tool_calls] == [
        (call.call_id, call.name, json.loads(call.arguments)) for call in calls
    ]
    assert answer.reasoning == sdk_reasoning(sdk)
    assert answer.model == sdk.model
    assert answer.finish_reason == ("tool_calls" if calls else "stop")
    assert answer.raw_finish_reason == "completed"
    usage = sdk.usage
    assert usage is not None and answer.usage is not None
    assert (answer.usage.input_tokens, answer.usage.output_tokens, answer.usage.total_tokens) == (
        usage.input_tokens,
        usage.output_tokens,
        usage.total_tokens,
    )
    assert answer.usage.cache_read_tokens == usage.input_tokens_details.cached_tokens
    assert answer.usage.reasoning_tokens == usage.output_tokens_details.reasoning_tokens
    assert answer.raw == body


MANY_ITEMS = {
    "id": "resp_many",
    "object": "response",
    "model": "gpt-5-mini",
    "status": "completed",
    "output": [
        {
            "id": "rs_1",
            "type": "reasoning",
            "summary": [
                {"type": "summary_text", "text": "First, "},
                {"type": "summary_text", "text": "then."},
            ],
        },
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [
                {"type": "output_text", "text": "One. ", "annotations": []},
                {"type": "output_text", "text": "Two. ", "annotations": []},
            ],
        },
        {"id": "ws_1", "type": "web_search_call", "status": "completed"},
        {
            "id": "msg_2",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Three.", "annotations": []}],
        },
        {
            "id": "fc_1",
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"location": "Oslo"}',
            "status": "completed",
        },
        {
            "id": "fc_2",
            "type": "function_call",
            "call_id": "call_2",
            "name": "get_time",
            "arguments": "",
            "status": "completed",
        },
    ],
    "usage": {
        "input_tokens": 40,
        "input_tokens_details": {"cached_tokens": 32},
        "output_tokens": 25,
        "output_tokens_details": {"reasoning_tokens": 11},
        "total_tokens": 65,
    },
}


def test_a_whole_answer_with_every_kind_of_item(server: LoopbackServer, mode: str) -> None:
    responses_route(server, whole=MANY_ITEMS)
    answer = Runner(mode, providers=openai(server)).chat(
        GPT, [{"role": "user", "content": "x"}], api="responses"
    )
    sdk = construct_type(type_=SdkResponse, value=MANY_ITEMS)
    assert answer.text == sdk.output_text == "One. Two. Three."
    assert answer.reasoning == "First, then."
    assert [(c.index, c.id, c.name, c.arguments) for c in answer.tool_calls] == [
        (0, "call_1", "get_weather", {"location": "Oslo"}),
        (1, "call_2", "get_time", {}),
    ]
    assert answer.finish_reason == "tool_calls"
    assert answer.usage is not None
    assert (answer.usage.cache_read_tokens, answer.usage.reasoning_tokens) == (32, 11)
    assert answer.model == "gpt-5-mini"


def test_a_whole_function_call_with_object_arguments(server: LoopbackServer) -> None:
    """Some compatible servers send the arguments as an object, not as JSON text."""
    call = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": {"a": [1, "é"]}}
    responses_route(server, whole={"model": "m", "status": "completed", "output": [call]})
    with Client(providers=openai(server)) as client:
        answer = client.chat(GPT, [{"role": "user", "content": "x"}], api="responses")
    assert [(c.id, c.arguments) for c in answer.tool_calls] == [("c1", {"a": [1, "é"]})]
    assert answer.invalid_tool_calls == ()


def test_whole_answer_equals_the_streamed_one(server: LoopbackServer, mode: str) -> None:
    """The transcript's own final response, answered whole, gives the same ChatResponse."""
    final = final_response(FUNCTION_CALL)
    responses_route(server, stream=frames(FUNCTION_CALL), whole=final)
    runner = Runner(mode, providers=openai(server))
    whole = runner.chat(GPT, [{"role": "user", "content": "x"}], api="responses")
    streamed = runner.stream(GPT, [{"role": "user", "content": "x"}], api="responses")
    assert streamed.response == whole


@pytest.mark.parametrize(
    ("status", "details", "reason"),
    [
        ("incomplete", {"reason": "max_output_tokens"}, "length"),
        ("incomplete", {"reason": "content_filter"}, "content_filter"),
        ("cancelled", None, "other"),
    ],
)
def test_whole_status_maps_to_the_finish_reason(
    server: LoopbackServer, status: str, details: Any, reason: str
) -> None:
    body = {
        "id": "resp_1",
        "model": "gpt-4.1",
        "status": status,
        "incomplete_details": details,
        "output": [{"type": "message", "content": [{"type": "output_text", "text": "Hal"}]}],
        "usage": {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7},
    }
    responses_route(server, whole=body)
    with Client(providers=openai(server)) as client:
        answer = client.chat(GPT, [{"role": "user", "content": "x"}], api="responses")
    assert (answer.text, answer.finish_reason) == ("Hal", reason)
    assert answer.raw_finish_reason == (details or {}).get("reason", status)


def test_a_failed_whole_response_raises_the_error_class_of_its_code(server: LoopbackServer) -> None:
    body = {
        "id": "resp_1",
        "model": "gpt-4.1",
        "status": "failed",
        "error": {"code": "rate_limit_exceeded", "message": "slow down"},
        "output": [],
    }
    responses_route(server, whole=body)
    refused = pytest.raises(errors.RateLimitError, match="slow down")
    with Client(providers=openai(server), retry=FAST) as client, refused:
        client.chat(GPT, [{"role": "user", "content": "x"}], api="responses")


def test_http_errors_map_as_on_the_chat_path(server: LoopbackServer, mode: str) -> None:
    error_body = json.loads((DATA / "whole-error.json").read_bytes())
    responses_route(server, whole={})
    server.fail("POST", "/v1/responses", status=429, body=error_body, times=3)
    runner = Runner(mode, providers=openai(server))
    with pytest.raises(errors.RateLimitError, match="exceeded your current quota"):
        runner.chat(GPT, [{"role": "user", "content": "x"}], api="responses")
    server.drop_faults()
    server.fail("POST", "/v1/responses", status=400, body={"error": {"message": "bad"}})
    result = runner.stream(GPT, [{"role": "user", "content": "x"}], api="responses")
    assert isinstance(result.error, errors.BadRequestError)
    server.drop_faults()


# --- Streams: real recordings, split every way -------------------------------------------------


def final_response(data: bytes) -> dict[str, Any]:
    """The ``response`` of a recording's ``response.completed`` event."""
    for line in data.decode().splitlines():
        if line.startswith("data: ") and '"response.completed"' in line:
            response: dict[str, Any] = json.loads(line[6:])["response"]
            return response
    raise AssertionError("no response.completed")


def expected(data: bytes) -> Any:
    return decode(active_core, "openai-responses", [data])


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_recorded_streams_in_every_chunking(server: LoopbackServer, mode: str, name: str) -> None:
    data = RECORDED[name]
    whole = expected(data)
    assert whole.error is None and whole.events, "the recording decodes"
    small = data if len(data) < 4096 else None
    chunkings = [
        [data],
        frames(data),
        [data[i : i + 7] for i in range(0, len(data), 7)],
        *(random_splits(data, seed, 24) for seed in range(3)),
    ]
    if small is not None:
        chunkings.append(bytewise(small))
    for chunks in chunkings:
        responses_route(server, stream=chunks)
        result = Runner(mode, providers=openai(server)).stream(
            GPT, [{"role": "user", "content": "x"}], api="responses"
        )
        assert result.error is None, result.error
        assert [repr(e) for e in result.events] == [repr(e) for e in whole.events]
        response = result.response
        assert response.text == whole.text
        assert response.reasoning == whole.reasoning
        assert response.tool_calls == tuple(whole.of("ToolCallDone"))
        assert response.model == final_response(data)["model"]


def test_the_recordings_say_what_their_final_response_says() -> None:
    """The normalized stream against the provider's own summary in ``response.completed``."""
    for name, data in RECORDED.items():
        ours = expected(data)
        final = final_response(data)
        sdk = construct_type(type_=SdkResponse, value=final)
        assert ours.text == sdk.output_text, name
        calls = [item for item in sdk.output if item.type == "function_call"]
        assert [(c.id, c.name, c.arguments) for c in ours.of("ToolCallDone")] == [
            (call.call_id, call.name, json.loads(call.arguments)) for call in calls
        ], name
        assert ours.reasoning == sdk_reasoning(sdk), name
        (usage,) = ours.of("Usage")
        assert sdk.usage is not None
        assert usage.output_tokens == sdk.usage.output_tokens, name
        assert usage.reasoning_tokens == sdk.usage.output_tokens_details.reasoning_tokens, name
        finish = ours.of("Finish")[-1].reason
        assert finish == ("tool_calls" if calls else "stop"), name
    assert expected(REASONING_CALL).reasoning.startswith("**Calculating step-by-step")


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_both_backends_agree_on_two_way_splits(core: ModuleType, name: str) -> None:
    data = RECORDED[name]
    whole = decode(core, "openai-responses", [data])
    for chunks in two_way_splits(data, max_points=150):
        split = decode(core, "openai-responses", chunks)
        assert split.error is None
        assert split.plain() == whole.plain()
    assert [e for e in whole.plain()] == expected(data).plain()


# --- Cut mid-stream: retried only while nothing reached the caller ----------------------------


def cut_points(data: bytes) -> list[int]:
    """Every frame boundary and the middle of every frame, before the final event ends."""
    ends = [len(b"".join(frames(data)[: i + 1])) for i in range(len(frames(data)))]
    points = {0, *ends[:-1]}
    starts = [0, *ends[:-1]]
    points |= {(a + b) // 2 for a, b in zip(starts, ends)}
    return sorted(p for p in points if p < ends[-1] - 1)


@pytest.mark.parametrize(
    ("name", "framing"),
    [("function_call", "chunked"), ("text", "chunked"), ("text", "close")],
)
def test_a_cut_stream_is_retried_only_before_its_first_event(
    mode: str, name: str, framing: str
) -> None:
    """``chunked``: the connection breaks inside the body; ``close``: the body just ends (a
    FIN where a close-delimited body could end), before the end event."""
    data = RECORDED[name]
    whole = expected(data)
    points = cut_points(data)
    body_start = wire(Plan(body=data, framing=framing))[1] - len(data)

    def answer(fields: dict[str, Any], attempt: int) -> Plan:
        trial = fields.get("trial", 0)
        cut = points[trial] if attempt == 0 else None
        # The cut counts bytes of the whole response: the status line and headers come first.
        return Plan(body=data, framing=framing, cut=None if cut is None else body_start + cut)

    with CutServer(answer) as cut_server:
        providers = {"openai": {"base_url": cut_server.url + "/v1", "api_key": KEY}}
        runner = Runner(mode, providers=providers, timeout=Timeout(connect=2, total=20))
        for trial, point in enumerate(points):
            prefix = active_core.StreamDecoder("openai-responses").feed(data[:point])
            result = runner.stream(GPT, [{"role": "user", "content": "x"}], api="responses",
                                   extra_body={"trial": trial})  # fmt: skip
            requests = cut_server.trials[trial].requests
            if not prefix:
                # Nothing reached the caller: one more attempt, and the whole answer.
                assert result.error is None, (point, result.error)
                assert requests == 2
                assert [repr(e) for e in result.events] == [repr(e) for e in whole.events]
                continue
            assert requests == 1, point  # never replayed once output was out
            error = result.error
            assert isinstance(error, errors.StreamInterrupted), (point, error)
            assert isinstance(error, errors.ConnectionError)
            assert [repr(e) for e in result.events] == [repr(e) for e in prefix]
            delivered_text = "".join(e.text for e in prefix if type(e).__name__ == "TextDelta")
            assert error.partial_text == delivered_text
            done = [e for e in prefix if type(e).__name__ == "ToolCallDone"]
            assert list(error.tool_calls) == done


# --- Errors inside the stream -------------------------------------------------------------------


def test_an_error_event_before_any_output_is_an_api_error_of_its_code(
    server: LoopbackServer, mode: str
) -> None:
    """Recorded: ``error`` (insufficient_quota) then ``response.failed``."""
    responses_route(server, stream=frames(ERROR_THEN_FAILED))
    result = Runner(mode, providers=openai(server)).stream(
        GPT, [{"role": "user", "content": "x"}], api="responses"
    )
    assert isinstance(result.error, errors.RateLimitError)
    assert not isinstance(result.error, errors.StreamInterrupted)
    assert "exceeded your current quota" in str(result.error)
    assert result.events == []


def failing_after_text(code: str) -> bytes:
    """The text recording up to its third text delta, then ``response.failed``."""
    head = frames(TEXT)
    kept: list[bytes] = []
    deltas = 0
    for frame in head:
        kept.append(frame)
        deltas += b"response.output_text.delta" in frame.split(b"\n", 1)[0]
        if deltas == 3:
            break
    failed = {
        "type": "response.failed",
        "sequence_number": 999,
        "response": {
            "id": "resp_x",
            "status": "failed",
            "error": {"code": code, "message": "boom"},
        },
    }
    return (
        b"".join(kept) + b"event: response.failed\ndata: " + json.dumps(failed).encode() + b"\n\n"
    )


@pytest.mark.parametrize(
    ("code", "cls"),
    [("server_error", errors.ServerError), ("rate_limit_exceeded", errors.RateLimitError)],
)
def test_response_failed_after_output_interrupts_with_what_arrived(
    server: LoopbackServer, mode: str, code: str, cls: type
) -> None:
    data = failing_after_text(code)
    responses_route(server, stream=frames(data))
    result = Runner(mode, providers=openai(server)).stream(
        GPT, [{"role": "user", "content": "x"}], api="responses"
    )
    error = result.error
    assert isinstance(error, errors.StreamInterrupted) and isinstance(error, cls), error
    assert error.partial_text == result.text != ""
    assert "boom" in str(error)
    assert server.requests[-1].json()["stream"] is True
    assert sum(1 for r in server.requests[-3:] if r.path == "/v1/responses") >= 1


def test_response_incomplete_ends_the_stream_with_its_reason(
    server: LoopbackServer, mode: str
) -> None:
    head = [f for f in frames(TEXT) if b"response.completed" not in f.split(b"\n", 1)[0]]
    incomplete = {
        "type": "response.incomplete",
        "response": {
            "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"},
            "usage": {"input_tokens": 9, "output_tokens": 16, "total_tokens": 25},
        },
    }
    tail = b"event: response.incomplete\ndata: " + json.dumps(incomplete).encode() + b"\n\n"
    responses_route(server, stream=[*head, tail])
    result = Runner(mode, providers=openai(server)).stream(
        GPT, [{"role": "user", "content": "x"}], api="responses"
    )
    assert result.error is None, result.error
    assert result.response.finish_reason == "length"
    assert result.response.raw_finish_reason == "max_output_tokens"
    assert result.response.usage.total_tokens == 25
    assert result.response.text == expected(TEXT).text


# --- A multi-turn tool loop ---------------------------------------------------------------------


def tool_loop_route(server: LoopbackServer) -> None:
    """Turn 1 answers with the recorded ``add`` call; turn 2 must carry that call and its
    result as ``function_call`` / ``function_call_output`` items with the same ``call_id``."""

    def handle(request: Request) -> Response:
        body = request.json()
        problems = sdk_problems(body)
        items = body.get("input") or []
        calls = [i for i in items if i.get("type") == "function_call"]
        outputs = [i for i in items if i.get("type") == "function_call_output"]
        if problems:
            return json_response({"error": {"message": "; ".join(problems)}}, 400)
        if not calls:
            return Response(200, SSE, frames(FUNCTION_CALL))
        if not body.get("stream"):
            return json_response(final_response(TEXT))
        expected_call = {
            "type": "function_call",
            "call_id": "call_7VaiUXZYuuuwWwviCrckxq6t",
            "name": "add",
            "arguments": '{"a":3,"b":5}',
        }
        if calls != [expected_call] or outputs != [
            {"type": "function_call_output", "call_id": expected_call["call_id"], "output": "8"}
        ]:
            return json_response({"error": {"message": f"bad tool items {items!r}"}}, 400)
        return Response(200, SSE, frames(TEXT))

    server.route("POST", "/v1/responses", handle)


def assistant_turn(response: Any) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": response.text or None,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.raw}}
            for c in response.tool_calls
        ],
    }


def test_a_tool_loop_sends_calls_and_results_back_as_items(
    server: LoopbackServer, mode: str
) -> None:
    tool_loop_route(server)
    add = {
        "type": "function",
        "function": {"name": "add", "parameters": {"type": "object", "properties": {}}},
    }
    messages: list[dict[str, Any]] = [{"role": "user", "content": "3 + 5?"}]

    async def run_async() -> tuple[Any, Any]:
        async with AsyncClient(providers=openai(server, api="responses"), retry=FAST) as client:
            async with client.stream(GPT, messages, tools=[add]) as stream:
                async for _ in stream:
                    pass
            first = stream.response
            turn = [*messages, assistant_turn(first)]
            turn += [
                {"role": "tool", "tool_call_id": c.id, "content": "8"} for c in first.tool_calls
            ]
            return first, await client.chat(GPT, turn, tools=[add])

    def run_sync() -> tuple[Any, Any]:
        with Client(providers=openai(server, api="responses"), retry=FAST) as client:
            with client.stream(GPT, messages, tools=[add]) as stream:
                for _ in stream:
                    pass
            first = stream.response
            turn = [*messages, assistant_turn(first)]
            turn += [
                {"role": "tool", "tool_call_id": c.id, "content": "8"} for c in first.tool_calls
            ]
            with client.stream(GPT, turn, tools=[add]) as second:
                for _ in second:
                    pass
            return first, second.response

    first, second = asyncio.run(run_async()) if mode == "async" else run_sync()
    assert first.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in first.tool_calls] == [("add", {"a": 3, "b": 5})]
    assert second.text == expected(TEXT).text
    assert second.finish_reason == "stop"
    assert fluent_ai.ChatResponse is type(second)


# --- The documentation's examples run as written --------------------------------------------

DOCS_PAGE = Path(__file__).parent.parent / "docs" / "responses-api.md"


def doc_examples() -> list[str]:
    text = DOCS_PAGE.read_text(encoding="utf-8")
    return [block.split("\n", 1)[1].split("\n```", 1)[0] for block in text.split("```python")[1:]]


def docs_route(server: LoopbackServer, path: str) -> None:
    """A Responses endpoint for the examples: the recorded ``add`` call while tools are
    offered and no result came back, the recorded text otherwise."""

    def handle(request: Request) -> Response:
        body = request.json()
        problems = sdk_problems(body)
        if problems:
            return json_response({"error": {"message": "; ".join(problems)}}, 400)
        answered = any(i.get("type") == "function_call_output" for i in body["input"])
        data = FUNCTION_CALL if body.get("tools") and not answered else TEXT
        if body.get("stream"):
            return Response(200, SSE, frames(data))
        return json_response(final_response(data))

    server.route("POST", path, handle)


@pytest.mark.parametrize("number", range(len(doc_examples())))
def test_the_docs_examples_run_as_written(
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    number: int,
) -> None:
    docs_route(server, "/v1/responses")
    docs_route(server, "/openai/v1/responses")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("FLUENT_AI_OPENAI_BASE_URL", server.url + "/v1")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("FLUENT_AI_AZURE_BASE_URL", server.url + "/openai")
    before = len(server.requests)
    source = doc_examples()[number]
    exec(compile(source, f"{DOCS_PAGE.name} example {number + 1}", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.strip(), "every example prints what it got"
    if "anthropic" in source:
        assert printed.split() == ["anthropic", "api"]
        assert len(server.requests) == before  # refused before sending
    else:
        assert len(server.requests) > before
        assert all(r.path.endswith("/responses") for r in server.requests[before:])
        if "tools=" in source:
            assert "[tool call] add" in printed and expected(TEXT).text in printed


@pytest.mark.parametrize(
    "body",
    [
        {"output": "not a list", "status": 5, "usage": "bad"},
        {"output": [1, None, "x", {"type": "message", "content": "text, not parts"}]},
        {"output": [{"type": "message", "content": [{"type": "output_text", "text": 7}]}]},
        {"output": [{"type": "function_call", "name": None, "arguments": None}]},
        {"output": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{"}]},
        {"status": "failed", "error": "just text"},
        {"status": "incomplete", "incomplete_details": None, "model": ["m"]},
        {"output": [{"type": "reasoning", "summary": [{"text": None}], "content": "x"}]},
    ],
)
def test_hostile_whole_bodies_give_an_answer_or_an_api_error(
    server: LoopbackServer, body: dict[str, Any]
) -> None:
    """Whatever a server answers, the caller gets a ChatResponse or an APIError, never an
    internal error."""
    responses_route(server, whole=body)
    with Client(providers=openai(server), retry=FAST) as client:
        try:
            answer = client.chat(GPT, [{"role": "user", "content": "x"}], api="responses")
        except errors.APIError:
            return
    assert isinstance(answer, fluent_ai.ChatResponse)
    assert answer.text == ""


# --- Whole and streamed agree for any response -------------------------------------------------

_WORDS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_PARTS = st.lists(_WORDS, min_size=1, max_size=3)
_ITEMS = st.one_of(
    st.tuples(st.just("message"), _PARTS),
    st.tuples(st.just("reasoning"), _PARTS),
    st.tuples(st.just("function_call"), st.dictionaries(st.sampled_from("abc"), st.integers())),
    st.tuples(st.just("web_search_call"), st.just([])),
)


def _stream_of(items: list[tuple[str, Any]], end: dict[str, Any], pieces: int) -> bytes:
    """The events a server streams for ``items``: each item added, its text in ``pieces``
    deltas, done; then the end event."""
    events: list[dict[str, Any]] = [{"type": "response.created", "response": {"model": "m"}}]
    for index, (kind, value) in enumerate(items):
        item: dict[str, Any] = {"type": kind, "id": f"it_{index}"}
        if kind == "function_call":
            item.update(call_id=f"call_{index}", name="f", arguments="")
        events.append({"type": "response.output_item.added", "output_index": index, "item": item})
        texts = [json.dumps(value)] if kind == "function_call" else value
        delta = {
            "message": "response.output_text.delta",
            "reasoning": "response.reasoning_summary_text.delta",
            "function_call": "response.function_call_arguments.delta",
        }.get(kind)
        for text in texts if delta else ():
            step = max(1, len(text) // pieces)
            for start in range(0, len(text), step):
                events.append(
                    {"type": delta, "output_index": index, "delta": text[start : start + step]}
                )
        if kind == "function_call":
            done = {"type": "response.function_call_arguments.done", "output_index": index}
            events.append({**done, "arguments": texts[0]})
            item["arguments"] = texts[0]
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append(end)
    return b"".join(
        b"event: " + e["type"].encode() + b"\ndata: " + json.dumps(e).encode() + b"\n\n"
        for e in events
    )


def _whole_of(items: list[tuple[str, Any]], status: str, usage: dict[str, int]) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    for index, (kind, value) in enumerate(items):
        if kind == "message":
            parts = [{"type": "output_text", "text": text} for text in value]
            output.append({"type": "message", "id": f"it_{index}", "content": parts})
        elif kind == "reasoning":
            parts = [{"type": "summary_text", "text": text} for text in value]
            output.append({"type": "reasoning", "id": f"it_{index}", "summary": parts})
        elif kind == "function_call":
            call = {"call_id": f"call_{index}", "name": "f", "arguments": json.dumps(value)}
            output.append({"type": "function_call", "id": f"it_{index}", **call})
        else:
            output.append({"type": kind, "id": f"it_{index}"})
    details = {"reason": "max_output_tokens"} if status == "incomplete" else None
    return {"model": "m", "status": status, "incomplete_details": details,
            "output": output, "usage": usage}  # fmt: skip


def _summary(decoded: Any) -> tuple[Any, ...]:
    (finish,) = decoded.of("Finish")
    return (
        decoded.text,
        decoded.reasoning,
        [(c.id, c.name, c.arguments) for c in decoded.of("ToolCallDone")],
        [(u.input_tokens, u.output_tokens, u.total_tokens) for u in decoded.of("Usage")],
        (finish.reason, finish.raw_reason),
    )


@settings(max_examples=60, deadline=None)
@given(
    items=st.lists(_ITEMS, max_size=5),
    status=st.sampled_from(["completed", "incomplete"]),
    pieces=st.integers(1, 4),
    tokens=st.integers(0, 10**6),
)
def test_a_whole_response_decodes_as_its_stream_would(
    items: list[tuple[str, Any]], status: str, pieces: int, tokens: int
) -> None:
    """On both backends (the native one when installed)."""
    usage = {"input_tokens": tokens, "output_tokens": 3, "total_tokens": tokens + 3}
    whole = _whole_of(items, status, usage)
    end_type = "response." + status
    end = {"type": end_type, "response": {k: v for k, v in whole.items() if k != "output"}}
    for core in (_purepy, NATIVE) if NATIVE is not None else (_purepy,):
        streamed = decode(core, "openai-responses", [_stream_of(items, end, pieces)])
        replayed = decode(core, "openai-responses", [replay_response(whole)])
        assert streamed.error is None and replayed.error is None
        assert _summary(replayed) == _summary(streamed)
