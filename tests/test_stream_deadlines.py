"""How stream limits are enforced (README, Clients: "Both clients enforce first_event/idle with
one watchdog thread"): no cancel scope or timer per read on a socket, a cancel scope per read
only where the transport exposes no socket, and the limits fire either way."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest
from fake_providers import KEY, SSE
from loopback import LoopbackServer, Response

from fluent_ai import AsyncClient, Timeout
from fluent_ai import errors as e
from fluent_ai._http import httpx

CHAT = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "Hi"}]
EVENTS = 200


def _body(events: int) -> list[bytes]:
    head = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    chunks = [
        f'data: {head}[{{"index":0,"delta":{{"content":"w{i} "}},"finish_reason":null}}]}}\n\n'
        for i in range(events)
    ]
    chunks.append(f'data: {head}[{{"index":0,"delta":{{}},"finish_reason":"stop"}}]}}\n\n')
    chunks.append("data: [DONE]\n\n")
    return [chunk.encode() for chunk in chunks]


@pytest.fixture
def scopes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every ``anyio.move_on_after`` made while the test runs."""
    made: list[Any] = []
    real = anyio.move_on_after

    def counting(*args: Any, **kwargs: Any) -> Any:
        made.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(anyio, "move_on_after", counting)
    return made


def _stream(client: AsyncClient, timeout: Timeout | None = None) -> str:
    async def run() -> str:
        async with client.stream("openai/gpt-4o", MESSAGES, timeout=timeout) as stream:
            text = [event.text async for event in stream if type(event).__name__ == "TextDelta"]
        await client.aclose()
        return "".join(text)

    return asyncio.run(run())


def test_no_cancel_scope_per_read_on_a_socket(scopes: list[Any]) -> None:
    with LoopbackServer() as server:
        server.route("POST", CHAT, Response(headers=SSE, body=_body(EVENTS)))
        providers = {"openai": {"base_url": server.url + "/v1", "api_key": KEY}}
        timeout = Timeout(first_event=5, idle=5, total=30)
        text = _stream(AsyncClient(providers=providers, timeout=timeout))
    assert text == "".join(f"w{i} " for i in range(EVENTS))
    assert len(scopes) <= 2  # the gate's wait for a connection, nothing per read


def test_a_transport_without_a_socket_gets_a_scope_per_read(scopes: list[Any]) -> None:
    body = b"".join(_body(EVENTS))

    def answer(_request: Any) -> Any:
        return httpx.Response(200, headers=SSE, content=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    providers = {"openai": {"base_url": "http://provider.test/v1", "api_key": KEY}}
    text = _stream(AsyncClient(providers=providers, http_client=http))
    assert text == "".join(f"w{i} " for i in range(EVENTS))
    assert len(scopes) >= 1  # each read bounded by a scope of its own


def test_a_late_event_on_a_socket_still_times_out() -> None:
    with LoopbackServer() as server:
        late = Response(headers=SSE, body=_body(5), pauses={3: 2.0})
        server.route("POST", CHAT, late)
        providers = {"openai": {"base_url": server.url + "/v1", "api_key": KEY}}
        client = AsyncClient(providers=providers, max_retries=0)
        with pytest.raises(e.StreamInterrupted, match="idle"):
            _stream(client, Timeout(first_event=5, idle=0.3, total=30))


def test_the_sync_watchdog_takes_its_lock_only_when_a_deadline_comes_earlier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Moving a read's alarm later (every read after an event) is an attribute write: the
    watchdog's lock is taken a bounded number of times per stream, not once or twice per read."""
    from fluent_ai import Client  # noqa: PLC0415
    from fluent_ai.resilience import WATCHDOG  # noqa: PLC0415

    armed: list[float] = []
    real = WATCHDOG.arm

    def counting(alarm: Any, deadline: float, reason: str) -> None:
        armed.append(deadline)
        real(alarm, deadline, reason)

    monkeypatch.setattr(WATCHDOG, "arm", counting)
    with LoopbackServer() as server:
        server.route("POST", CHAT, Response(headers=SSE, body=_body(EVENTS)))
        providers = {"openai": {"base_url": server.url + "/v1", "api_key": KEY}}
        timeout = Timeout(first_event=5, idle=5, total=30)
        with Client(providers=providers, timeout=timeout) as client:
            events = list(client.stream("openai/gpt-4o", MESSAGES))
    assert len([ev for ev in events if type(ev).__name__ == "TextDelta"]) == EVENTS
    assert 1 <= len(armed) <= 3
