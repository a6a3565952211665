"""Wrong arguments beyond ``test_arguments``'s table: each is a typed error (a ``FluentAIError``
that is also ``TypeError``/``ValueError``) naming the argument, raised before anything is sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from hostile_server import HostileServer, Seen, response

from fluent_ai import AsyncClient, Client, auth, errors

MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize("api", ["chat", "stream"])
@pytest.mark.parametrize("value", [True, False, None])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_extra_cannot_set_stream(kind: str, api: str, value: Any) -> None:
    # A stream answer to chat() (or a whole one to stream()) would be billed, then not
    # understood.
    seen: list[Seen] = []

    def answer(request: Seen) -> list[Any]:
        seen.append(request)
        return [response(500, b"{}")]

    with HostileServer(answer) as server:
        options: dict[str, Any] = {
            "providers": {"openai": {"base_url": server.url, "api_key": "sk-x"}},
            "retry": None,
        }
        extra = {"stream": value, "user": "u"}
        with pytest.raises(errors.InvalidArgumentError) as caught:
            if kind == "sync":
                client = Client(**options)
                if api == "chat":
                    client.chat("openai/gpt-4o", MESSAGES, extra=extra)
                else:
                    client.stream("openai/gpt-4o", MESSAGES, extra=extra).collect()
            else:

                async def run() -> None:
                    async with AsyncClient(**options) as client:
                        if api == "chat":
                            await client.chat("openai/gpt-4o", MESSAGES, extra=extra)
                        else:
                            await client.stream("openai/gpt-4o", MESSAGES, extra=extra).collect()

                asyncio.run(run())
        assert seen == []
    assert isinstance(caught.value, ValueError)
    assert caught.value.argument == "extra['stream']"


AWS_CALLS: dict[str, tuple[Callable[[], Any], str, type[Exception]]] = {
    "region-int": (lambda: auth.resolve_region(5), "region", TypeError),
    "region-empty": (lambda: auth.resolve_region(""), "region", ValueError),
    "region-profile-int": (lambda: auth.resolve_region(None, profile=3), "profile", TypeError),
    "region-environ-list": (lambda: auth.resolve_region(None, environ=[1]), "environ", TypeError),
    "profile-int": (lambda: auth.profile_name(5), "profile", TypeError),
    "profile-bytes": (lambda: auth.profile_name(b"dev"), "profile", TypeError),
    "credentials-key-int": (lambda: auth.resolve_credentials(5, "s"), "access_key_id", TypeError),
    "credentials-secret-bytes": (
        lambda: auth.resolve_credentials("AKID", b"canary-secret-value"),
        "secret_access_key",
        TypeError,
    ),
    "credentials-token-int": (
        lambda: auth.resolve_credentials("AKID", "s", 7),
        "session_token",
        TypeError,
    ),
    "credentials-profile-list": (
        lambda: auth.resolve_credentials(profile=["dev"]),
        "profile",
        TypeError,
    ),
}


@pytest.mark.parametrize("case", sorted(AWS_CALLS))
def test_aws_helpers_check_their_arguments(case: str) -> None:
    call, argument, kind = AWS_CALLS[case]
    with pytest.raises(errors.FluentAIError) as caught:
        call()
    assert isinstance(caught.value, kind)
    assert caught.value.argument == argument  # type: ignore[attr-defined]
    assert "canary-secret-value" not in str(caught.value)  # a secret's value is never shown


@pytest.mark.parametrize("api", ["chat", "stream", "embed", "rerank", "list_models"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_closed_client_raises_a_typed_error_and_sends_nothing(kind: str, api: str) -> None:
    # It was httpx's bare RuntimeError ("Cannot send a request, as the client has been
    # closed").
    seen: list[Seen] = []

    def answer(request: Seen) -> list[Any]:
        seen.append(request)
        return [response(500, b"{}")]

    def calls(client: Any) -> Any:
        if api == "chat":
            return client.chat("openai/gpt-4o", MESSAGES)
        if api == "stream":
            return client.stream("openai/gpt-4o", MESSAGES).collect()
        if api == "embed":
            return client.embed("openai/text-embedding-3-small", ["a"])
        if api == "rerank":
            return client.rerank("cohere/rerank-v3.5", "q", ["a"])
        return client.list_models("openai")

    with HostileServer(answer) as server:
        settings = {
            "openai": {"base_url": server.url, "api_key": "sk-x"},
            "cohere": {"base_url": server.url, "api_key": "sk-x"},
        }
        with pytest.raises(errors.ClientClosedError) as caught:
            if kind == "sync":
                with Client(providers=settings) as client:
                    pass
                calls(client)
            else:

                async def run() -> None:
                    async with AsyncClient(providers=settings) as client:
                        pass
                    await calls(client)

                asyncio.run(run())
        assert seen == []
    assert isinstance(caught.value, RuntimeError)
