"""A sweep of wrong types and values into every public constructor and method (issue 10,
hardening): every call either works or raises a documented library exception
(``FluentAIError``), never an internal ``AttributeError`` / ``KeyError`` / ``IndexError`` /
``OverflowError`` / bare ``TypeError`` / ``UnicodeEncodeError``, and a refused call sends
nothing (a loopback server counts the requests). Values come from hypothesis: junk of every
type, including huge ints (beyond float range and past CPython's 4300-digit limit), NaN,
infinities, lone surrogates, subclasses of the builtins, objects that are not JSON."""

from __future__ import annotations

import asyncio
import inspect
import math
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any, Callable

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback import LoopbackServer

import fluent_ai
from fluent_ai import _core, _purepy
from fluent_ai.errors import FluentAIError, InvalidArgumentError

# More examples on demand (``FLUENT_AI_SWEEP_EXAMPLES=500``); CI keeps the sweep cheap.
SETTINGS = settings(
    max_examples=int(os.environ.get("FLUENT_AI_SWEEP_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
MESSAGES = [{"role": "user", "content": "x"}]


class StrSub(str):
    pass


class IntSub(int):
    pass


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**400, -(10**30)]),
    # Past CPython's 4300-digit limit (built lazily: hypothesis prints its strategies).
    st.builds(lambda: 10**5000),
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, 5e-324]),
    st.text(max_size=8),
    st.sampled_from(["", " ", "\x00", "\ud800", "a\udfffb", "x" * 5000]),
    st.binary(max_size=8),
    st.sampled_from([StrSub("x"), IntSub(3), 1j, object(), type, Ellipsis, bytearray(b"x")]),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), inner, max_size=3),
        st.tuples(inner),
        st.frozensets(st.integers(), max_size=2),
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        running.json(
            "POST",
            "/v1/chat/completions",
            {"choices": [{"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}]},
        )
        yield running


def outcome(call: Callable[[], Any]) -> BaseException | None:
    """What ``call`` raised (``None`` when it worked); anything not documented fails here."""
    try:
        result = call()
        if inspect.iscoroutine(result):
            asyncio.run(result)
    except FluentAIError as error:
        return error
    return None


def refused_before_sending(server: LoopbackServer, call: Callable[[], Any]) -> None:
    before = len(server.requests)
    error = outcome(call)
    if isinstance(error, InvalidArgumentError):
        assert len(server.requests) == before, f"sent before refusing: {error!r}"


def settings_for(server: LoopbackServer) -> dict[str, Any]:
    return {"openai": {"base_url": server.url + "/v1", "api_key": "k"}}


CONSTRUCTOR_KEYWORDS = [
    "http_client",
    "timeout",
    "max_retries",
    "metrics",
    "providers",
    "retry",
    "breaker",
    "rate_limit",
]


@SETTINGS
@given(keyword=st.sampled_from(CONSTRUCTOR_KEYWORDS), value=JUNK)
def test_client_constructors(keyword: str, value: Any) -> None:
    for cls in (fluent_ai.Client, fluent_ai.AsyncClient):
        outcome(lambda cls=cls: cls(**{keyword: value}))


@SETTINGS
@given(
    setting=st.sampled_from(["base_url", "api_key", "headers", "dialect", "auth", "api_key_env"]),
    value=JUNK,
)
def test_provider_settings(setting: str, value: Any) -> None:
    outcome(lambda: fluent_ai.Client(providers={"openai": {"api_key": "k", setting: value}}))


POLICIES = [fluent_ai.Timeout, fluent_ai.RetryPolicy, fluent_ai.BreakerPolicy, fluent_ai.RateLimit]


@SETTINGS
@given(policy=st.sampled_from(POLICIES), data=st.data())
def test_policies(policy: type, data: st.DataObject) -> None:
    keyword = data.draw(st.sampled_from(list(inspect.signature(policy).parameters)))
    values = {"requests_per_second": 1.0} if policy is fluent_ai.RateLimit else {}
    values[keyword] = data.draw(JUNK)
    outcome(lambda: policy(**values))


# Each method with the arguments that make its call valid; one of them is replaced by junk.
METHODS: dict[str, tuple[Any, ...]] = {
    "chat": ("openai/m", MESSAGES),
    "stream": ("openai/m", MESSAGES),
    "embed": ("openai/m", ["a"]),
    "rerank": ("openai/m", "q", ["a"]),
    "list_models": ("openai",),
    "resolve_provider": ("openai",),
    "circuit_state": ("openai",),
}


def read(result: Any) -> Any:
    if isinstance(result, fluent_ai.ChatStream):
        with result as stream:
            return list(stream)
    return result


@SETTINGS
@given(method=st.sampled_from(sorted(METHODS)), data=st.data())
def test_client_methods(server: LoopbackServer, method: str, data: st.DataObject) -> None:
    names = [p for p in inspect.signature(getattr(fluent_ai.Client, method)).parameters]
    names.remove("self")
    name = data.draw(st.sampled_from(names))
    value = data.draw(JUNK)
    args: list[Any] = list(METHODS[method])
    kwargs: dict[str, Any] = {}
    if names.index(name) < len(args):
        args[names.index(name)] = value
    else:
        kwargs[name] = value
    with fluent_ai.Client(providers=settings_for(server), max_retries=0) as client:
        refused_before_sending(server, lambda: read(getattr(client, method)(*args, **kwargs)))


def message_shapes(junk: Any) -> list[list[Any]]:
    return [
        [{"role": "user", "content": junk}],
        [{"role": junk, "content": "x"}],
        [{"role": "user", "content": [junk]}],
        [{"role": "user", "content": [{"type": "text", "text": junk}]}],
        [{"role": "user", "content": [{"type": "image_url", "image_url": junk}]}],
        [{"role": "assistant", "content": None, "tool_calls": junk}],
        [{"role": "assistant", "content": None, "tool_calls": [{"id": "a", "function": junk}]}],
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": junk}}],
            }
        ],
        [{"role": "tool", "tool_call_id": junk, "content": "x"}],
        [{"role": "user", "content": "x", "name": junk}],
        [junk],
    ]


def tool_shapes(junk: Any) -> list[Any]:
    return [
        [junk],
        [{"type": junk}],
        [{"type": "function", "function": junk}],
        [{"type": "function", "function": {"name": junk}}],
        [{"type": "function", "function": {"name": "f", "parameters": junk}}],
        [{"type": "function", "function": {"name": "f", "description": junk}}],
    ]


@SETTINGS
@given(provider=st.sampled_from(["openai", "anthropic", "gemini", "cohere", "ollama"]), junk=JUNK)
def test_message_and_tool_shapes(server: LoopbackServer, provider: str, junk: Any) -> None:
    providers = {provider: {"base_url": server.url + "/v1", "api_key": "k"}}
    model = f"{provider}/m"
    with fluent_ai.Client(providers=providers, max_retries=0) as client:
        for messages in message_shapes(junk):
            refused_before_sending(server, lambda m=messages: client.chat(model, m))
        for tools in tool_shapes(junk):
            refused_before_sending(server, lambda t=tools: client.chat(model, MESSAGES, tools=t))
        refused_before_sending(server, lambda: client.chat(model, MESSAGES, tool_choice=junk))


def core_calls(module: ModuleType, junk: Any) -> list[Callable[[], Any]]:
    return [
        lambda: module.StreamDecoder(junk),
        lambda: module.StreamDecoder("openai-chat", metrics=junk),
        lambda: module.StreamDecoder("openai-chat").feed(junk),
        lambda: module.StreamDecoder("bedrock").feed(junk),
        lambda: module.StreamDecoder("openai-chat").finish(clean=junk),
        lambda: module.SseDecoder(max_event_bytes=junk),
        lambda: module.SseDecoder().feed(junk),
        lambda: module.NdjsonDecoder(max_line_bytes=junk),
        lambda: module.NdjsonDecoder().feed(junk),
        lambda: module.EventStreamDecoder(max_message_bytes=junk),
        lambda: module.EventStreamDecoder().feed(junk),
        lambda: module.JsonStream(max_depth=junk),
        lambda: module.JsonStream(max_bytes=junk),
        lambda: module.JsonStream().feed(junk),
        lambda: module.ToolCallAssembler(max_calls=junk),
        lambda: module.ToolCallAssembler(max_argument_bytes=junk),
        lambda: module.ToolCallAssembler().add(junk, "id", "f", "{}"),
        lambda: module.ToolCallAssembler().add(0, junk, "f", "{}"),
        lambda: module.ToolCallAssembler().add(0, "id", junk, "{}"),
        lambda: module.ToolCallAssembler().add(0, "id", "f", junk),
        lambda: module.ToolCallAssembler().add(0, "id", "f", {"k": junk}),
        lambda: module.Metrics(max_series=junk),
        lambda: module.Metrics().inc(junk),
        lambda: module.Metrics().inc("x", junk),
        lambda: module.Metrics().observe("x", junk),
        lambda: module.Metrics().gauge_add("x", junk),
        lambda: module.Metrics().inc("x", 1, label=junk),
        lambda: module.CircuitBreaker(failure_threshold=junk),
        lambda: module.CircuitBreaker(recovery_time=junk),
        lambda: module.CircuitBreaker(half_open_max_calls=junk),
        lambda: module.CircuitBreaker(clock=junk),
        lambda: module.TextDelta(junk),
        lambda: module.Usage(junk, junk),
        lambda: module.Finish(junk, None),
        lambda: module.Finish("stop", junk),
        lambda: module.ToolCallDone(junk, "id", "f", {}, "{}"),
    ]


@SETTINGS
@given(junk=JUNK)
def test_core_classes(junk: Any) -> None:
    for module in (_purepy, *([_core] if fluent_ai.backend().name == "native" else [])):
        for call in core_calls(module, junk):
            outcome(call)


@SETTINGS
@given(junk=JUNK, which=st.sampled_from(["get", "find", "cost", "providers"]))
def test_catalog_functions(junk: Any, which: str) -> None:
    catalog = fluent_ai.catalog
    function = getattr(catalog, which)
    names = list(inspect.signature(function).parameters)
    for name in names:
        kwargs: dict[str, Any] = {"model": "openai/gpt-4.1"} if "model" in names else {}
        if which == "cost":
            kwargs["usage"] = fluent_ai.Usage(1, 1)
        kwargs[name] = junk
        outcome(lambda kwargs=kwargs: function(**kwargs))


# Values that used to end in an internal error (found by this sweep): each is a documented
# error now, before anything is sent.
REGRESSIONS: list[tuple[str, dict[str, Any]]] = [
    ("chat", {"temperature": 10**400}),
    ("chat", {"max_tokens": 10**5000}),
    ("chat", {"timeout": 10**400}),
    ("chat", {"timeout": 1e300}),
    ("chat", {"top_p": -(10**400)}),
    ("embed", {"dimensions": 10**5000}),
    ("embed", {"inputs": ["a\ud800"]}),
    ("rerank", {"query": "\ud800"}),
    ("rerank", {"documents": ["\udfff"]}),
    ("rerank", {"top_n": 2**64}),
]


@pytest.mark.parametrize(
    ("method", "kwargs"),
    REGRESSIONS,
    ids=[f"{m}-{k}" for m, k in ((r[0], next(iter(r[1]))) for r in REGRESSIONS)],
)
def test_found_regressions(server: LoopbackServer, method: str, kwargs: dict[str, Any]) -> None:
    defaults = dict(zip(["model", "messages"], METHODS["chat"]))
    if method == "embed":
        defaults = {"model": "openai/m", "inputs": ["a"]}
    if method == "rerank":
        defaults = {"model": "openai/m", "query": "q", "documents": ["a"]}
    before = len(server.requests)
    client = fluent_ai.Client(providers=settings_for(server), max_retries=0)
    with client, pytest.raises(InvalidArgumentError):
        getattr(client, method)(**{**defaults, **kwargs})
    assert len(server.requests) == before


@pytest.mark.parametrize(
    "make",
    [
        lambda: fluent_ai.Timeout(total=10**400),
        lambda: fluent_ai.Timeout(connect=1e12),
        lambda: fluent_ai.RetryPolicy(backoff_max=10**400),
        lambda: fluent_ai.BreakerPolicy(recovery_time=10**400),
        lambda: fluent_ai.RateLimit(1e-300),
        lambda: fluent_ai.RateLimit(1.0, burst=10**30),
        lambda: fluent_ai.Client(timeout=1e300),
        lambda: fluent_ai.catalog.find(min_context=10**400),
    ],
)
def test_found_policy_regressions(make: Callable[[], Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        make()


def test_found_core_regressions(core: ModuleType) -> None:
    for call, argument in [
        (lambda: core.StreamDecoder("\ud800"), "dialect"),
        (lambda: core.ToolCallAssembler().add(0, "\ud800", "f", "{}"), "id"),
        (lambda: core.ToolCallAssembler().add(0, "a", "\udfff", "{}"), "name"),
        (lambda: core.ToolCallAssembler().add(0, "a", "f", {"k": object()}), "arguments"),
        (lambda: core.Metrics().inc("\ud800"), "name"),
        (lambda: core.Metrics().inc("x", provider="\ud800"), "provider"),
        (lambda: core.CircuitBreaker(recovery_time=10**400), "recovery_time"),
    ]:
        with pytest.raises(InvalidArgumentError) as info:
            call()
        assert info.value.argument == argument


def test_sweep_client_is_not_httpx_default() -> None:
    """The sweep's junk includes an ``httpx.Client`` where an ``AsyncClient`` is wanted."""
    with httpx.Client() as http, pytest.raises(InvalidArgumentError):
        fluent_ai.AsyncClient(http_client=http)  # type: ignore[arg-type]
