"""The HTTP library (``fluent_ai._http``): fluent-ai runs on httpx2, shares one httpx2 pool
with the openai SDK, and also accepts an httpx (0.x) client, whose failures map to fluent-ai's
errors like httpx2's."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from typing import Any

import pytest
from fake_providers import KEY, SSE, frames, transcript
from loopback import LoopbackServer, Response

from fluent_ai import AsyncClient, Client, Timeout, ToolCallDone
from fluent_ai import errors as e
from fluent_ai._http import httpx

CHAT = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "Weather in Paris and Tokyo?"}]
STREAM = frames(transcript("openai_chat_parallel_tool_calls.txt"))
ON_HTTPX2 = sys.version_info >= (3, 11)
HAS_HTTPX1 = importlib.util.find_spec("httpx") is not None


@pytest.fixture
def server() -> Any:
    with LoopbackServer() as running:
        running.route("POST", CHAT, Response(headers=SSE, body=STREAM))
        yield running


def _providers(server: LoopbackServer) -> dict[str, dict[str, str]]:
    return {"openai": {"base_url": server.url + "/v1", "api_key": KEY}}


def _expected() -> tuple[str, list[tuple[str, Any]]]:
    """Text and (name, parsed arguments) per call, straight from the transcript's chunks."""
    text: list[str] = []
    calls: dict[int, list[str]] = {}
    for frame in STREAM:
        payload = frame.decode().strip().removeprefix("data: ")
        if not payload.startswith("{"):
            continue
        for choice in json.loads(payload).get("choices", []):
            text.append(choice["delta"].get("content") or "")
            for call in choice["delta"].get("tool_calls") or ():
                entry = calls.setdefault(call["index"], [call["function"].get("name"), ""])
                entry[1] += call["function"].get("arguments") or ""
    pairs = [(name, json.loads(args)) for name, args in calls.values()]
    return "".join(text), pairs


def _fluent_result(events: list[Any]) -> tuple[str, list[tuple[str, Any]]]:
    text = "".join(ev.text for ev in events if type(ev).__name__ == "TextDelta")
    return text, [(ev.name, ev.arguments) for ev in events if isinstance(ev, ToolCallDone)]


def _sdk_result(chunks: list[Any]) -> tuple[str, list[tuple[str, Any]]]:
    text: list[str] = []
    calls: dict[int, list[str]] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            text.append(choice.delta.content or "")
            for call in choice.delta.tool_calls or ():
                entry = calls.setdefault(call.index, [call.function.name, ""])
                entry[1] += call.function.arguments or ""
    return "".join(text), [(name, json.loads(args)) for name, args in calls.values()]


def test_fluent_ai_runs_on_httpx2() -> None:
    """httpx2 on CPython >= 3.11 (what the openai and anthropic SDKs use), httpx before."""
    assert httpx.__name__ == ("httpx2" if ON_HTTPX2 else "httpx")
    with Client() as client:
        assert type(client.http_client).__module__ == httpx.__name__


@pytest.mark.skipif(not ON_HTTPX2, reason="httpx2 and openai >= 3 need CPython >= 3.11")
def test_one_httpx2_pool_shared_with_the_openai_sdk(server: LoopbackServer) -> None:
    openai = pytest.importorskip("openai", minversion="3.0")
    addresses: list[Any] = []

    def connection(response: Any) -> None:
        stream = response.extensions["network_stream"]
        addresses.append(stream.get_extra_info("client_addr"))

    limits = httpx.Limits(max_connections=1)
    with httpx.Client(limits=limits, event_hooks={"response": [connection]}) as pool:
        sdk = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, http_client=pool)
        client = Client(http_client=pool, providers=_providers(server))
        for _ in range(2):
            with client.stream("openai/gpt-4o", MESSAGES) as stream:
                ours = _fluent_result(list(stream))
            theirs = _sdk_result(
                list(sdk.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
            )
            assert ours == theirs == _expected()
        client.close()
        assert not pool.is_closed  # the pool belongs to its owner
    # Four requests (two each) through the one pool of one connection: each SDK request went
    # out on the connection fluent-ai's request had just used and given back.
    assert len(addresses) == 4
    assert addresses[0] == addresses[1] and addresses[2] == addresses[3]
    assert server.count(CHAT) == 4


@pytest.mark.skipif(not ON_HTTPX2, reason="httpx2 and openai >= 3 need CPython >= 3.11")
def test_one_async_httpx2_pool_shared_with_the_openai_sdk(server: LoopbackServer) -> None:
    openai = pytest.importorskip("openai", minversion="3.0")

    async def run() -> list[Any]:
        addresses: list[Any] = []

        async def connection(response: Any) -> None:
            stream = response.extensions["network_stream"]
            addresses.append(stream.get_extra_info("client_addr"))

        limits = httpx.Limits(max_connections=1)
        hooks = {"response": [connection]}
        async with httpx.AsyncClient(limits=limits, event_hooks=hooks) as pool:
            sdk = openai.AsyncOpenAI(base_url=server.url + "/v1", api_key=KEY, http_client=pool)
            client = AsyncClient(http_client=pool, providers=_providers(server))
            async with client.stream("openai/gpt-4o", MESSAGES) as stream:
                ours = _fluent_result([event async for event in stream])
            created = await sdk.chat.completions.create(
                model="gpt-4o", messages=MESSAGES, stream=True
            )
            theirs = _sdk_result([chunk async for chunk in created])
            assert ours == theirs == _expected()
            await client.aclose()
        return addresses

    addresses = asyncio.run(run())
    assert len(addresses) == 2 and len(set(addresses)) == 1


@pytest.mark.skipif(not (ON_HTTPX2 and HAS_HTTPX1), reason="needs httpx2 and httpx installed")
def test_an_httpx_client_is_accepted(server: LoopbackServer) -> None:
    import httpx as httpx1  # noqa: PLC0415  (the other library, on purpose)

    assert httpx1 is not httpx
    with httpx1.Client() as http:
        client = Client(http_client=http, providers=_providers(server), max_retries=0)
        with client.stream("openai/gpt-4o", MESSAGES) as stream:
            assert _fluent_result(list(stream)) == _expected()
        # Its failures are fluent-ai's errors, not httpx's: a connection dropped mid-body...
        server.once("POST", CHAT, Response(headers=SSE, body=STREAM, disconnect_after=3))
        with (
            pytest.raises(e.StreamInterrupted) as interrupted,
            client.stream("openai/gpt-4o", MESSAGES) as stream,
        ):
            list(stream)
        assert isinstance(interrupted.value, e.ConnectionError)
        assert isinstance(interrupted.value.__cause__.__cause__, httpx1.TransportError)
        # ... and a late event (the idle limit, enforced at the socket).
        server.once("POST", CHAT, Response(headers=SSE, body=STREAM, pauses={3: 3.0}))
        timeout = Timeout(first_event=2, idle=0.3, total=10)
        with pytest.raises(e.StreamInterrupted, match="idle") as late:
            list(client.stream("openai/gpt-4o", MESSAGES, timeout=timeout))
        assert isinstance(late.value, e.TimeoutError)
        # ... and a server that is not there.
        gone = {"openai": {"base_url": "http://127.0.0.1:9/v1", "api_key": KEY}}
        with pytest.raises(e.ConnectionError):
            Client(http_client=http, providers=gone, max_retries=0).chat("openai/gpt-4o", MESSAGES)
        assert not http.is_closed


@pytest.mark.skipif(not (ON_HTTPX2 and HAS_HTTPX1), reason="needs httpx2 and httpx installed")
def test_an_async_httpx_client_is_accepted(server: LoopbackServer) -> None:
    import httpx as httpx1  # noqa: PLC0415  (the other library, on purpose)

    async def run() -> None:
        async with httpx1.AsyncClient() as http:
            client = AsyncClient(http_client=http, providers=_providers(server), max_retries=0)
            async with client.stream("openai/gpt-4o", MESSAGES) as stream:
                assert _fluent_result([event async for event in stream]) == _expected()
            server.once("POST", CHAT, Response(headers=SSE, body=STREAM, disconnect_after=3))
            with pytest.raises(e.StreamInterrupted) as interrupted:
                async with client.stream("openai/gpt-4o", MESSAGES) as stream:
                    async for _ in stream:
                        pass
            assert isinstance(interrupted.value, e.ConnectionError)

    asyncio.run(run())


def test_the_wrong_kind_of_client_is_refused() -> None:
    with httpx.Client() as sync_http, pytest.raises(e.ArgumentTypeError, match="http_client"):
        AsyncClient(http_client=sync_http)  # type: ignore[arg-type]
    with pytest.raises(e.ArgumentTypeError, match="http_client"):
        Client(http_client=object())  # type: ignore[arg-type]
