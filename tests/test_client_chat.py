"""chat(), embed() and list_models() end to end, and the translation of OpenAI-style
messages and tools for each dialect (multi-turn tool use, images, system prompts), checked by
the loopback server the way the provider checks them."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from client_helpers import Runner, mode, server  # noqa: F401
from fake_providers import (
    ANTHROPIC_TOOLS_WHOLE,
    KEY,
    OPENAI_TOOLS_WHOLE,
    TOOLS,
    anthropic_checks,
    install,
    openai_checks,
)
from loopback import LoopbackServer, json_response

import fluent_ai
from fluent_ai import errors as e

PNG = "data:image/png;base64,iVBORw0KGgo="

# A whole tool-use conversation in the lingua franca.
CONVERSATION: list[dict[str, Any]] = [
    {"role": "system", "content": "You are terse."},
    {"role": "developer", "content": "Use tools."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in this picture, and the weather in Paris?"},
            {"type": "image_url", "image_url": {"url": PNG, "detail": "low"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        ],
    },
    {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "get_weather", "arguments": ""},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 21}'},
    {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "n/a"}]},
    {"role": "user", "content": "Thanks. Summarize."},
]


def providers(server: LoopbackServer, **anthropic: Any) -> dict[str, dict[str, Any]]:
    return {
        "openai": {"base_url": server.url + "/v1", "api_key": KEY},
        "anthropic": {"base_url": server.url, "api_key": KEY, **anthropic},
    }


def play_openai(server: LoopbackServer, whole: object = OPENAI_TOOLS_WHOLE) -> None:
    server.reset()
    install(
        server,
        "/v1/chat/completions",
        auth=("authorization", f"Bearer {KEY}"),
        checks=openai_checks(),
        whole=whole,
    )


def play_anthropic(server: LoopbackServer, version: str = "2023-06-01") -> None:
    server.reset()
    install(
        server,
        "/v1/messages",
        auth=("x-api-key", KEY),
        checks=anthropic_checks(version=version),
        whole=ANTHROPIC_TOOLS_WHOLE,
    )


def test_openai_chat(server: LoopbackServer, mode: str) -> None:
    play_openai(server)
    answer = Runner(mode, providers=providers(server)).chat(
        "openai/gpt-4o",
        CONVERSATION,
        tools=TOOLS,
        tool_choice="required",
        max_tokens=100,
        temperature=0.2,
        response_format={"type": "json_object"},
        extra={"seed": 7},
    )
    assert [c.arguments for c in answer.tool_calls] == [
        {"city": "Edinburgh", "country": "GB", "units": "c"},
        {"ticker": "AAPL", "exchange": "NASDAQ"},
    ]
    assert isinstance(answer.tool_calls[0], fluent_ai.ToolCallDone)
    assert answer.text == ""
    assert answer.finish_reason == "tool_calls"
    assert answer.raw_finish_reason == "tool_calls"
    assert answer.model == "gpt-4o-2024-08-06"
    assert answer.raw == OPENAI_TOOLS_WHOLE
    body = server.requests[0].json()
    assert body["messages"] == CONVERSATION  # the lingua franca goes out as it is
    assert body["tool_choice"] == "required"
    assert body["max_completion_tokens"] == 100
    assert (body["temperature"], body["seed"]) == (0.2, 7)
    assert body["response_format"] == {"type": "json_object"}
    assert "stream" not in body


def test_openai_text_answer_with_refusal_and_reasoning(server: LoopbackServer, mode: str) -> None:
    whole = {
        "model": "deepseek-reasoner",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "9.8",
                    "reasoning_content": "Compare decimals.",
                },
                "finish_reason": "length",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "prompt_cache_hit_tokens": 3},
    }
    play_openai(server, whole)
    answer = Runner(mode, providers=providers(server)).chat("openai/x", [CONVERSATION[-1]])
    assert (answer.text, answer.reasoning, answer.finish_reason) == (
        "9.8",
        "Compare decimals.",
        "length",
    )
    assert answer.usage == fluent_ai.Usage(5, 2, 7, 3, None, None)
    assert answer.tool_calls == ()


def test_invalid_tool_arguments_are_reported(server: LoopbackServer, mode: str) -> None:
    whole = {
        "model": "m",
        "choices": [
            {
                "message": {
                    "tool_calls": [
                        {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{"}}
                    ]
                },
                "finish_reason": "tool_calls",
            }
        ],
    }
    play_openai(server, whole)
    answer = Runner(mode, providers=providers(server)).chat("openai/m", [CONVERSATION[-1]])
    assert answer.tool_calls == ()
    (invalid,) = answer.invalid_tool_calls
    assert (invalid.id, invalid.name, invalid.raw) == ("a", "f", "{")


def test_anthropic_translation(server: LoopbackServer, mode: str) -> None:
    play_anthropic(server)
    answer = Runner(mode, providers=providers(server)).chat(
        "anthropic/claude-sonnet-4-5",
        CONVERSATION,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        temperature=0.5,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "x", "schema": {"type": "object"}},
        },
    )
    assert answer.text == "I'll check the current weather in Paris for you."
    assert answer.tool_calls[0].arguments == {"location": "Paris"}
    assert answer.usage.input_tokens == 377
    body = server.requests[0].json()
    assert body["system"] == "You are terse.\n\nUse tools."
    assert body["max_tokens"] == 4096
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert body["output_config"] == {
        "format": {"type": "json_schema", "schema": {"type": "object"}}
    }
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture, and the weather in Paris?"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {
                    "type": "tool_use",
                    "id": "call_1",
                    "name": "get_weather",
                    "input": {"location": "Paris"},
                },
                {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": '{"temp_c": 21}'},
                {
                    "type": "tool_result",
                    "tool_use_id": "call_2",
                    "content": [{"type": "text", "text": "n/a"}],
                },
                {"type": "text", "text": "Thanks. Summarize."},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("auto", {"type": "auto"}), ("required", {"type": "any"}), ("none", {"type": "none"})],
)
def test_anthropic_tool_choice(
    server: LoopbackServer, choice: str, expected: dict[str, str]
) -> None:
    play_anthropic(server)
    Runner("sync", providers=providers(server)).chat(
        "anthropic/c", [CONVERSATION[-1]], tools=TOOLS, tool_choice=choice
    )
    assert server.requests[0].json()["tool_choice"] == expected


def test_anthropic_settings(server: LoopbackServer, mode: str) -> None:
    play_anthropic(server, version="2026-10-21")
    settings = {"api_version": "2026-10-21", "beta": ["a-1", "b-2"], "default_max_tokens": 999}
    Runner(mode, providers=providers(server, **settings)).chat("anthropic/c", [CONVERSATION[-1]])
    request = server.requests[0]
    assert request.headers["anthropic-beta"] == "a-1,b-2"
    assert request.json()["max_tokens"] == 999
    with pytest.raises(e.UnsupportedParameterError, match=r"'anthropic'.*response_format"):
        Runner(mode, providers=providers(server)).chat(
            "anthropic/c", [CONVERSATION[-1]], response_format={"type": "json_object"}
        )
    with pytest.raises(e.ConfigurationError, match="not JSON"):
        bad = [{"role": "user", "content": "x"}, {**CONVERSATION[3], "tool_calls": [
            {"id": "z", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
        ]}]  # fmt: skip
        Runner(mode, providers=providers(server)).chat("anthropic/c", bad)


def test_headers_override(server: LoopbackServer, mode: str) -> None:
    play_openai(server)
    overrides = providers(server)
    overrides["openai"]["headers"] = {"OpenAI-Project": "proj_1"}
    Runner(mode, providers=overrides).chat("openai/gpt-4o", [CONVERSATION[-1]])
    assert server.requests[0].headers["openai-project"] == "proj_1"


def test_cost_from_the_catalog(server: LoopbackServer) -> None:
    play_openai(server)
    answer = Runner("sync", providers=providers(server)).chat("openai/gpt-4o", [CONVERSATION[-1]])
    cost = answer.cost
    assert cost is not None
    expected = fluent_ai.catalog.cost("openai/gpt-4o-2024-08-06", answer.usage)
    assert cost == expected and cost.total > 0
    unknown = fluent_ai.ChatResponse("", (), answer.usage, "stop", "no-such-model", "openai")
    assert unknown.cost is None
    assert fluent_ai.ChatResponse("", (), None, "stop", "gpt-4o", "openai").cost is None


def test_embeddings(server: LoopbackServer, mode: str) -> None:
    server.reset()
    body = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 1, "embedding": [0.5, 0.25]},
            {"object": "embedding", "index": 0, "embedding": [1, 0]},
        ],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8},
    }
    server.json("POST", "/v1/embeddings", body, require={"authorization": f"Bearer {KEY}"})
    runner = Runner(mode, providers=providers(server))
    result = runner.call("embed", "openai/text-embedding-3-small", ["a", "b"], dimensions=2)
    assert result.embeddings == [[1.0, 0.0], [0.5, 0.25]]
    assert (result.model, result.provider) == ("text-embedding-3-small", "openai")
    assert result.usage.input_tokens == 8
    sent = server.requests[0].json()
    assert sent == {
        "model": "text-embedding-3-small",
        "input": ["a", "b"],
        "encoding_format": "float",
        "dimensions": 2,
    }
    # One input: one vector (an answer with another count is an APIError, test_adversarial_client).
    one = {**body, "data": [body["data"][1]]}
    server.json("POST", "/v1/embeddings", one, require={"authorization": f"Bearer {KEY}"})
    assert runner.call("embed", "openai/text-embedding-3-small", "one").embeddings == [[1.0, 0.0]]
    assert server.requests[1].json()["input"] == ["one"]
    with pytest.raises(e.ConfigurationError, match="no embeddings"):
        runner.call("embed", "anthropic/claude", ["a"])
    with pytest.raises(e.ConfigurationError, match="no rerank"):
        runner.call("rerank", "openai/x", "q", ["a"])


def test_list_models(server: LoopbackServer, mode: str) -> None:
    server.reset()
    server.json(
        "GET",
        "/v1/models",
        {"object": "list", "data": [{"id": "gpt-4o", "object": "model", "context_window": 128000}]},
        require={"authorization": f"Bearer {KEY}"},
    )
    runner = Runner(mode, providers=providers(server))
    (model,) = runner.call("list_models", "openai")
    assert (model.provider, model.id, model.context_window) == ("openai", "gpt-4o", 128000)
    assert model.live_source == f"GET {server.url}/v1/models"


def test_list_models_of_anthropic_follows_pages(server: LoopbackServer, mode: str) -> None:
    server.reset()
    pages = {
        None: {"data": [{"type": "model", "id": "claude-a", "max_input_tokens": 200000}],
               "has_more": True, "last_id": "claude-a"},
        "claude-a": {"data": [{"type": "model", "id": "claude-b"}], "has_more": False},
    }  # fmt: skip

    def handle(request: Any) -> Any:
        if request.headers.get("x-api-key") != KEY:
            return json_response({"error": {"message": "key"}}, 401)
        return json_response(pages[request.param("after_id")])

    server.route("GET", "/v1/models", handle)
    models = Runner(mode, providers=providers(server)).call("list_models", "anthropic")
    assert [m.id for m in models] == ["claude-a", "claude-b"]
    assert models[0].context_window == 200000
    assert server.requests[0].headers["anthropic-version"] == "2023-06-01"
