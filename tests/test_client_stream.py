"""Streamed chats end to end against the loopback server (OpenAI and Anthropic dialects, sync
and async): the events are the streaming core's, in every chunking, as soon as they are
complete; the response after the loop equals what chat() gives; closing closes."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from client_helpers import Runner, mode, server  # noqa: F401
from fake_providers import (
    ANTHROPIC_TOOLS_WHOLE,
    KEY,
    OPENAI_TOOLS_WHOLE,
    TOOLS,
    anthropic_checks,
    frames,
    install,
    openai_checks,
    transcript,
)
from loopback import LoopbackServer, chunked

import fluent_ai
from chunking import bytewise, random_splits
from fluent_ai import AsyncClient, Client, StreamDecoder

MESSAGES = [{"role": "user", "content": "What's the weather?"}]
OPENAI = "openai/gpt-4o"
CLAUDE = "anthropic/claude-sonnet-4-5"


def providers(server: LoopbackServer) -> dict[str, dict[str, str]]:
    return {
        "openai": {"base_url": server.url + "/v1", "api_key": KEY},
        "anthropic": {"base_url": server.url, "api_key": KEY},
    }


def play_openai(server: LoopbackServer, chunks: list[bytes], **options: object) -> None:
    install(
        server,
        "/v1/chat/completions",
        auth=("authorization", f"Bearer {KEY}"),
        checks=openai_checks(),
        stream=chunks,
        whole=OPENAI_TOOLS_WHOLE,
        **options,
    )


def play_anthropic(server: LoopbackServer, chunks: list[bytes], **options: object) -> None:
    install(
        server,
        "/v1/messages",
        auth=("x-api-key", KEY),
        checks=anthropic_checks(),
        stream=chunks,
        whole=ANTHROPIC_TOOLS_WHOLE,
        **options,
    )


def core_events(dialect: str, data: bytes) -> list[object]:
    decoder = StreamDecoder(dialect)
    return [*decoder.feed(data), *decoder.finish()]


CHUNKINGS = {
    "frames": frames,
    "bytewise": bytewise,
    "seven": lambda data: chunked(data, 7),
    "random": lambda data: random_splits(data, seed=4, pieces=23),
    "whole": lambda data: [data],
}


@pytest.mark.parametrize("chunking", sorted(CHUNKINGS))
def test_openai_stream_with_tools_gives_the_core_events(
    server: LoopbackServer, mode: str, chunking: str
) -> None:
    server.reset()
    data = transcript("openai_chat_parallel_tool_calls.txt")
    play_openai(server, CHUNKINGS[chunking](data))
    result = Runner(mode, providers=providers(server)).stream(OPENAI, MESSAGES, tools=TOOLS)
    assert result.error is None
    assert result.events == core_events("openai-chat", data)
    calls = result.of("ToolCallDone")
    assert [(c.name, c.arguments) for c in calls] == [
        ("GetWeatherArgs", {"city": "Edinburgh", "country": "GB", "units": "c"}),
        ("get_stock_price", {"ticker": "AAPL", "exchange": "NASDAQ"}),
    ]
    assert isinstance(calls[0], fluent_ai.ToolCallDone)
    response = result.response
    assert response.tool_calls == tuple(calls)
    assert response.finish_reason == "tool_calls"
    assert response.usage == fluent_ai.Usage(149, 60, 209, None, None, 0)
    assert response.model == "gpt-4o-2024-08-06"
    assert response.provider == "openai"
    # The request: the tools went out as given, and usage was asked for.
    body = server.requests[-1].json()
    assert body["tools"] == TOOLS
    assert body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("chunking", sorted(CHUNKINGS))
def test_anthropic_stream_with_tools_gives_the_core_events(
    server: LoopbackServer, mode: str, chunking: str
) -> None:
    server.reset()
    data = transcript("anthropic_tool_use.txt")
    play_anthropic(server, CHUNKINGS[chunking](data))
    result = Runner(mode, providers=providers(server)).stream(CLAUDE, MESSAGES, tools=TOOLS)
    assert result.error is None
    assert result.events == core_events("anthropic", data)
    assert result.text == "I'll check the current weather in Paris for you."
    (call,) = result.of("ToolCallDone")
    assert (call.id, call.name, call.arguments) == (
        "toolu_01NRLabsLyVHZPKxbKvkfSMn",
        "get_weather",
        {"location": "Paris"},
    )
    assert result.response.finish_reason == "tool_calls"
    assert result.response.usage.output_tokens == 65
    assert result.response.model == "claude-sonnet-4-20250514"
    tools = server.requests[-1].json()["tools"]
    assert tools == [
        {
            "name": "get_weather",
            "description": "Current weather of a city",
            "input_schema": TOOLS[0]["function"]["parameters"],
        }
    ]


@pytest.mark.parametrize(
    ("model", "play"), [(OPENAI, play_openai), (CLAUDE, play_anthropic)], ids=["openai", "claude"]
)
def test_stream_response_equals_chat(
    server: LoopbackServer, mode: str, model: str, play: object
) -> None:
    server.reset()
    name = "openai_chat_parallel_tool_calls.txt" if model == OPENAI else "anthropic_tool_use.txt"
    play(server, frames(transcript(name)))  # type: ignore[operator]
    runner = Runner(mode, providers=providers(server))
    streamed = runner.stream(model, MESSAGES, tools=TOOLS)
    whole = runner.chat(model, MESSAGES, tools=TOOLS)
    assert streamed.response == whole
    assert whole.raw == (OPENAI_TOOLS_WHOLE if model == OPENAI else ANTHROPIC_TOOLS_WHOLE)
    assert streamed.response.raw is None
    assert "stream" not in server.requests[-1].json()


def test_tool_call_reaches_the_caller_before_the_rest_of_the_response(
    server: LoopbackServer, mode: str
) -> None:
    # The server holds the stream for 0.6 s right after the frame that closes the first call:
    # its ToolCallDone must arrive before that pause ends.
    server.reset()
    pieces = frames(transcript("openai_chat_parallel_tool_calls.txt"))
    closing = next(i for i, p in enumerate(pieces) if b'c\\"}"' in p)
    play_openai(server, pieces, pauses={closing + 1: 0.6})
    result = Runner(mode, providers=providers(server)).stream(OPENAI, MESSAGES, tools=TOOLS)
    assert result.error is None
    done = [t for e, t in zip(result.events, result.times) if type(e).__name__ == "ToolCallDone"]
    assert result.times[-1] - done[0] >= 0.5
    assert done[1] - done[0] >= 0.5


def test_text_stream_and_reasoning(server: LoopbackServer, mode: str) -> None:
    server.reset()
    install(
        server,
        "/v1/chat/completions",
        auth=("authorization", f"Bearer {KEY}"),
        checks=openai_checks(),
        stream=frames(transcript("deepseek_reasoning.txt")),
    )
    result = Runner(mode, providers=providers(server)).stream("openai/deepseek-reasoner", MESSAGES)
    response = result.response
    assert response.text == "9.8 is larger than 9.11."
    assert response.reasoning.startswith("Okay, the user asks which is larger")
    assert response.usage.reasoning_tokens == 37
    assert response.finish_reason == "stop"


def test_closing_the_stream_closes_the_connection(server: LoopbackServer, mode: str) -> None:
    # The server would send the rest after 5 s; closing after two events must not wait for it.
    server.reset()
    pieces = frames(transcript("anthropic_tool_use.txt"))
    play_anthropic(server, pieces, pauses={4: 5.0})
    started = time.monotonic()
    result = Runner(mode, providers=providers(server)).stream(CLAUDE, MESSAGES, stop_after=2)
    assert len(result.events) == 2
    assert result.error is None
    assert result.response is None
    assert time.monotonic() - started < 3


def test_response_is_unavailable_before_the_end(server: LoopbackServer) -> None:
    server.reset()
    play_openai(server, frames(transcript("openai_chat_parallel_tool_calls.txt")))
    with Client(providers=providers(server)) as client:
        stream = client.stream(OPENAI, MESSAGES, tools=TOOLS)
        with pytest.raises(RuntimeError, match="not finished"):
            _ = stream.response
        first = next(stream)
        assert isinstance(first, fluent_ai.ToolCallStart)
        with pytest.raises(RuntimeError):
            _ = stream.response
        assert stream.collect().finish_reason == "tool_calls"
        stream.close()
        assert stream.response.finish_reason == "tool_calls"
        # A stream never iterated sends nothing.
        before = len(server.requests)
        client.stream(OPENAI, MESSAGES).close()
        assert len(server.requests) == before


def test_async_stream_iterated_without_context_manager(server: LoopbackServer) -> None:
    server.reset()
    play_anthropic(server, frames(transcript("anthropic_tool_use.txt")))

    async def run() -> list[object]:
        async with AsyncClient(providers=providers(server)) as client:
            stream = client.stream(CLAUDE, MESSAGES, tools=TOOLS)
            events = [event async for event in stream]
            assert (await stream.collect()).finish_reason == "tool_calls"
            return events

    events = asyncio.run(run())
    assert events == core_events("anthropic", transcript("anthropic_tool_use.txt"))


def test_a_server_that_ignores_stream_still_streams(server: LoopbackServer, mode: str) -> None:
    # Some servers answer a whole JSON response to stream: true; the events still come.
    server.reset()
    server.json("POST", "/v1/chat/completions", OPENAI_TOOLS_WHOLE)
    result = Runner(mode, providers=providers(server)).stream(OPENAI, MESSAGES, tools=TOOLS)
    assert result.error is None
    assert [c.name for c in result.of("ToolCallDone")] == ["GetWeatherArgs", "get_stock_price"]
    assert result.response.usage.total_tokens == 209


def test_thread_safe_client_shared_by_threads(server: LoopbackServer) -> None:
    server.reset()
    play_openai(server, chunked(transcript("openai_chat_parallel_tool_calls.txt"), 97))
    with Client(providers=providers(server)) as client:

        def one(_: int) -> object:
            with client.stream(OPENAI, MESSAGES, tools=TOOLS) as stream:
                return stream.collect()

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(one, range(24)))
    assert all(answer == answers[0] for answer in answers)
    assert len(answers[0].tool_calls) == 2


@pytest.mark.parametrize(("model", "play"), [(OPENAI, play_openai), (CLAUDE, play_anthropic)])
def test_multi_turn_tool_use_with_the_answer_message(
    server: LoopbackServer, mode: str, model: str, play: Any
) -> None:
    # The streamed answer goes back as the assistant turn, followed by one result per call;
    # the server checks the second request as the provider would.
    server.reset()
    name = "openai_chat_parallel_tool_calls.txt" if model == OPENAI else "anthropic_tool_use.txt"
    play(server, frames(transcript(name)))
    runner = Runner(mode, providers=providers(server))
    first = runner.stream(model, MESSAGES, tools=TOOLS).response
    turn = [*MESSAGES, first.message]
    turn += [{"role": "tool", "tool_call_id": c.id, "content": "21C"} for c in first.tool_calls]
    second = runner.chat(model, turn, tools=TOOLS)
    assert second.finish_reason == "tool_calls"
    sent = server.requests[-1].json()["messages"]
    if model == OPENAI:
        assert sent[1]["tool_calls"][1]["function"]["arguments"] == first.tool_calls[1].raw
        assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool"]
    else:
        assert sent[1]["content"][1]["input"] == {"location": "Paris"}
        assert sent[2]["content"][0]["type"] == "tool_result"


def test_pure_python_backend_runs_the_client(tmp_path: Any) -> None:
    # The same streamed chat with the pure-Python core (a process of its own: the backend is
    # chosen at import).
    script = tmp_path / "run.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from fake_providers import KEY, TOOLS, frames, transcript\n"
        "from loopback import LoopbackServer\n"
        "import fluent_ai, test_client_stream as t\n"
        "assert fluent_ai.backend().name == 'python'\n"
        "with LoopbackServer() as server:\n"
        "    t.play_anthropic(server, frames(transcript('anthropic_tool_use.txt')))\n"
        "    with fluent_ai.Client(providers=t.providers(server)) as client:\n"
        "        answer = client.stream(t.CLAUDE, t.MESSAGES, tools=TOOLS).collect()\n"
        "print(answer.tool_calls[0].arguments)\n"
    )
    env = {**os.environ, "FLUENT_AI_BACKEND": "python"}
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'location': 'Paris'}"
