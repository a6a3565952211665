"""Every OpenAI-compatible provider of the registry, Azure OpenAI and user-registered
providers: a streamed chat with tools through each, with its base URL pointed at the loopback
server (by override and by ``FLUENT_AI_<NAME>_BASE_URL``)."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from client_helpers import Runner, mode, server  # noqa: F401
from fake_providers import (
    KEY,
    OPENAI_TOOLS_WHOLE,
    TOOLS,
    frames,
    install,
    openai_checks,
    transcript,
)
from loopback import LoopbackServer

from fluent_ai import Client
from fluent_ai import errors as e
from fluent_ai.providers.conformance import FACTS
from fluent_ai.providers.registry import PROVIDERS, base_url_env_var

COMPATIBLE = sorted(name for name, spec in PROVIDERS.items() if spec.dialect == "openai-chat")
MESSAGES = [{"role": "user", "content": "Weather and stocks?"}]
STREAM = frames(transcript("openai_chat_parallel_tool_calls.txt"))


def default_path(name: str) -> str:
    """The path part of the provider's documented base URL (``/openai/v1`` for Groq)."""
    return urlsplit(PROVIDERS[name].base_url.replace("{account_id}", "acct")).path.rstrip("/")


def play(server: LoopbackServer, name: str, path: str) -> None:
    server.reset()
    install(
        server,
        path + "/chat/completions",
        auth=("authorization", f"Bearer {KEY}"),
        checks=openai_checks(stream_options=sends_stream_options(name)),
        stream=STREAM,
        whole=OPENAI_TOOLS_WHOLE,
    )


def sends_stream_options(name: str) -> bool:
    """Whether the provider is documented to take ``stream_options`` (conformance.FACTS)."""
    facts = FACTS.get(name)
    return facts is None or facts.stream_options is not False


def check_stream(runner: Runner, name: str) -> None:
    result = runner.stream(f"{name}/some-model", MESSAGES, tools=TOOLS, max_tokens=50)
    assert result.error is None, result.error
    assert [c.name for c in result.of("ToolCallDone")] == ["GetWeatherArgs", "get_stock_price"]
    assert result.response.provider == name
    assert result.response.usage.total_tokens == 209


def test_every_compatible_provider_is_covered() -> None:
    assert len(COMPATIBLE) >= 27
    assert {"groq", "deepseek", "together", "openrouter", "mistral", "cerebras", "vllm"} <= set(
        COMPATIBLE
    )


@pytest.mark.parametrize("name", COMPATIBLE)
def test_streamed_chat_with_tools_through_an_override(
    server: LoopbackServer, mode: str, name: str
) -> None:
    path = default_path(name)
    play(server, name, path)
    runner = Runner(mode, providers={name: {"base_url": server.url + path, "api_key": KEY}})
    check_stream(runner, name)
    (request,) = server.requests
    assert request.path == path + "/chat/completions"
    body = request.json()
    assert body["model"] == "some-model"
    assert body[FACTS[name].max_tokens_field] == 50
    assert ("stream_options" in body) is sends_stream_options(name)


@pytest.mark.parametrize("name", COMPATIBLE)
def test_streamed_chat_through_the_environment(
    server: LoopbackServer, mode: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "/" + name
    play(server, name, path)
    monkeypatch.setenv(base_url_env_var(name), server.url + path)
    for variable in PROVIDERS[name].key_env:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(PROVIDERS[name].key_env[0], KEY)
    check_stream(Runner(mode), name)
    assert server.requests[0].path == path + "/chat/completions"


def test_chat_through_every_compatible_provider(server: LoopbackServer) -> None:
    with Client(
        providers={n: {"base_url": server.url + "/c", "api_key": KEY} for n in COMPATIBLE}
    ) as client:
        play(server, "openai", "/c")
        for name in COMPATIBLE:
            if name == "mistral":
                continue
            answer = client.chat(f"{name}/m", MESSAGES, tools=TOOLS)
            assert answer.provider == name
            assert len(answer.tool_calls) == 2


def test_a_provider_registered_by_the_caller(server: LoopbackServer, mode: str) -> None:
    play(server, "mine", "/mine/v1")
    providers = {
        "my-llm": {"base_url": server.url + "/mine/v1", "api_key": KEY, "dialect": "openai-chat"}
    }
    runner = Runner(mode, providers=providers)
    check_stream(runner, "my-llm")
    assert runner.chat("my-llm/m", MESSAGES).tool_calls[1].name == "get_stock_price"


def test_stream_options_can_be_turned_off(server: LoopbackServer, mode: str) -> None:
    play(server, "mistral", "/x")
    override = {"base_url": server.url + "/x", "api_key": KEY, "stream_options": False}
    check_stream(Runner(mode, providers={"groq": override}), "groq")
    assert "stream_options" not in server.requests[0].json()


def test_unknown_provider_lists_the_known_ones(mode: str) -> None:
    with pytest.raises(e.UnknownProviderError) as caught:
        Runner(mode).chat("nosuch/model", MESSAGES)
    assert "nosuch" in str(caught.value)
    assert "openai" in caught.value.known and "groq" in caught.value.known
    with pytest.raises(e.InvalidArgumentError, match="provider/model"):
        Runner(mode).chat("gpt-4o", MESSAGES)
    with pytest.raises(e.ConfigurationError, match="dialect"):
        Runner(mode, providers={"jina": {"api_key": KEY}}).chat("jina/x", MESSAGES)


# --- Azure OpenAI -----------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["api-key", "entra"])
def test_azure_deployment_urls(server: LoopbackServer, mode: str, auth: str) -> None:
    server.reset()
    path = "/openai/deployments/my-gpt/chat/completions"
    header = ("api-key", KEY) if auth == "api-key" else ("authorization", f"Bearer {KEY}")
    install(
        server, path, auth=header, checks=openai_checks(), stream=STREAM, whole=OPENAI_TOOLS_WHOLE
    )
    settings = {"endpoint": server.url, "api_version": "2024-10-21"}
    settings.update({"api_key": KEY} if auth == "api-key" else {"azure_ad_token": KEY})
    runner = Runner(mode, providers={"azure": settings})
    result = runner.stream("azure/my-gpt", MESSAGES, tools=TOOLS, max_tokens=10)
    assert result.error is None
    assert runner.chat("azure/my-gpt", MESSAGES).finish_reason == "tool_calls"
    for request in server.requests:
        assert request.path == path
        assert request.query == {"api-version": ["2024-10-21"]}
    assert server.requests[0].json()["max_completion_tokens"] == 10


def test_azure_v1_api(server: LoopbackServer, mode: str) -> None:
    server.reset()
    install(
        server,
        "/openai/v1/chat/completions",
        auth=("api-key", KEY),
        checks=openai_checks(),
        stream=STREAM,
    )
    providers = {"azure": {"base_url": server.url + "/openai/v1", "api_key": KEY}}
    result = Runner(mode, providers=providers).stream("azure/my-gpt", MESSAGES, tools=TOOLS)
    assert result.error is None
    assert server.requests[0].query == {}
    assert server.requests[0].json()["model"] == "my-gpt"
