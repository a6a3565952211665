"""A call that does not fit a client method's or constructor's signature raises the library's
typed errors before anything is sent (issue 10, hardening): an unknown keyword is
``UnknownArgumentError`` naming it with the close matches; too many positional arguments, a
missing or a repeated one are ``ArgumentTypeError``. All are ``TypeError`` subclasses, so
``except TypeError`` still catches them."""

from __future__ import annotations

import asyncio
import inspect
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from loopback import LoopbackServer

import fluent_ai
from fluent_ai import AsyncClient, BreakerPolicy, Client, RateLimit, RetryPolicy, Timeout
from fluent_ai.errors import ArgumentTypeError, FluentAIError, UnknownArgumentError

MESSAGES = [{"role": "user", "content": "hi"}]
# The positional arguments that make each method's call otherwise valid.
CALLS: dict[str, tuple[Any, ...]] = {
    "chat": ("openai/m", MESSAGES),
    "stream": ("openai/m", MESSAGES),
    "embed": ("openai/m", ["a"]),
    "rerank": ("openai/m", "q", ["a"]),
    "list_models": ("openai",),
    "resolve_provider": ("openai",),
    "circuit_state": ("openai",),
}


def keywords(function: Any) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind in kinds and p.name != "self"
    ]


def misspelt(name: str) -> str:
    """A near miss of ``name`` (a letter dropped), as a user types it."""
    return name[:-1] if len(name) > 3 else name + "x"


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def settings(server: LoopbackServer) -> dict[str, Any]:
    return {"openai": {"base_url": server.url + "/v1", "api_key": "k"}}


def call_sync(client: Client, method: str, *args: Any, **kwargs: Any) -> None:
    result = getattr(client, method)(*args, **kwargs)
    if method == "stream":
        with result as stream:
            list(stream)


def call_async(client: AsyncClient, method: str, *args: Any, **kwargs: Any) -> None:
    async def run() -> None:
        result = getattr(client, method)(*args, **kwargs)
        if method == "stream":
            async with result as stream:
                async for _ in stream:
                    pass
        elif inspect.isawaitable(result):
            await result

    asyncio.run(run())


def check_unknown(info: pytest.ExceptionInfo[Any], wrong: str, right: str) -> None:
    error = info.value
    assert type(error) is UnknownArgumentError
    assert isinstance(error, TypeError) and isinstance(error, FluentAIError)
    assert error.argument == wrong
    assert right in error.valid
    assert error.suggestions and error.suggestions[0] == right, error
    assert f"did you mean {right!r}" in str(error)
    assert wrong not in error.valid


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("method", sorted(CALLS))
def test_misspelt_keyword_of_every_method(server: LoopbackServer, kind: str, method: str) -> None:
    cls = Client if kind == "sync" else AsyncClient
    run = call_sync if kind == "sync" else call_async
    names = keywords(getattr(cls, method))
    before = len(server.requests)
    for right in names:
        wrong = misspelt(right)
        if wrong in names:
            continue
        client = cls(providers=settings(server))
        args = CALLS[method][: len(CALLS[method])]
        kwargs = {}
        if right in keywords(getattr(cls, method))[: len(args)]:
            # A positional parameter given by a wrong keyword instead.
            position = names.index(right)
            kwargs = {wrong: args[position]}
            args = args[:position]
        else:
            kwargs = {wrong: None}
        with pytest.raises(TypeError) as info:
            run(client, method, *args, **kwargs)
        if right in names[: len(CALLS[method])]:
            # The positional one is missing too: Python's order, the unknown keyword first.
            assert isinstance(info.value, ArgumentTypeError)
        else:
            check_unknown(info, wrong, right)
    assert len(server.requests) == before, "a request was sent"


@pytest.mark.parametrize(
    "cls", [Client, AsyncClient, Timeout, RetryPolicy, BreakerPolicy, RateLimit]
)
def test_misspelt_constructor_keyword(cls: type) -> None:
    for right in keywords(cls):
        wrong = misspelt(right)
        with pytest.raises(UnknownArgumentError) as info:
            cls(**{wrong: 1})
        check_unknown(info, wrong, right)
    with pytest.raises(UnknownArgumentError) as info:
        cls(zzzz_not_a_setting=1)
    assert info.value.suggestions == []
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_positional_shape_errors(server: LoopbackServer, kind: str) -> None:
    cls = Client if kind == "sync" else AsyncClient
    run = call_sync if kind == "sync" else call_async
    client = cls(providers=settings(server))
    cases: list[tuple[tuple[Any, ...], dict[str, Any], str]] = [
        (("openai/m", MESSAGES, None), {}, "positional arguments"),
        (("openai/m",), {}, "messages"),
        ((), {"messages": MESSAGES}, "model"),
        (("openai/m", MESSAGES), {"model": "openai/x"}, "model"),
    ]
    for args, kwargs, argument in cases:
        with pytest.raises(ArgumentTypeError) as info:
            run(client, "chat", *args, **kwargs)
        assert type(info.value) is ArgumentTypeError
        assert info.value.argument == argument
        assert "chat()" in str(info.value)
    with pytest.raises(ArgumentTypeError) as info:
        cls(None)
    assert info.value.argument == "positional arguments"
    assert server.requests == [] or all(r.path != "/v1/chat/completions" for r in server.requests)


def test_signatures_and_coroutines_kept() -> None:
    """The guard keeps what introspection and type checkers see."""
    assert inspect.iscoroutinefunction(AsyncClient.chat)
    assert inspect.iscoroutinefunction(AsyncClient.embed)
    assert not inspect.iscoroutinefunction(AsyncClient.stream)
    assert "temperature" in inspect.signature(Client.chat).parameters
    assert "max_retries" in inspect.signature(Client).parameters
    assert Client.chat.__doc__ and Client.chat.__name__ == "chat"


def test_error_pickles_and_is_exported() -> None:
    error = UnknownArgumentError("Client.chat", "temprature", ["temperature"], ["temperature"])
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is UnknownArgumentError
    assert (again.argument, again.valid, again.suggestions, str(again)) == (
        error.argument,
        error.valid,
        error.suggestions,
        str(error),
    )
    assert fluent_ai.errors.UnknownArgumentError is UnknownArgumentError
