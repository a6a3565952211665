"""A ``ChatResponse`` is one answer (issue 10, hardening): asking for several choices
(``n`` > 1 in ``extra_body`` / ``extra``, Gemini's ``candidateCount``) is refused before
anything is sent, and when a server sends several choices anyway, the answer's text and tool
calls are choice 0's, never the choices joined (the others stay in ``raw``; a stream's events
still carry every choice, ``TextDelta.index`` naming it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import Runner, mode
from loopback import LoopbackServer, Response

from fluent_ai.errors import ArgumentTypeError, InvalidArgumentError

__all__ = ["mode"]

MESSAGES = [{"role": "user", "content": "x"}]
PATH = "/v1/chat/completions"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def runner(mode: str, server: LoopbackServer) -> Runner:
    return Runner(mode, providers={"openai": {"base_url": server.url + "/v1", "api_key": "k"}})


BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"extra_body": {"n": 3}}, InvalidArgumentError, "extra_body['n']"),
    ({"extra_body": {"n": 0}}, InvalidArgumentError, "extra_body['n']"),
    ({"extra": {"n": 2}}, InvalidArgumentError, "extra['n']"),
    ({"extra_body": {"n": True}}, ArgumentTypeError, "extra_body['n']"),
    ({"extra_body": {"n": "2"}}, ArgumentTypeError, "extra_body['n']"),
    ({"extra_body": {"n": 1.0}}, ArgumentTypeError, "extra_body['n']"),
    (
        {"extra_body": {"generationConfig": {"candidateCount": 2}}},
        InvalidArgumentError,
        "extra_body['generationConfig']['candidateCount']",
    ),
]


@pytest.mark.parametrize(("kwargs", "cls", "argument"), BAD, ids=[str(b[0]) for b in BAD])
def test_several_choices_refused_before_sending(
    mode: str, server: LoopbackServer, kwargs: dict[str, Any], cls: type, argument: str
) -> None:
    run = runner(mode, server)
    with pytest.raises(cls) as info:
        run.chat("openai/m", MESSAGES, **kwargs)
    assert info.value.argument == argument  # type: ignore[attr-defined]
    assert "one choice" in str(info.value)
    streamed = run.stream("openai/m", MESSAGES, **kwargs)
    assert isinstance(streamed.error, cls)
    assert server.requests == []


def answer(*texts: str) -> dict[str, Any]:
    choices = [
        {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
        for i, t in enumerate(texts)
    ]
    return {"id": "c", "model": "m", "choices": choices}


def test_n_one_is_sent(mode: str, server: LoopbackServer) -> None:
    server.json("POST", PATH, answer("only"))
    reply = runner(mode, server).chat("openai/m", MESSAGES, extra_body={"n": 1})
    assert reply.text == "only"
    assert server.requests[-1].json()["n"] == 1


def test_chat_answer_is_choice_zero(mode: str, server: LoopbackServer) -> None:
    body = answer("first", "second", "third")
    call = {"id": "call_b", "type": "function", "function": {"name": "g", "arguments": "{}"}}
    body["choices"][1]["message"]["tool_calls"] = [call]
    body["choices"].reverse()  # the order in the list is not the choice's index
    server.json("POST", PATH, body)
    reply = runner(mode, server).chat("openai/m", MESSAGES)
    assert reply.text == "first"
    assert reply.tool_calls == ()
    assert len(reply.raw["choices"]) == 3


def test_stream_answer_is_choice_zero(mode: str, server: LoopbackServer) -> None:
    chunks = [
        {"choices": [{"index": 0, "delta": {"content": "A"}}]},
        {"choices": [{"index": 1, "delta": {"content": "x"}}]},
        {"choices": [{"index": 0, "delta": {"content": "B"}, "finish_reason": "stop"}]},
        {"choices": [{"index": 1, "delta": {"content": "y"}, "finish_reason": "stop"}]},
    ]
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    sse = Response(body=body + b"data: [DONE]\n\n", headers={"content-type": "text/event-stream"})
    server.route("POST", PATH, lambda request: sse)
    streamed = runner(mode, server).stream("openai/m", MESSAGES)
    assert streamed.error is None
    deltas = [(e.index, e.text) for e in streamed.of("TextDelta")]
    assert deltas == [(0, "A"), (1, "x"), (0, "B"), (1, "y")]
    assert streamed.response.text == "AB"
