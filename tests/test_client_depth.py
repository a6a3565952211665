"""Deeply nested JSON from a server, through Client and AsyncClient on a 256 KiB thread: a
typed error, never a RecursionError or a crash (the decoders' own limits are in
test_depth_limits.py)."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from client_helpers import Runner, mode, server  # noqa: F401
from depth_streams import ARGUMENT_DEPTH, DIALECTS, FRAME_DEPTH, arrays, on_small_stack
from loopback import LoopbackServer, Response

from fluent_ai import errors as e
from fluent_ai._json_text import MAX_LOADS_DEPTH, loads_bounded

KEY = "sk-test-depth"
DEEP = 100_000
MESSAGES = [{"role": "user", "content": "hi"}]


def providers(server: LoopbackServer) -> dict[str, dict[str, Any]]:
    return {"openai": {"base_url": server.url + "/v1", "api_key": KEY}}


def answer(server: LoopbackServer, status: int, body: str, stream: bool = False) -> None:
    server.reset()
    kind = "text/event-stream" if stream else "application/json"
    server.route(
        "POST", "/v1/chat/completions", Response(status, {"content-type": kind}, body.encode())
    )


def completion(message: str) -> str:
    """A chat completion whose message is the JSON text ``message``."""
    return (
        '{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":'
        + message
        + ',"finish_reason":"stop"}]}'
    )


def test_deep_answer_body_is_not_json(server: LoopbackServer, mode: str) -> None:
    answer(
        server, 200, completion('{"role":"assistant","content":"hi","pad":' + arrays(DEEP) + "}")
    )
    runner = Runner(mode, providers=providers(server), max_retries=0)
    with pytest.raises(e.APIError, match="is not JSON"):
        on_small_stack(lambda: runner.chat("openai/gpt-4o", MESSAGES))


def test_deep_error_body_is_still_its_status_error(server: LoopbackServer, mode: str) -> None:
    answer(server, 400, '{"error":{"message":' + arrays(DEEP) + "}}")
    runner = Runner(mode, providers=providers(server), max_retries=0)
    with pytest.raises(e.BadRequestError):
        on_small_stack(lambda: runner.chat("openai/gpt-4o", MESSAGES))


def test_deep_tool_arguments_in_an_answer_are_limit_exceeded(
    server: LoopbackServer, mode: str
) -> None:
    call = '{"id":"call_1","type":"function","function":{"name":"f","arguments":"%s"}}'
    message = (
        '{"role":"assistant","content":null,"tool_calls":['
        + call % arrays(ARGUMENT_DEPTH + 1)
        + "]}"
    )
    answer(server, 200, completion(message))
    runner = Runner(mode, providers=providers(server), max_retries=0)
    with pytest.raises(e.LimitExceeded) as caught:
        on_small_stack(lambda: runner.chat("openai/gpt-4o", MESSAGES))
    assert caught.value.limit == ARGUMENT_DEPTH


@pytest.mark.parametrize("depth", [FRAME_DEPTH, DEEP])
def test_deep_stream_frame_is_a_typed_error(server: LoopbackServer, mode: str, depth: int) -> None:
    built = DIALECTS["openai-chat"].text_stream(arrays(depth))
    answer(server, 200, built.data.decode(), stream=True)
    runner = Runner(mode, providers=providers(server), max_retries=0)
    result = on_small_stack(lambda: runner.stream("openai/gpt-4o", MESSAGES))
    assert isinstance(result.error, e.FluentAIError), repr(result.error)
    chain: list[BaseException] = [result.error]
    while chain[-1].__cause__ is not None:
        chain.append(chain[-1].__cause__)
    assert any(isinstance(error, e.LimitExceeded) for error in chain), repr(chain)


def test_loads_bounded_is_json_loads_up_to_its_limit() -> None:
    assert loads_bounded(arrays(MAX_LOADS_DEPTH)) == on_small_stack(
        lambda: loads_bounded(arrays(MAX_LOADS_DEPTH).encode())
    )
    assert loads_bounded('["[[[", {"]": "}"}]') == ["[[[", {"]": "}"}]
    assert loads_bounded('"' + "[" * 10_000 + '"') == "[" * 10_000
    for text in (arrays(MAX_LOADS_DEPTH + 1), "[" * 1_000_000, '["]", ' + "[" * 600):
        with pytest.raises(ValueError, match="nested deeper than 512"):
            on_small_stack(lambda text=text: loads_bounded(text))
