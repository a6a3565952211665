"""The request options (README, Clients: request options) against a loopback server per chat
provider dialect: each option arrives translated as the provider's API names it, through
``Client`` and ``AsyncClient``, ``chat`` and ``stream``; an option a provider has no
equivalent for raises ``UnsupportedParameterError`` naming both before anything is sent; bad
values raise the typed argument errors; per-call headers, retries and ``extra_body`` work."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from client_helpers import Runner, mode, server  # noqa: F401
from fake_providers import KEY, TOOLS
from loopback import LoopbackServer, Request, Response, json_response

from fluent_ai import Client
from fluent_ai import errors as e
from fluent_ai.providers.adapters import adapter_for

QUESTION = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]

OPENAI_WHOLE = {
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
ANTHROPIC_WHOLE = {
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "ok"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 3, "output_tokens": 1},
}
GEMINI_WHOLE = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
    "modelVersion": "gemini-2.5-flash",
}
BEDROCK_WHOLE = {
    "output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4},
}
COHERE_WHOLE = {
    "finish_reason": "COMPLETE",
    "message": {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
    "usage": {"tokens": {"input_tokens": 3, "output_tokens": 1}},
}
OLLAMA_WHOLE = {
    "model": "llama3.2",
    "message": {"role": "assistant", "content": "ok"},
    "done": True,
    "done_reason": "stop",
}

STREAM_TYPES = {
    "openai": "text/event-stream",
    "anthropic": "text/event-stream",
    "gemini": "text/event-stream",
    "cohere": "text/event-stream",
    "ollama": "application/x-ndjson",
    "bedrock": "application/vnd.amazon.eventstream",
}

#: Every option, with values a plausible bug (a swapped field, a dropped list item, a sign
#: lost) would change.
ALL = {
    "top_p": 0.5,
    "stop": ["END", "STOP"],
    "seed": 7,
    "presence_penalty": 0.25,
    "frequency_penalty": -0.5,
    "parallel_tool_calls": False,
    "reasoning_effort": "low",
    "user": "u-42",
    "metadata": {"k": "v"},
}


def without(*names: str) -> dict[str, Any]:
    return {name: value for name, value in ALL.items() if name not in names}


@dataclass
class Target:
    """One chat provider as the tests drive it: its settings, its paths and whole answer."""

    name: str
    model: str  # "provider/model"
    kind: str  # which whole answer and stream format
    settings: Callable[[LoopbackServer], dict[str, Any]]
    paths: tuple[str, str]  # (chat, stream)
    options: dict[str, Any] = field(default_factory=dict)
    expected: Callable[[dict[str, Any]], Any] = lambda body: None

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0]


WHOLE = {
    "openai": OPENAI_WHOLE,
    "anthropic": ANTHROPIC_WHOLE,
    "gemini": GEMINI_WHOLE,
    "bedrock": BEDROCK_WHOLE,
    "cohere": COHERE_WHOLE,
    "ollama": OLLAMA_WHOLE,
}


def keyed(path: str = "") -> Callable[[LoopbackServer], dict[str, Any]]:
    return lambda server: {"base_url": server.url + path, "api_key": KEY}


def vertex_settings(server: LoopbackServer) -> dict[str, Any]:
    return {
        "base_url": server.url + "/v1",
        "project": "p",
        "location": "us-central1",
        "access_token": "ya29.token",
    }


VERTEX = "/v1/projects/p/locations/us-central1/publishers"
BEDROCK_CLAUDE = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def openai_expected(body: dict[str, Any]) -> Any:
    return {name: body.get(name) for name in ALL}


def anthropic_expected(body: dict[str, Any]) -> Any:
    return {
        "top_p": body.get("top_p"),
        "stop_sequences": body.get("stop_sequences"),
        "tool_choice": body.get("tool_choice"),
        "thinking": body.get("thinking"),
        "max_tokens": body.get("max_tokens"),
        "metadata": body.get("metadata"),
        "absent": [k for k in ("seed", "user", "stop", "reasoning_effort") if k in body],
    }


ANTHROPIC_ANSWER = {
    "top_p": 0.5,
    "stop_sequences": ["END", "STOP"],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "thinking": {"type": "enabled", "budget_tokens": 2048},
    "max_tokens": 4096,
    "metadata": {"user_id": "u-42"},
    "absent": [],
}

GEMINI_CONFIG = {
    "topP": 0.5,
    "stopSequences": ["END", "STOP"],
    "seed": 7,
    "presencePenalty": 0.25,
    "frequencyPenalty": -0.5,
    "thinkingConfig": {"thinkingBudget": 1024},
}


def gemini_expected(body: dict[str, Any]) -> Any:
    config = body.get("generationConfig", {})
    return {key: config.get(key) for key in GEMINI_CONFIG}, body.get("labels")


TARGETS = [
    Target(
        "openai",
        "openai/gpt-5-mini",
        "openai",
        keyed("/v1"),
        ("/v1/chat/completions",) * 2,
        ALL,
        openai_expected,
    ),
    Target(
        "azure",
        "azure/my-deployment",
        "openai",
        keyed("/openai/v1"),
        ("/openai/v1/chat/completions",) * 2,
        ALL,
        openai_expected,
    ),
    Target(
        "groq",
        "groq/llama-3.3-70b-versatile",
        "openai",
        keyed("/v1"),
        ("/v1/chat/completions",) * 2,
        ALL,
        openai_expected,
    ),
    Target(
        "mistral",
        "mistral/mistral-large-latest",
        "openai",
        keyed("/v1"),
        ("/v1/chat/completions",) * 2,
        without("user", "reasoning_effort"),
        lambda body: (body.get("random_seed"), "seed" in body, body.get("stop"), body.get("top_p")),
    ),
    Target(
        "cerebras",
        "cerebras/llama3.1-8b",
        "openai",
        keyed("/v1"),
        ("/v1/chat/completions",) * 2,
        without("presence_penalty", "frequency_penalty", "parallel_tool_calls"),
        lambda body: {name: body.get(name) for name in ALL},
    ),
    Target(
        "anthropic",
        "anthropic/claude-sonnet-4-5",
        "anthropic",
        keyed(),
        ("/v1/messages",) * 2,
        {**without("seed", "presence_penalty", "frequency_penalty"), "metadata": {"user_id": "x"}},
        anthropic_expected,
    ),
    Target(
        "vertex-claude",
        "vertex/claude-sonnet-4-5@20250929",
        "anthropic",
        vertex_settings,
        (
            f"{VERTEX}/anthropic/models/claude-sonnet-4-5@20250929:rawPredict",
            f"{VERTEX}/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict",
        ),
        {**without("seed", "presence_penalty", "frequency_penalty"), "metadata": {"user_id": "x"}},
        anthropic_expected,
    ),
    Target(
        "gemini",
        "gemini/gemini-2.5-flash",
        "gemini",
        keyed(),
        (
            "/v1beta/models/gemini-2.5-flash:generateContent",
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        ),
        without("parallel_tool_calls", "user", "metadata"),
        gemini_expected,
    ),
    Target(
        "vertex-gemini",
        "vertex/gemini-2.5-flash",
        "gemini",
        vertex_settings,
        (
            f"{VERTEX}/google/models/gemini-2.5-flash:generateContent",
            f"{VERTEX}/google/models/gemini-2.5-flash:streamGenerateContent",
        ),
        without("parallel_tool_calls", "user"),
        gemini_expected,
    ),
    Target(
        "bedrock",
        f"bedrock/{BEDROCK_CLAUDE}",
        "bedrock",
        lambda server: {"base_url": server.url, "api_key": KEY, "region": "us-east-1"},
        (
            f"/model/{quote(BEDROCK_CLAUDE, safe='')}/converse",
            f"/model/{quote(BEDROCK_CLAUDE, safe='')}/converse-stream",
        ),
        without("seed", "presence_penalty", "frequency_penalty", "parallel_tool_calls", "user"),
        lambda body: (
            body.get("inferenceConfig"),
            body.get("additionalModelRequestFields"),
            body.get("requestMetadata"),
        ),
    ),
    Target(
        "cohere",
        "cohere/command-a-reasoning-08-2025",
        "cohere",
        keyed(),
        ("/v2/chat",) * 2,
        without("parallel_tool_calls", "user", "metadata"),
        lambda body: (
            {
                k: body.get(k)
                for k in ("p", "stop_sequences", "seed", "presence_penalty", "frequency_penalty")
            }
            | {"thinking": body.get("thinking"), "top_p": "top_p" in body}
        ),
    ),
    Target(
        "ollama",
        "ollama/gpt-oss:20b",
        "ollama",
        keyed(),
        ("/api/chat",) * 2,
        without("parallel_tool_calls", "user", "metadata"),
        lambda body: (body.get("options"), body.get("think")),
    ),
]

ANSWERS: dict[str, Any] = {
    "openai": ALL,
    "azure": ALL,
    "groq": ALL,
    "mistral": (7, False, ["END", "STOP"], 0.5),
    "cerebras": {
        **{name: None for name in ALL},
        **without("presence_penalty", "frequency_penalty", "parallel_tool_calls"),
    },
    "anthropic": ANTHROPIC_ANSWER,
    "vertex-claude": ANTHROPIC_ANSWER,
    "gemini": (GEMINI_CONFIG, None),
    "vertex-gemini": (GEMINI_CONFIG, {"k": "v"}),
    "bedrock": (
        {"topP": 0.5, "stopSequences": ["END", "STOP"], "maxTokens": 4096},
        {"thinking": {"type": "enabled", "budget_tokens": 2048}},
        {"k": "v"},
    ),
    "cohere": {
        "p": 0.5,
        "stop_sequences": ["END", "STOP"],
        "seed": 7,
        "presence_penalty": 0.25,
        "frequency_penalty": -0.5,
        "thinking": {"type": "enabled", "token_budget": 2048},
        "top_p": False,
    },
    "ollama": (
        {
            "top_p": 0.5,
            "stop": ["END", "STOP"],
            "seed": 7,
            "presence_penalty": 0.25,
            "frequency_penalty": -0.5,
        },
        "low",
    ),
}

BY_NAME = {target.name: target for target in TARGETS}


def stream_bytes(target: Target) -> bytes:
    """The whole answer as the dialect's stream bytes (the adapter's own replay)."""
    settings = {target.kind: {"base_url": "http://127.0.0.1:9", "api_key": KEY}}
    with Client(providers=settings) as client:
        provider = client.resolve_provider(target.kind)
    return adapter_for(provider).replay(WHOLE[target.kind])


def serve(server: LoopbackServer, target: Target) -> list[Request]:
    """Routes for ``target`` that keep every request and answer it (a stream when asked)."""
    seen: list[Request] = []
    streamed = stream_bytes(target)
    chat_path, stream_path = target.paths

    def handle(request: Request) -> Response:
        seen.append(request)
        streaming = request.path == stream_path and (
            chat_path != stream_path or bool(request.json().get("stream"))
        )
        if streaming:
            return Response(200, {"content-type": STREAM_TYPES[target.kind]}, [streamed])
        return json_response(WHOLE[target.kind])

    server.route("POST", chat_path, handle)
    server.route("POST", stream_path, handle)
    return seen


def runner(mode: str, server: LoopbackServer, target: Target, **options: Any) -> Runner:
    return Runner(mode, providers={target.provider: target.settings(server)}, **options)


def call(runner: Runner, how: str, target: Target, **kw: Any) -> Any:
    if how == "chat":
        return runner.chat(target.model, QUESTION, **kw)
    result = runner.stream(target.model, QUESTION, **kw)
    if result.error is not None:
        raise result.error
    return result.response


@pytest.mark.parametrize("how", ["chat", "stream"])
@pytest.mark.parametrize("name", [target.name for target in TARGETS])
def test_every_option_arrives_translated(
    server: LoopbackServer, mode: str, how: str, name: str
) -> None:
    target = BY_NAME[name]
    server.reset()
    seen = serve(server, target)
    response = call(
        runner(mode, server, target),
        how,
        target,
        tools=TOOLS,
        headers={"x-trace": "t-1"},
        extra_headers={"x-extra": "e-2"},
        extra_body={"custom_field": 3},
        **target.options,
    )
    assert response.text == "ok"
    assert len(seen) == 1
    body = seen[0].json()
    assert target.expected(body) == ANSWERS[name]
    assert body["custom_field"] == 3
    assert seen[0].headers["x-trace"] == "t-1"
    assert seen[0].headers["x-extra"] == "e-2"
    assert seen[0].path == target.paths[how == "stream"]


UNSUPPORTED = [
    ("anthropic", "seed", 1, "seed"),
    ("anthropic", "presence_penalty", 0.1, "presence_penalty"),
    ("anthropic", "frequency_penalty", 0.1, "frequency_penalty"),
    ("anthropic", "metadata", {"tenant": "a"}, "metadata['tenant']"),
    ("vertex-claude", "seed", 1, "seed"),
    ("gemini", "parallel_tool_calls", False, "parallel_tool_calls"),
    ("gemini", "user", "u", "user"),
    ("gemini", "metadata", {"k": "v"}, "metadata"),
    ("vertex-gemini", "user", "u", "user"),
    ("bedrock", "seed", 1, "seed"),
    ("bedrock", "presence_penalty", 0.1, "presence_penalty"),
    ("bedrock", "frequency_penalty", 0.1, "frequency_penalty"),
    ("bedrock", "user", "u", "user"),
    ("bedrock", "parallel_tool_calls", False, "parallel_tool_calls"),
    ("cohere", "parallel_tool_calls", False, "parallel_tool_calls"),
    ("cohere", "user", "u", "user"),
    ("cohere", "metadata", {"k": "v"}, "metadata"),
    ("ollama", "parallel_tool_calls", False, "parallel_tool_calls"),
    ("ollama", "user", "u", "user"),
    ("ollama", "metadata", {"k": "v"}, "metadata"),
    ("cerebras", "presence_penalty", 0.1, "presence_penalty"),
    ("cerebras", "frequency_penalty", 0.1, "frequency_penalty"),
    ("cerebras", "parallel_tool_calls", True, "parallel_tool_calls"),
    ("mistral", "user", "u", "user"),
    ("mistral", "reasoning_effort", "high", "reasoning_effort"),
]


@pytest.mark.parametrize("how", ["chat", "stream"])
@pytest.mark.parametrize("case", UNSUPPORTED)
def test_an_option_without_equivalent_raises_before_sending(
    server: LoopbackServer, mode: str, how: str, case: tuple[str, str, Any, str]
) -> None:
    name, option, value, parameter = case
    target = BY_NAME[name]
    server.reset()
    seen = serve(server, target)
    with pytest.raises(e.UnsupportedParameterError) as caught:
        call(runner(mode, server, target), how, target, tools=TOOLS, **{option: value})
    assert caught.value.provider == target.provider
    assert caught.value.parameter == parameter == caught.value.argument
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, e.FluentAIError)
    assert repr(parameter) in str(caught.value) and repr(target.provider) in str(caught.value)
    assert seen == []


@pytest.mark.parametrize(
    ("model", "option", "allowed"),
    [
        ("xai/grok-4-0709", "stop", False),
        ("xai/grok-4-0709", "reasoning_effort", False),
        ("xai/grok-3-mini", "presence_penalty", False),
        ("xai/grok-3-mini", "reasoning_effort", True),
        ("xai/grok-3", "stop", True),
        ("xai/grok-3", "presence_penalty", True),
        ("deepseek/deepseek-reasoner", "top_p", False),
        ("deepseek/deepseek-reasoner", "presence_penalty", False),
        ("deepseek/deepseek-reasoner", "stop", True),
        ("deepseek/deepseek-chat", "top_p", True),
        ("deepseek/deepseek-chat", "presence_penalty", True),
    ],
)
def test_compat_rejections_follow_the_model(
    server: LoopbackServer, mode: str, model: str, option: str, allowed: bool
) -> None:
    target = Target("compat", model, "openai", keyed("/v1"), ("/v1/chat/completions",) * 2)
    server.reset()
    seen = serve(server, target)
    values = {"stop": "END", "reasoning_effort": "high", "presence_penalty": 0.5, "top_p": 0.3}
    value = values[option]
    run = runner(mode, server, target)
    if allowed:
        call(run, "chat", target, **{option: value})
        assert seen[0].json()[option] == value
    else:
        with pytest.raises(e.UnsupportedParameterError, match=option):
            call(run, "chat", target, **{option: value})
        assert seen == []


def test_stop_keeps_the_shape_given_on_openai(server: LoopbackServer, mode: str) -> None:
    target = BY_NAME["openai"]
    server.reset()
    seen = serve(server, target)
    run = runner(mode, server, target)
    call(run, "chat", target, stop="END")
    call(run, "stream", target, stop=("A",))
    assert seen[0].json()["stop"] == "END"
    assert seen[1].json()["stop"] == ["A"]


STOP_FIELD: dict[str, Callable[[dict[str, Any]], Any]] = {
    "anthropic": lambda body: body["stop_sequences"],
    "gemini": lambda body: body["generationConfig"]["stopSequences"],
    "bedrock": lambda body: body["inferenceConfig"]["stopSequences"],
    "cohere": lambda body: body["stop_sequences"],
    "ollama": lambda body: body["options"]["stop"],
}


@pytest.mark.parametrize("name", sorted(STOP_FIELD))
def test_a_lone_stop_string_is_one_sequence_elsewhere(
    server: LoopbackServer, mode: str, name: str
) -> None:
    """A str is one stop sequence (not a list of its characters) in every list-only dialect."""
    target = BY_NAME[name]
    server.reset()
    seen = serve(server, target)
    call(runner(mode, server, target), "stream", target, stop="END")
    assert STOP_FIELD[name](seen[0].json()) == ["END"]


@pytest.mark.parametrize(
    "limits",
    [
        (None, "high", 24576 + 4096),  # the default limit leaves no room: raised
        (1000, "high", 24576 + 1000),
        (30000, "high", 30000),  # room above the budget: kept
        (24576, "high", 24576 + 24576),  # equal is not enough (budget < max_tokens)
        (1025, "minimal", 1025),
        (1024, "minimal", 2048),
        (None, "medium", 8192 + 4096),
    ],
)
@pytest.mark.parametrize("name", ["anthropic", "bedrock"])
def test_claude_thinking_raises_max_tokens_above_the_budget(
    server: LoopbackServer, mode: str, name: str, limits: tuple[int | None, str, int]
) -> None:
    max_tokens, effort, sent = limits
    target = BY_NAME[name]
    server.reset()
    seen = serve(server, target)
    call(
        runner(mode, server, target), "chat", target, max_tokens=max_tokens, reasoning_effort=effort
    )
    body = seen[0].json()
    if name == "anthropic":
        assert body["max_tokens"] == sent
        assert body["thinking"]["budget_tokens"] < body["max_tokens"]
    else:
        assert body["inferenceConfig"]["maxTokens"] == sent
        thinking = body["additionalModelRequestFields"]["thinking"]
        assert thinking["budget_tokens"] < body["inferenceConfig"]["maxTokens"]


def test_bedrock_reasoning_effort_needs_a_claude_model(server: LoopbackServer, mode: str) -> None:
    target = BY_NAME["bedrock"]
    nova = Target(
        "bedrock", "bedrock/amazon.nova-pro-v1:0", "bedrock", target.settings, ("/x",) * 2
    )
    server.reset()
    with pytest.raises(e.UnsupportedParameterError, match="reasoning_effort"):
        call(runner(mode, server, nova), "chat", nova, reasoning_effort="low")
    assert server.requests == []


@pytest.mark.parametrize(
    ("model", "effort", "config"),
    [
        ("gemini-2.5-flash", "minimal", {"thinkingBudget": 512}),
        ("gemini-2.5-pro", "high", {"thinkingBudget": 24576}),
        ("gemini-2.5-flash", "medium", {"thinkingBudget": 8192}),
        ("gemini-3-pro-preview", "low", {"thinkingLevel": "low"}),
        ("gemini-3-flash-preview", "minimal", {"thinkingLevel": "minimal"}),
        ("gemini-flash-latest", "high", {"thinkingLevel": "high"}),
    ],
)
def test_gemini_thinking_level_or_budget_by_family(
    server: LoopbackServer, mode: str, model: str, effort: str, config: dict[str, Any]
) -> None:
    base = BY_NAME["gemini"]
    target = Target(
        "gemini",
        f"gemini/{model}",
        "gemini",
        base.settings,
        (f"/v1beta/models/{model}:generateContent",) * 2,
    )
    server.reset()
    seen = serve(server, target)
    call(runner(mode, server, target), "chat", target, reasoning_effort=effort)
    assert seen[0].json()["generationConfig"]["thinkingConfig"] == config


def test_ollama_minimal_effort_is_its_lowest_level(server: LoopbackServer, mode: str) -> None:
    target = BY_NAME["ollama"]
    server.reset()
    seen = serve(server, target)
    call(runner(mode, server, target), "chat", target, reasoning_effort="minimal")
    assert seen[0].json()["think"] == "low"


def test_parallel_tool_calls_true_is_every_default(server: LoopbackServer, mode: str) -> None:
    """``True`` asks for what Anthropic, Gemini, Cohere, Ollama and Bedrock do anyway: it is
    accepted and sends nothing; OpenAI gets it as given."""
    for name in ("anthropic", "gemini", "cohere", "ollama", "bedrock"):
        target = BY_NAME[name]
        server.reset()
        seen = serve(server, target)
        call(runner(mode, server, target), "chat", target, tools=TOOLS, parallel_tool_calls=True)
        assert "disable_parallel_tool_use" not in json.dumps(seen[0].json())
        assert "parallel" not in json.dumps(seen[0].json())
    target = BY_NAME["openai"]
    server.reset()
    seen = serve(server, target)
    call(runner(mode, server, target), "chat", target, tools=TOOLS, parallel_tool_calls=True)
    assert seen[0].json()["parallel_tool_calls"] is True


@pytest.mark.parametrize("name", ["openai", "anthropic", "gemini", "bedrock", "cohere"])
def test_parallel_tool_calls_without_tools_goes_nowhere(
    server: LoopbackServer, mode: str, name: str
) -> None:
    """Only tool calls are parallel: without tools nothing is sent (OpenAI refuses the field
    then) and nothing is refused."""
    target = BY_NAME[name]
    server.reset()
    seen = serve(server, target)
    call(runner(mode, server, target), "chat", target, parallel_tool_calls=False)
    body = seen[0].json()
    assert "parallel" not in json.dumps(body)
    assert "tool_choice" not in body and "toolConfig" not in body


def test_anthropic_disable_parallel_keeps_a_named_tool_choice(
    server: LoopbackServer, mode: str
) -> None:
    target = BY_NAME["anthropic"]
    server.reset()
    seen = serve(server, target)
    choice = {"type": "function", "function": {"name": "get_weather"}}
    run = runner(mode, server, target)
    call(run, "chat", target, tools=TOOLS, tool_choice=choice, parallel_tool_calls=False)
    call(run, "chat", target, tools=TOOLS, tool_choice="none", parallel_tool_calls=False)
    assert seen[0].json()["tool_choice"] == {
        "type": "tool",
        "name": "get_weather",
        "disable_parallel_tool_use": True,
    }
    assert seen[1].json()["tool_choice"] == {"type": "none"}


# --- Headers, retries, the body escape hatch ----------------------------------------------------


def test_a_per_call_header_replaces_the_providers_whatever_its_case(
    server: LoopbackServer, mode: str
) -> None:
    target = BY_NAME["anthropic"]
    server.reset()
    seen = serve(server, target)
    call(
        runner(mode, server, target),
        "stream",
        target,
        headers={"Anthropic-Version": "2099-01-01"},
        extra_headers={"anthropic-beta": "b1"},
    )
    items = [(k.lower(), v) for k, v in seen[0].header_items]
    assert [v for k, v in items if k == "anthropic-version"] == ["2099-01-01"]
    assert [v for k, v in items if k == "anthropic-beta"] == ["b1"]
    assert [v for k, v in items if k == "x-api-key"] == [KEY]  # auth is still there


def test_extra_headers_win_over_headers(server: LoopbackServer, mode: str) -> None:
    target = BY_NAME["openai"]
    server.reset()
    seen = serve(server, target)
    call(
        runner(mode, server, target),
        "chat",
        target,
        headers={"x-a": "1"},
        extra_headers={"X-A": "2"},
    )
    assert [v for k, v in seen[0].header_items if k.lower() == "x-a"] == ["2"]


@pytest.mark.parametrize("header", ["Authorization", "X-Portkey-Api-Key", "x-gateway-token"])
def test_a_per_call_credential_header_is_redacted(
    server: LoopbackServer, mode: str, header: str
) -> None:
    target = BY_NAME["openai"]
    server.reset()
    secret = "sk-percall-5e3b9d1f7a"
    value = f"Bearer {secret}" if header == "Authorization" else secret

    def echo(request: Request) -> Response:
        text = f"bad key {request.headers.get(header.lower())}"
        return json_response({"error": {"message": text, "type": "invalid_request_error"}}, 401)

    server.route("POST", target.paths[0], echo)
    with pytest.raises(e.AuthenticationError) as caught:
        call(runner(mode, server, target), "chat", target, headers={header: value})
    assert server.requests[0].headers[header.lower()] == value
    assert secret not in str(caught.value) and secret not in repr(caught.value.__dict__)


def test_other_per_call_headers_are_not_redacted(server: LoopbackServer, mode: str) -> None:
    target = BY_NAME["openai"]
    server.reset()

    def echo(request: Request) -> Response:
        text = f"unknown trace {request.headers.get('x-trace-id')}"
        return json_response({"error": {"message": text, "type": "invalid_request_error"}}, 400)

    server.route("POST", target.paths[0], echo)
    with pytest.raises(e.BadRequestError) as caught:
        call(runner(mode, server, target), "chat", target, headers={"x-trace-id": "trace-77"})
    assert "trace-77" in str(caught.value)


@pytest.mark.parametrize(("max_retries", "attempts"), [(0, 1), (1, 2), (None, 3)])
@pytest.mark.parametrize("how", ["chat", "stream"])
def test_max_retries_per_call(
    server: LoopbackServer, mode: str, how: str, max_retries: int | None, attempts: int
) -> None:
    target = BY_NAME["openai"]
    server.reset()
    serve(server, target)
    server.fail("POST", target.paths[0], status=503, times=5)
    with pytest.raises(e.ServerError):
        call(runner(mode, server, target), how, target, max_retries=max_retries)
    assert server.count(target.paths[0]) == attempts  # the client's policy retries twice


def test_extra_is_the_older_name_of_extra_body(server: LoopbackServer, mode: str) -> None:
    target = BY_NAME["cohere"]
    server.reset()
    seen = serve(server, target)
    run = runner(mode, server, target)
    call(run, "chat", target, extra={"safety_mode": "OFF"})
    call(run, "chat", target, extra_body={"safety_mode": "STRICT", "p": 0.1}, top_p=0.9)
    assert seen[0].json()["safety_mode"] == "OFF"
    assert seen[1].json()["safety_mode"] == "STRICT"
    assert seen[1].json()["p"] == 0.1  # the escape hatch is merged last
    with pytest.raises(e.InvalidArgumentError, match="extra"):
        call(run, "chat", target, extra={"a": 1}, extra_body={"b": 2})
    assert len(seen) == 2


# --- Bad values ---------------------------------------------------------------------------------

BAD = [
    ("top_p", 1.5, e.InvalidArgumentError, "top_p"),
    ("top_p", -0.1, e.InvalidArgumentError, "top_p"),
    ("top_p", float("nan"), e.InvalidArgumentError, "top_p"),
    ("top_p", "0.5", e.ArgumentTypeError, "top_p"),
    ("top_p", True, e.ArgumentTypeError, "top_p"),
    ("stop", "", e.InvalidArgumentError, "stop"),
    ("stop", ["a", 3], e.ArgumentTypeError, "stop[1]"),
    ("stop", ["a", ""], e.InvalidArgumentError, "stop[1]"),
    ("stop", {"a": 1}, e.ArgumentTypeError, "stop"),
    ("stop", b"END", e.ArgumentTypeError, "stop"),
    ("seed", 1.0, e.ArgumentTypeError, "seed"),
    ("seed", True, e.ArgumentTypeError, "seed"),
    ("seed", 1 << 63, e.InvalidArgumentError, "seed"),
    ("seed", -(1 << 63) - 1, e.InvalidArgumentError, "seed"),
    ("presence_penalty", 2.5, e.InvalidArgumentError, "presence_penalty"),
    ("frequency_penalty", -2.01, e.InvalidArgumentError, "frequency_penalty"),
    ("frequency_penalty", float("inf"), e.InvalidArgumentError, "frequency_penalty"),
    ("presence_penalty", "0.1", e.ArgumentTypeError, "presence_penalty"),
    ("parallel_tool_calls", 1, e.ArgumentTypeError, "parallel_tool_calls"),
    ("parallel_tool_calls", "false", e.ArgumentTypeError, "parallel_tool_calls"),
    ("reasoning_effort", "maximum", e.InvalidArgumentError, "reasoning_effort"),
    ("reasoning_effort", "HIGH", e.InvalidArgumentError, "reasoning_effort"),
    ("reasoning_effort", 3, e.ArgumentTypeError, "reasoning_effort"),
    ("user", "", e.InvalidArgumentError, "user"),
    ("user", 42, e.ArgumentTypeError, "user"),
    ("metadata", {"k": 1}, e.ArgumentTypeError, "metadata['k']"),
    ("metadata", {1: "v"}, e.ArgumentTypeError, "a key of metadata"),
    ("metadata", [("k", "v")], e.ArgumentTypeError, "metadata"),
    ("headers", {"x-a": 1}, e.ArgumentTypeError, "headers['x-a']"),
    ("headers", {"x-a": "v\r\nx-evil: 1"}, e.InvalidArgumentError, "headers['x-a']"),
    ("headers", {"bad name": "v"}, e.InvalidArgumentError, "a key of headers"),
    ("headers", {"x-a": "caf\u00e9"}, e.InvalidArgumentError, "headers['x-a']"),
    ("headers", {"x-\u00e9": "v"}, e.InvalidArgumentError, "a key of headers"),
    ("user", "\ud800", e.InvalidArgumentError, "user"),
    ("stop", ["ok", "\udfff"], e.InvalidArgumentError, "stop"),
    ("metadata", {"k": "\ud800"}, e.InvalidArgumentError, "metadata"),
    ("headers", {"": "v"}, e.InvalidArgumentError, "a key of headers"),
    ("extra_headers", "x-a: 1", e.ArgumentTypeError, "extra_headers"),
    ("extra_body", ["a"], e.ArgumentTypeError, "extra_body"),
    ("extra_body", {"a": float("nan")}, e.InvalidArgumentError, "extra_body"),
    ("extra_body", {"a": object()}, e.InvalidArgumentError, "extra_body"),
    ("extra_body", {"a": "\ud800"}, e.InvalidArgumentError, "extra_body"),
    ("max_retries", -1, e.InvalidArgumentError, "max_retries"),
    ("max_retries", 1.0, e.ArgumentTypeError, "max_retries"),
    ("max_retries", False, e.ArgumentTypeError, "max_retries"),
]


@pytest.mark.parametrize("how", ["chat", "stream"])
@pytest.mark.parametrize("case", BAD)
def test_bad_values_raise_naming_the_argument(
    server: LoopbackServer, mode: str, how: str, case: tuple[str, Any, type[Exception], str]
) -> None:
    option, value, error, argument = case
    target = BY_NAME["openai"]
    server.reset()
    serve(server, target)
    with pytest.raises(error) as caught:
        call(runner(mode, server, target), how, target, **{option: value})
    assert type(caught.value) is error
    assert caught.value.argument == argument  # type: ignore[attr-defined]
    assert server.requests == []


def test_a_header_value_is_never_shown(server: LoopbackServer) -> None:
    secret = "sk-header-value-91c2"
    with Client() as client, pytest.raises(e.InvalidArgumentError) as caught:
        client.chat("openai/gpt-5", QUESTION, headers={"authorization": secret + "\n"})
    assert secret not in str(caught.value)


def test_unsupported_parameter_error_survives_pickling() -> None:
    import pickle  # noqa: PLC0415

    error = e.UnsupportedParameterError("anthropic", "seed", "no such field")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is e.UnsupportedParameterError
    assert (copy.provider, copy.parameter, copy.argument) == ("anthropic", "seed", "seed")
    assert (
        str(copy)
        == str(error)
        == ("provider 'anthropic' has no equivalent of the request option 'seed': no such field")
    )
    assert "UnsupportedParameterError" in e.__all__
