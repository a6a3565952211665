"""Every public entry point checks its arguments before anything is sent.

A table of wrong-typed and wrong-valued arguments, each run against the real clients (sync and
async; ``chat`` and a fully read ``stream``) pointed at a loopback server that answers every
request. Each case must raise exactly the class the table names (``ArgumentTypeError`` for a
wrong type, ``InvalidArgumentError`` for a wrong value, or a more specific typed error), whose
message names the argument, and the server must have received nothing.

``python tests/test_arguments.py`` prints how many cases end well, in an internal error (an
exception that is not a ``FluentAIError``), silently accepted, or sent to the server: the
measure of the issue ("64 internal, 13 silent" before the checks existed).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from loopback import LoopbackServer, json_response

from fluent_ai import (
    AsyncClient,
    BreakerPolicy,
    Client,
    RateLimit,
    RetryPolicy,
    Timeout,
    _core,
    _purepy,
    catalog,
)
from fluent_ai import errors as e
from fluent_ai._http import httpx
from fluent_ai.providers.registry import PROVIDERS

KEY = "sk-args-canary-5e1d0c7b"
NAN = math.nan
INF = math.inf
USER = [{"role": "user", "content": "Hi"}]
T = e.ArgumentTypeError
V = e.InvalidArgumentError


@dataclass
class Case:
    """One bad call: ``kind`` says which entry point, ``args``/``kwargs`` what it gets;
    ``error`` is the exact class expected and ``names`` the text the message must contain."""

    id: str
    kind: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    error: type[BaseException] = V
    names: str = ""


def _chat(id: str, error: type[BaseException], names: str, *args: Any, **kwargs: Any) -> Case:
    """A chat/stream case: ``args`` replace (model, messages) from the left."""
    full = (*args, *("openai/m", USER)[len(args) :])
    return Case(id, "chat", full, kwargs, error, names)


def _function(name: str, **function: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, **function}}


CHAT_CASES = [
    # model
    _chat("model-None", T, "model", None),
    _chat("model-int", T, "model", 123),
    _chat("model-bytes", T, "model", b"openai/m"),
    _chat("model-list", T, "model", ["openai/m"]),
    _chat("model-no-provider", V, "model", "gpt-4o"),
    _chat("model-empty", V, "model", ""),
    _chat("model-empty-id", V, "model", "openai/"),
    _chat("model-empty-provider", V, "model", "/m"),
    _chat("model-spaces", V, "model", " openai/m"),
    # messages
    _chat("messages-str", T, "messages", "openai/m", "hello"),
    _chat("messages-None", T, "messages", "openai/m", None),
    _chat("messages-int", T, "messages", "openai/m", 5),
    _chat("messages-bytes", T, "messages", "openai/m", b"hello"),
    _chat("messages-dict", T, "messages", "openai/m", {"role": "user", "content": "x"}),
    _chat("messages-empty", V, "messages", "openai/m", []),
    _chat("messages-set", T, "messages", "openai/m", {"a"}),
    _chat("message-str", T, "messages[0]", "openai/m", ["hello"]),
    _chat("message-None", T, "messages[0]", "openai/m", [None]),
    _chat("message-list", T, "messages[1]", "openai/m", [*USER, [("role", "user")]]),
    _chat("role-missing", T, "messages[0]['role']", "openai/m", [{"content": "x"}]),
    _chat(
        "role-unknown", V, "messages[0]['role']", "openai/m", [{"role": "robot", "content": "x"}]
    ),
    _chat("role-int", T, "messages[0]['role']", "openai/m", [{"role": 5, "content": "x"}]),
    _chat("role-upper", V, "messages[0]['role']", "openai/m", [{"role": "User", "content": "x"}]),
    _chat("content-missing", T, "messages[0]['content']", "openai/m", [{"role": "user"}]),
    _chat("content-int", T, "messages[0]['content']", "openai/m", [{"role": "user", "content": 5}]),
    _chat(
        "content-dict", T, "['content']", "openai/m", [{"role": "user", "content": {"text": "x"}}]
    ),
    _chat("content-bytes", T, "['content']", "openai/m", [{"role": "user", "content": b"x"}]),
    _chat(
        "system-None", T, "['content']", "openai/m", [{"role": "system", "content": None}, *USER]
    ),
    _chat("part-int", T, "['content'][0]", "openai/m", [{"role": "user", "content": [5]}]),
    _chat(
        "part-no-type",
        T,
        "['content'][0]['type']",
        "openai/m",
        [{"role": "user", "content": [{"text": "x"}]}],
    ),
    _chat(
        "part-text-int",
        T,
        "['content'][0]['text']",
        "openai/m",
        [{"role": "user", "content": [{"type": "text", "text": 5}]}],
    ),
    _chat(
        "part-image-int",
        T,
        "['image_url']['url']",
        "openai/m",
        [{"role": "user", "content": [{"type": "image_url", "image_url": 5}]}],
    ),
    _chat(
        "part-image-empty",
        V,
        "['image_url']['url']",
        "openai/m",
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": ""}}]}],
    ),
    _chat(
        "tool-no-id",
        T,
        "messages[0]['tool_call_id']",
        "openai/m",
        [{"role": "tool", "content": "x"}],
    ),
    _chat(
        "tool-id-int",
        T,
        "['tool_call_id']",
        "openai/m",
        [{"role": "tool", "tool_call_id": 5, "content": "x"}],
    ),
    _chat(
        "tool-content-None",
        T,
        "['content']",
        "openai/m",
        [{"role": "tool", "tool_call_id": "a", "content": None}],
    ),
    _chat(
        "calls-str",
        T,
        "['tool_calls']",
        "openai/m",
        [*USER, {"role": "assistant", "tool_calls": "x"}],
    ),
    _chat(
        "call-int",
        T,
        "['tool_calls'][0]",
        "openai/m",
        [*USER, {"role": "assistant", "tool_calls": [5]}],
    ),
    _chat(
        "call-function-int",
        T,
        "['tool_calls'][0]['function']",
        "openai/m",
        [*USER, {"role": "assistant", "tool_calls": [{"id": "a", "function": 5}]}],
    ),
    _chat(
        "call-name-int",
        T,
        "['function']['name']",
        "openai/m",
        [*USER, {"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": 5}}]}],
    ),
    _chat(
        "call-args-int",
        T,
        "['function']['arguments']",
        "openai/m",
        [
            *USER,
            {
                "role": "assistant",
                "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": 5}}],
            },
        ],
    ),
    _chat(
        "call-id-int",
        T,
        "['tool_calls'][0]['id']",
        "openai/m",
        [*USER, {"role": "assistant", "tool_calls": [{"id": 5, "function": {"name": "f"}}]}],
    ),
    _chat(
        "assistant-nothing", T, "messages[1]['content']", "openai/m", [*USER, {"role": "assistant"}]
    ),
    _chat(
        "name-int",
        T,
        "messages[0]['name']",
        "openai/m",
        [{"role": "user", "content": "x", "name": 5}],
    ),
    _chat("content-surrogate", V, "messages", "openai/m", [{"role": "user", "content": "a\ud800"}]),
    _chat("message-object", V, "messages", "openai/m", [{**USER[0], "cache": object()}]),
    _chat("message-nan", V, "messages", "openai/m", [{**USER[0], "weight": NAN}]),
    _chat("extra-object", V, "extra", extra={"top_p": object()}),
    _chat("extra-nan", V, "extra", extra={"top_p": NAN}),
    _chat("extra-inf", V, "extra", extra={"seed": INF}),
    _chat("tool-params-set", V, "tools", tools=[_function("f", parameters={"enum": {1, 2}})]),
    _chat("format-bytes", V, "response_format", response_format={"type": "json_schema", "s": b""}),
    # tools and tool_choice
    _chat("tools-str", T, "tools", tools="get_weather"),
    _chat("tools-dict", T, "tools", tools=_function("f")),
    _chat("tools-int", T, "tools", tools=5),
    _chat("tool-int", T, "tools[0]", tools=[5]),
    _chat("tool-no-type", T, "tools[0]['type']", tools=[{"function": {"name": "f"}}]),
    _chat("tool-no-function", T, "tools[0]['function']", tools=[{"type": "function"}]),
    _chat("tool-name-int", T, "tools[0]['function']['name']", tools=[_function(5)]),
    _chat("tool-name-empty", V, "tools[0]['function']['name']", tools=[_function("")]),
    _chat("tool-params-str", T, "['parameters']", tools=[_function("f", parameters="{}")]),
    _chat("tool-description-int", T, "['description']", tools=[_function("f", description=5)]),
    _chat("tool-second-bad", T, "tools[1]", tools=[_function("f"), None]),
    _chat("choice-int", T, "tool_choice", tool_choice=5),
    _chat("choice-word", V, "tool_choice", tool_choice="sometimes"),
    _chat("choice-no-function", T, "tool_choice['function']", tool_choice={"type": "function"}),
    _chat("choice-type-int", T, "tool_choice['type']", tool_choice={"type": 5}),
    _chat(
        "choice-name-int",
        T,
        "tool_choice['function']['name']",
        tool_choice={"type": "function", "function": {"name": 5}},
    ),
    _chat("choice-list", T, "tool_choice", tool_choice=["auto"]),
    # max_tokens, temperature
    _chat("max_tokens-0", V, "max_tokens", max_tokens=0),
    _chat("max_tokens-negative", V, "max_tokens", max_tokens=-1),
    _chat("max_tokens-bool", T, "max_tokens", max_tokens=True),
    _chat("max_tokens-float", T, "max_tokens", max_tokens=2.5),
    _chat("max_tokens-str", T, "max_tokens", max_tokens="10"),
    _chat("max_tokens-nan", T, "max_tokens", max_tokens=NAN),
    _chat("temperature-str", T, "temperature", temperature="hot"),
    _chat("temperature-bool", T, "temperature", temperature=True),
    _chat("temperature-negative", V, "temperature", temperature=-0.1),
    _chat("temperature-high", V, "temperature", temperature=2.5),
    _chat("temperature-nan", V, "temperature", temperature=NAN),
    _chat("temperature-inf", V, "temperature", temperature=INF),
    # response_format, extra
    _chat("format-str", T, "response_format", response_format="json"),
    _chat("format-type-int", T, "response_format['type']", response_format={"type": 5}),
    _chat("format-no-type", T, "response_format['type']", response_format={}),
    _chat("extra-str", T, "extra", extra="top_p=1"),
    _chat("extra-int-key", T, "extra", extra={1: 2}),
    # timeout
    _chat("timeout-bool", T, "timeout", timeout=True),
    _chat("timeout-str", T, "timeout", timeout="10"),
    _chat("timeout-negative", V, "timeout", timeout=-1),
    _chat("timeout-zero", V, "timeout", timeout=0),
    _chat("timeout-nan", V, "timeout", timeout=NAN),
    _chat("timeout-inf", V, "timeout", timeout=INF),
    _chat("timeout-list", T, "timeout", timeout=[5]),
    _chat("timeout-dict", T, "timeout", timeout={"total": 5}),
    # providers resolved at call time
    _chat("provider-unknown", e.UnknownProviderError, "nosuch", "nosuch/m"),
]


def _embed(id: str, error: type[BaseException], names: str, *args: Any, **kwargs: Any) -> Case:
    full = (*args, *("openai/e", ["a"])[len(args) :])
    return Case(id, "embed", full, kwargs, error, names)


def _rerank(id: str, error: type[BaseException], names: str, *args: Any, **kwargs: Any) -> Case:
    full = (*args, *("cohere/r", "q", ["a", "b"])[len(args) :])
    return Case(id, "rerank", full, kwargs, error, names)


METHOD_CASES = [
    _embed("embed-model-None", T, "model", None),
    _embed("embed-model-plain", V, "model", "text-embedding-3-small"),
    _embed("embed-inputs-int", T, "inputs", "openai/e", 5),
    _embed("embed-inputs-None", T, "inputs", "openai/e", None),
    _embed("embed-inputs-bytes", T, "inputs", "openai/e", b"x"),
    _embed("embed-inputs-dict", T, "inputs", "openai/e", {"a": 1}),
    _embed("embed-inputs-empty", V, "inputs", "openai/e", []),
    _embed("embed-input-int", T, "inputs[1]", "openai/e", ["a", 1]),
    _embed("embed-dimensions-0", V, "dimensions", dimensions=0),
    _embed("embed-dimensions-bool", T, "dimensions", dimensions=True),
    _embed("embed-dimensions-float", T, "dimensions", dimensions=1.5),
    _embed("embed-dimensions-str", T, "dimensions", dimensions="5"),
    _embed("embed-input_type-int", T, "input_type", input_type=5),
    _embed("embed-timeout-bool", T, "timeout", timeout=True),
    _embed("embed-timeout-str", T, "timeout", timeout="10"),
    _embed("embed-timeout-negative", V, "timeout", timeout=-5),
    _rerank("rerank-model-None", T, "model", None),
    _rerank("rerank-query-int", T, "query", "cohere/r", 5),
    _rerank("rerank-query-None", T, "query", "cohere/r", None),
    _rerank("rerank-query-empty", V, "query", "cohere/r", ""),
    _rerank("rerank-documents-str", T, "documents", "cohere/r", "q", "abc"),
    _rerank("rerank-documents-None", T, "documents", "cohere/r", "q", None),
    _rerank("rerank-documents-empty", V, "documents", "cohere/r", "q", []),
    _rerank("rerank-document-int", T, "documents[0]", "cohere/r", "q", [1]),
    _rerank("rerank-documents-dict", T, "documents", "cohere/r", "q", {"a": "b"}),
    _rerank("rerank-top_n-negative", V, "top_n", top_n=-1),
    _rerank("rerank-top_n-0", V, "top_n", top_n=0),
    _rerank("rerank-top_n-bool", T, "top_n", top_n=True),
    _rerank("rerank-top_n-float", T, "top_n", top_n=2.5),
    _rerank("rerank-top_n-str", T, "top_n", top_n="3"),
    _rerank("rerank-timeout-negative", V, "timeout", timeout=-1),
    _rerank("rerank-timeout-bool", T, "timeout", timeout=False),
    Case("models-None", "list_models", (None,), {}, T, "provider"),
    Case("models-int", "list_models", (5,), {}, T, "provider"),
    Case("models-empty", "list_models", ("",), {}, V, "provider"),
    Case("models-timeout-bool", "list_models", ("openai",), {"timeout": True}, T, "timeout"),
    Case("models-timeout-str", "list_models", ("openai",), {"timeout": "1"}, T, "timeout"),
    Case("models-timeout-nan", "list_models", ("openai",), {"timeout": NAN}, V, "timeout"),
    Case("models-unknown", "list_models", ("nosuch",), {}, e.UnknownProviderError, "nosuch"),
    Case("resolve-int", "resolve_provider", (5,), {}, T, "name"),
    Case("resolve-None", "resolve_provider", (None,), {}, T, "name"),
    Case("circuit-None", "circuit_state", (None,), {}, T, "provider"),
    Case("circuit-list", "circuit_state", (["openai"],), {}, T, "provider"),
]


def _ctor(id: str, error: type[BaseException], names: str, **kwargs: Any) -> Case:
    return Case(id, "client", (), kwargs, error, names)


def _setting(id: str, error: type[BaseException], names: str, name: str, **settings: Any) -> Case:
    return _ctor(id, error, names, providers={name: settings})


CONSTRUCTOR_CASES = [
    _ctor("providers-str", T, "providers", providers="openai"),
    _ctor("providers-list", T, "providers", providers=["openai"]),
    _ctor("providers-int-key", T, "providers", providers={1: {}}),
    _ctor("providers-entry-str", T, "providers['openai']", providers={"openai": "x"}),
    _ctor("providers-entry-None", T, "providers['openai']", providers={"openai": None}),
    _setting("setting-typo", e.UnknownSettingError, "base_ur", "openai", base_ur="http://x"),
    _setting("setting-typo-key", e.UnknownSettingError, "apikey", "openai", apikey=KEY),
    _setting("setting-other-dialect", e.UnknownSettingError, "region", "openai", region="x"),
    _ctor("setting-int-name", T, "providers['openai']", providers={"openai": {1: "x"}}),
    _setting("api_key-int", T, "['api_key']", "openai", api_key=123),
    _setting("api_key-bytes", T, "['api_key']", "openai", api_key=KEY.encode()),
    _setting("api_key-empty", V, "['api_key']", "openai", api_key=""),
    _setting("api_key-space", V, "['api_key']", "openai", api_key="sk a"),
    _setting("api_key-newline", V, "['api_key']", "openai", api_key="sk\nX-Evil: 1"),
    _setting("base_url-int", T, "['base_url']", "openai", base_url=5),
    _setting("base_url-ftp", V, "['base_url']", "openai", base_url="ftp://example.com"),
    _setting("base_url-relative", V, "['base_url']", "openai", base_url="example.com/v1"),
    _setting("base_url-empty", V, "['base_url']", "openai", base_url=""),
    _setting("headers-str", T, "['headers']", "openai", headers="x: y"),
    _setting("headers-value-int", T, "['headers']", "openai", headers={"x": 5}),
    _setting("headers-value-newline", V, "['headers']", "openai", headers={"x": "a\r\nX-Key: 1"}),
    _setting("headers-name-space", V, "['headers']", "openai", headers={"x y": "1"}),
    _setting("dialect-unknown", V, "['dialect']", "openai", dialect="openai"),
    _setting("dialect-int", T, "['dialect']", "openai", dialect=5),
    _setting("stream_options-str", T, "['stream_options']", "groq", stream_options="no"),
    _setting("max_tokens_field-int", T, "['max_tokens_field']", "openai", max_tokens_field=1),
    _setting(
        "default_max_tokens-0", V, "['default_max_tokens']", "anthropic", default_max_tokens=0
    ),
    _setting("beta-int", T, "['beta']", "anthropic", beta=5),
    _setting("endpoint-int", T, "['endpoint']", "azure", endpoint=5),
    _setting("region-int", T, "['region']", "bedrock", region=5),
    _setting("auth-unknown", V, "['auth']", "openai", auth="basic"),
    _setting("api_key_env-int", T, "['api_key_env']", "openai", api_key_env=5),
    _setting("credentials-str", T, "['credentials']", "vertex", credentials="{}"),
    _setting("aws-secret-int", T, "['aws_secret_access_key']", "bedrock", aws_secret_access_key=5),
    _ctor(
        "custom-no-dialect",
        e.UnknownProviderError,
        "mine",
        providers={"mine": {"base_url": "http://x"}},
    ),
    _setting(
        "custom-unknown-setting",
        e.UnknownSettingError,
        "tools",
        "mine",
        dialect="openai-chat",
        base_url="http://x",
        tools=1,
    ),
    _setting(
        "custom-dialect-unknown", V, "['dialect']", "mine", dialect="chatgpt", base_url="http://x"
    ),
    _ctor("timeout-bool", T, "timeout", timeout=True),
    _ctor("timeout-str", T, "timeout", timeout="10"),
    _ctor("timeout-negative", V, "timeout", timeout=-1),
    _ctor("timeout-zero", V, "timeout", timeout=0),
    _ctor("timeout-nan", V, "timeout", timeout=NAN),
    _ctor("timeout-inf", V, "timeout", timeout=INF),
    _ctor("timeout-dict", T, "timeout", timeout={"total": 5}),
    _ctor("max_retries-float", T, "max_retries", max_retries=2.5),
    _ctor("max_retries-negative", V, "max_retries", max_retries=-1),
    _ctor("max_retries-bool", T, "max_retries", max_retries=True),
    _ctor("max_retries-str", T, "max_retries", max_retries="2"),
    _ctor("max_retries-None", T, "max_retries", max_retries=None),
    _ctor("retry-str", T, "retry", retry="fast"),
    _ctor("retry-dict", T, "retry", retry={"max_retries": 1}),
    _ctor("breaker-int", T, "breaker", breaker=5),
    _ctor("breaker-str", T, "breaker", breaker="off"),
    _ctor("rate_limit-int", T, "rate_limit", rate_limit=5),
    _ctor("rate_limit-str", T, "rate_limit", rate_limit="10/s"),
    _ctor("rate_limit-entry-int", T, "rate_limit['openai']", rate_limit={"openai": 5}),
    _ctor("metrics-str", T, "metrics", metrics="prometheus"),
    _ctor("metrics-int", T, "metrics", metrics=5),
    _ctor("http_client-str", T, "http_client", http_client="httpx"),
    _ctor("http_client-other-kind", T, "http_client", http_client="other-kind"),
]


def _make(kind: str, *args: Any, **kwargs: Any) -> Case:
    cls = {"Timeout": Timeout, "RetryPolicy": RetryPolicy, "BreakerPolicy": BreakerPolicy}
    return Case(f"{kind}-{len(POLICY_CASES)}", "value", (cls.get(kind, RateLimit), *args), kwargs)


POLICY_CASES: list[Case] = []
for kind, args, kwargs, error, names in [
    ("Timeout", (), {"connect": True}, T, "Timeout.connect"),
    ("Timeout", (), {"total": "10"}, T, "Timeout.total"),
    ("Timeout", (), {"total": -1}, V, "Timeout.total"),
    ("Timeout", (), {"total": 0}, V, "Timeout.total"),
    ("Timeout", (), {"idle": NAN}, V, "Timeout.idle"),
    ("Timeout", (), {"first_event": INF}, V, "Timeout.first_event"),
    ("Timeout", (), {"connect": [1]}, T, "Timeout.connect"),
    ("Timeout", (), {"idle": -INF}, V, "Timeout.idle"),
    ("Timeout", ("5",), {}, T, "Timeout.connect"),
    ("RetryPolicy", (), {"max_retries": -1}, V, "max_retries"),
    ("RetryPolicy", (), {"max_retries": True}, T, "max_retries"),
    ("RetryPolicy", (), {"max_retries": 1.5}, T, "max_retries"),
    ("RetryPolicy", (), {"backoff_base": -1}, V, "backoff_base"),
    ("RetryPolicy", (), {"backoff_base": "1"}, T, "backoff_base"),
    ("RetryPolicy", (), {"backoff_max": NAN}, V, "backoff_max"),
    ("RetryPolicy", (), {"max_retry_after": INF}, V, "max_retry_after"),
    ("RetryPolicy", (), {"max_retry_after": None}, T, "max_retry_after"),
    ("BreakerPolicy", (), {"failure_threshold": 0}, V, "failure_threshold"),
    ("BreakerPolicy", (), {"failure_threshold": True}, T, "failure_threshold"),
    ("BreakerPolicy", (), {"failure_threshold": 2.0}, T, "failure_threshold"),
    ("BreakerPolicy", (), {"recovery_time": -1}, V, "recovery_time"),
    ("BreakerPolicy", (), {"recovery_time": "30"}, T, "recovery_time"),
    ("BreakerPolicy", (), {"recovery_time": NAN}, V, "recovery_time"),
    ("BreakerPolicy", (), {"half_open_max_calls": 0}, V, "half_open_max_calls"),
    ("BreakerPolicy", (), {"half_open_max_calls": 1.5}, T, "half_open_max_calls"),
    ("RateLimit", (0,), {}, V, "requests_per_second"),
    ("RateLimit", (-1,), {}, V, "requests_per_second"),
    ("RateLimit", ("1",), {}, T, "requests_per_second"),
    ("RateLimit", (True,), {}, T, "requests_per_second"),
    ("RateLimit", (NAN,), {}, V, "requests_per_second"),
    ("RateLimit", (INF,), {}, V, "requests_per_second"),
    ("RateLimit", (1,), {"burst": 0}, V, "burst"),
    ("RateLimit", (1,), {"burst": 1.5}, T, "burst"),
    ("RateLimit", (1,), {"burst": True}, T, "burst"),
]:
    case = _make(kind, *args, **kwargs)
    case.error, case.names = error, names
    POLICY_CASES.append(case)


def _catalog(
    id: str, error: type[BaseException], names: str, fn: str, *args: Any, **kw: Any
) -> Case:
    return Case(id, "catalog", (fn, *args), kw, error, names)


def _core_case(
    id: str, error: type[BaseException], names: str, cls: str, *a: Any, **kw: Any
) -> Case:
    """A constructor of the core, run on both backends (``sync`` True: native)."""
    return Case(id, "core", (cls, *a), kw, error, names)


CORE_CASES = [
    _core_case("decoder-dialect-unknown", V, "dialect", "StreamDecoder", "openai"),
    _core_case("decoder-dialect-int", T, "dialect", "StreamDecoder", 123),
    _core_case("decoder-dialect-None", T, "dialect", "StreamDecoder", None),
    _core_case("decoder-metrics-str", T, "metrics", "StreamDecoder", "ollama", metrics="m"),
    _core_case("sse-negative", V, "max_event_bytes", "SseDecoder", -1),
    _core_case("sse-bool", T, "max_event_bytes", "SseDecoder", True),
    _core_case("sse-float", T, "max_event_bytes", "SseDecoder", 1.5),
    _core_case("sse-str", T, "max_event_bytes", "SseDecoder", "8"),
    _core_case("ndjson-negative", V, "max_line_bytes", "NdjsonDecoder", -1),
    _core_case("ndjson-bool", T, "max_line_bytes", "NdjsonDecoder", False),
    _core_case("ndjson-str", T, "max_line_bytes", "NdjsonDecoder", "8"),
    _core_case("eventstream-small", V, "max_message_bytes", "EventStreamDecoder", 15),
    _core_case("eventstream-bool", T, "max_message_bytes", "EventStreamDecoder", True),
    _core_case("eventstream-float", T, "max_message_bytes", "EventStreamDecoder", 16.0),
    _core_case("json-depth-negative", V, "max_depth", "JsonStream", max_depth=-1),
    _core_case("json-depth-bool", T, "max_depth", "JsonStream", max_depth=True),
    _core_case("json-bytes-float", T, "max_bytes", "JsonStream", max_bytes=1e6),
    _core_case("json-bytes-negative", V, "max_bytes", "JsonStream", max_bytes=-5),
    _core_case("toolcall-calls-negative", V, "max_calls", "ToolCallAssembler", max_calls=-1),
    _core_case("toolcall-calls-bool", T, "max_calls", "ToolCallAssembler", max_calls=True),
    _core_case(
        "toolcall-bytes-str", T, "max_argument_bytes", "ToolCallAssembler", max_argument_bytes="1"
    ),
    _core_case("metrics-negative", V, "max_series", "Metrics", -1),
    _core_case("metrics-bool", T, "max_series", "Metrics", True),
    _core_case("metrics-float", T, "max_series", "Metrics", 10.0),
    _core_case("breaker-threshold-0", V, "failure_threshold", "CircuitBreaker", 0),
    _core_case("breaker-threshold-bool", T, "failure_threshold", "CircuitBreaker", True),
    _core_case("breaker-recovery-nan", V, "recovery_time", "CircuitBreaker", 1, NAN),
    _core_case("breaker-recovery-inf", V, "recovery_time", "CircuitBreaker", 1, INF),
    _core_case("breaker-recovery-negative", V, "recovery_time", "CircuitBreaker", 1, -1.0),
    _core_case("breaker-recovery-str", T, "recovery_time", "CircuitBreaker", 1, "30"),
    _core_case("breaker-recovery-bool", T, "recovery_time", "CircuitBreaker", 1, True),
    _core_case("breaker-trials-0", V, "half_open_max_calls", "CircuitBreaker", 1, 1.0, 0),
    _core_case("breaker-trials-float", T, "half_open_max_calls", "CircuitBreaker", 1, 1.0, 1.5),
    _core_case("breaker-clock-int", T, "clock", "CircuitBreaker", clock=3),
    _core_case("toolcall-add-index-str", T, "index", "ToolCallAssembler.add", "0"),
    _core_case("toolcall-add-index-bool", T, "index", "ToolCallAssembler.add", True),
    _core_case("toolcall-add-index-float", T, "index", "ToolCallAssembler.add", 0.0),
    _core_case("toolcall-add-index-huge", V, "index", "ToolCallAssembler.add", 2**70),
    _core_case("toolcall-add-id-int", T, "id", "ToolCallAssembler.add", 0, 5),
    _core_case("toolcall-add-name-bytes", T, "name", "ToolCallAssembler.add", 0, "i", b"f"),
    _core_case("sse-feed-str", T, "bytes", "SseDecoder.feed", "data: x\n\n"),
    _core_case("sse-feed-None", T, "bytes", "SseDecoder.feed", None),
    _core_case("ndjson-feed-str", T, "bytes", "NdjsonDecoder.feed", "{}\n"),
    _core_case("ndjson-feed-int", T, "bytes", "NdjsonDecoder.feed", 5),
    _core_case("eventstream-feed-str", T, "bytes", "EventStreamDecoder.feed", "x"),
    _core_case("json-feed-int", T, "str or bytes", "JsonStream.feed", 5),
    _core_case("json-feed-list", T, "str or bytes", "JsonStream.feed", [b"1"]),
    _core_case("decoder-feed-str", T, "bytes", "StreamDecoder(ollama).feed", "{}\n"),
    _core_case("decoder-feed-None", T, "bytes", "StreamDecoder(openai-chat).feed", None),
    _core_case("decoder-feed-bytearray", T, "bytes", "StreamDecoder(gemini).feed", bytearray()),
    _core_case("metrics-name-bytes", T, "metric name", "Metrics.inc", b"calls"),
    _core_case("metrics-name-bad", V, "metric name", "Metrics.inc", "a-b"),
    _core_case("metrics-label-int", T, "label 'provider'", "Metrics.inc", "c", provider=1),
    _core_case("metrics-label-name", V, "label name", "Metrics.observe", "h", 1.0, **{"x-y": "1"}),
    _core_case("metrics-negative", V, "counter increment", "Metrics.inc", "c", -1),
    _core_case("metrics-nan", V, "observed seconds", "Metrics.observe", "h", NAN),
    _core_case("metrics-inf", V, "gauge delta", "Metrics.gauge_add", "g", INF),
]


USAGE = {"input_tokens": 10, "output_tokens": 5}
CATALOG_CASES = [
    _catalog("get-None", T, "name", "get", None),
    _catalog("get-int", T, "name", "get", 5),
    _catalog("get-empty", V, "name", "get", ""),
    _catalog("get-list", T, "name", "get", ["openai/gpt-4o"]),
    _catalog("find-provider-int", T, "provider", "find", 5),
    _catalog("find-provider-items", T, "provider", "find", [5]),
    _catalog("find-mode-int", T, "mode", "find", None, 5),
    _catalog("find-tools-str", T, "tools", "find", tools="yes"),
    _catalog("find-vision-int", T, "vision", "find", vision=1),
    _catalog("find-min_context-negative", V, "min_context", "find", min_context=-1),
    _catalog("find-min_context-bool", T, "min_context", "find", min_context=True),
    _catalog("find-min_context-str", T, "min_context", "find", min_context="5"),
    _catalog("find-min_output-float", T, "min_output", "find", min_output=1.5),
    _catalog("find-price-nan", V, "max_input_price", "find", max_input_price=NAN),
    _catalog("find-price-negative", V, "max_input_price", "find", max_input_price=-1),
    _catalog("find-price-str", T, "max_output_price", "find", max_output_price="1"),
    _catalog("find-deprecated-str", T, "include_deprecated", "find", include_deprecated="no"),
    _catalog("find-today-str", T, "today", "find", today="2024-01-01"),
    _catalog("find-sort-unknown", V, "sort", "find", sort="bogus"),
    _catalog("find-sort-int", T, "sort", "find", sort=5),
    _catalog("cost-model-int", T, "model", "cost", 5, USAGE),
    _catalog("cost-model-None", T, "model", "cost", None, USAGE),
    _catalog("cost-usage-str", T, "usage", "cost", "openai/gpt-4o", "10 tokens"),
    _catalog("cost-usage-None", T, "usage", "cost", "openai/gpt-4o", None),
    _catalog(
        "cost-usage-negative", V, "input_tokens", "cost", "openai/gpt-4o", {"input_tokens": -1}
    ),
    _catalog("cost-usage-bool", T, "input_tokens", "cost", "openai/gpt-4o", {"input_tokens": True}),
    _catalog(
        "cost-usage-str-count", T, "output_tokens", "cost", "openai/gpt-4o", {"output_tokens": "5"}
    ),
    _catalog("cost-usage-nan", V, "input_tokens", "cost", "openai/gpt-4o", {"input_tokens": NAN}),
    _catalog("cost-usage-float", V, "input_tokens", "cost", "openai/gpt-4o", {"input_tokens": 1.5}),
    _catalog(
        "cost-cache-over",
        V,
        "cache_read_tokens",
        "cost",
        "openai/gpt-4o",
        {"input_tokens": 1, "cache_read_tokens": 5},
    ),
    _catalog("refresh-provider-int", T, "provider", "refresh", 5),
    _catalog("refresh-ttl-negative", V, "ttl", "refresh", "openai", ttl=-1),
    _catalog("refresh-ttl-bool", T, "ttl", "refresh", "openai", ttl=True),
    _catalog("refresh-ttl-str", T, "ttl", "refresh", "openai", ttl="1"),
    _catalog("refresh-ttl-nan", V, "ttl", "refresh", "openai", ttl=NAN),
    _catalog("refresh-force-str", T, "force", "refresh", "openai", force="yes"),
    _catalog("refresh-providers-str", T, "providers", "refresh", "openai", providers="openai"),
    _catalog(
        "refresh-providers-typo",
        e.UnknownSettingError,
        "base_ur",
        "refresh",
        "openai",
        providers={"openai": {"base_ur": "http://x"}},
    ),
    _catalog("refresh-timeout-zero", V, "timeout", "refresh", "openai", timeout=0),
    _catalog("refresh-timeout-bool", T, "timeout", "refresh", "openai", timeout=True),
    _catalog("refresh-timeout-str", T, "timeout", "refresh", "openai", timeout="30"),
    _catalog("refresh-client-str", T, "client", "refresh", "openai", client="httpx"),
]


# --- Running a case ---------------------------------------------------------------------------


@dataclass
class Outcome:
    error: BaseException | None
    sent: int


def _providers(server: LoopbackServer) -> dict[str, dict[str, Any]]:
    url = server.url
    return {
        "openai": {"base_url": url + "/v1", "api_key": KEY},
        "cohere": {"base_url": url + "/cohere", "api_key": KEY},
    }


def _client_options(server: LoopbackServer) -> dict[str, Any]:
    return {
        "providers": _providers(server),
        "retry": RetryPolicy(max_retries=0),
        "timeout": Timeout(connect=2, total=5),
    }


def _http_client(kind: str, sync: bool) -> Any:
    if kind == "other-kind":
        return httpx.AsyncClient() if sync else httpx.Client()
    return kind


def run_case(case: Case, server: LoopbackServer, sync: bool, stream: bool = False) -> Outcome:
    """Runs ``case`` (on ``Client`` when ``sync``, else ``AsyncClient``; a chat case as a
    stream read to its end when ``stream``); returns what it raised and how many requests the
    server received meanwhile."""
    before = len(server.requests)
    try:
        _run(case, server, sync, stream)
    except Exception as error:
        return Outcome(error, len(server.requests) - before)
    return Outcome(None, len(server.requests) - before)


def _run(case: Case, server: LoopbackServer, sync: bool, stream: bool) -> None:
    if case.kind == "core":
        name, *args = case.args
        cls, _, method = name.partition(".")
        cls, _, given = cls.rstrip(")").partition("(")
        made = getattr(_core if sync else _purepy, cls)
        if method:  # a method of an instance: "Class.method" or "Class(argument).method"
            made = getattr(made(*([given] if given else [])), method)
        made(*args, **case.kwargs)
        return
    if case.kind == "value":
        cls, *args = case.args
        cls(*args, **case.kwargs)
        return
    if case.kind == "catalog":
        _run_catalog(case, server, sync)
        return
    options = _client_options(server)
    if case.kind == "client":
        options.update(case.kwargs)
        if "http_client" in options:
            options["http_client"] = _http_client(options["http_client"], sync)
        if sync:
            Client(**options).close()
        else:
            asyncio.run(AsyncClient(**options).aclose())
        return
    method = "stream" if case.kind == "chat" and stream else case.kind
    if sync:
        with Client(**options) as client:
            result = getattr(client, method)(*case.args, **case.kwargs)
            if method == "stream":
                with result:
                    for _ in result:
                        pass
        return

    async def run() -> None:
        async with AsyncClient(**options) as client:
            if method == "stream":
                async with client.stream(*case.args, **case.kwargs) as events:
                    async for _ in events:
                        pass
            elif method in ("resolve_provider", "circuit_state"):
                getattr(client, method)(*case.args, **case.kwargs)
            else:
                await getattr(client, method)(*case.args, **case.kwargs)

    asyncio.run(run())


def _run_catalog(case: Case, server: LoopbackServer, sync: bool) -> None:
    name, *args = case.args
    kwargs = dict(case.kwargs)
    if name == "refresh":
        kwargs.setdefault("providers", _providers(server))
        kwargs.setdefault("force", True)
        if not sync:
            asyncio.run(catalog.arefresh(*args, **kwargs))
            return
    getattr(catalog, name)(*args, **kwargs)


def verdict(case: Case, outcome: Outcome) -> str:
    """``ok``, ``sent`` (the server received a request), ``silent`` (no exception),
    ``internal`` (not a FluentAIError), or ``other`` (a typed error, but not the one named or
    without the argument in its message)."""
    if outcome.sent:
        return "sent"
    error = outcome.error
    if error is None:
        return "silent"
    if not isinstance(error, e.FluentAIError):
        return "internal"
    if type(error) is not case.error or case.names not in str(error):
        return "other"
    return "ok"


# Sync and async runs of every case; chat cases also as a stream.
RUNS = (
    [
        (case, sync, stream)
        for case in CHAT_CASES
        for sync in (True, False)
        for stream in (False, True)
    ]
    + [
        (case, sync, False)
        for case in [*METHOD_CASES, *CONSTRUCTOR_CASES, *CATALOG_CASES, *CORE_CASES]
        for sync in (True, False)
        # get, find and cost have no async twin; refresh has arefresh
        if sync or case.kind != "catalog" or case.args[0] == "refresh"
    ]
    + [(case, True, False) for case in POLICY_CASES]
)


def _run_id(run: tuple[Case, bool, bool]) -> str:
    case, sync, stream = run
    if case.kind == "core":
        return f"core-{case.id}-{'native' if sync else 'python'}"
    return f"{case.kind}-{case.id}-{'sync' if sync else 'async'}{'-stream' if stream else ''}"


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_server(server: LoopbackServer) -> None:
    # No routes: a request that gets through is answered 404 and counted in server.requests.
    server.reset()


def test_the_table_is_large() -> None:
    assert len(RUNS) >= 400


@pytest.mark.parametrize("run", RUNS, ids=_run_id)
def test_bad_argument(run: tuple[Case, bool, bool], server: LoopbackServer) -> None:
    case, sync, stream = run
    outcome = run_case(case, server, sync, stream)
    assert outcome.sent == 0, f"{outcome.sent} request(s) reached the server"
    assert outcome.error is not None, "the bad argument was accepted"
    assert type(outcome.error) is case.error, repr(outcome.error)
    assert case.names in str(outcome.error), str(outcome.error)
    assert isinstance(outcome.error, (TypeError, ValueError, KeyError))
    if isinstance(outcome.error, e.InvalidArgumentError) and case.kind != "core":
        assert outcome.error.argument in str(outcome.error)
    assert KEY not in str(outcome.error) and KEY not in repr(outcome.error.args)


def main() -> None:
    counts: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    with LoopbackServer() as running:
        for run in RUNS:
            case, sync, stream = run
            outcome = run_case(case, running, sync, stream)
            found = verdict(case, outcome)
            counts[found] = counts.get(found, 0) + 1
            examples.setdefault(found, []).append(f"{_run_id(run)}: {outcome.error!r}"[:160])
    print(f"{len(RUNS)} runs of {len({id(r[0]) for r in RUNS})} cases: {counts}")
    for found, lines in examples.items():
        if found != "ok":
            print(f"--- {found}")
            print("\n".join(lines[:400]))


if __name__ == "__main__":
    main()


# --- Settings names and missing keys ----------------------------------------------------------


def test_a_misspelled_setting_names_the_valid_ones_and_the_close_match() -> None:
    with pytest.raises(e.UnknownSettingError) as caught:
        Client(providers={"openai": {"base_ur": "http://127.0.0.1:9/v1", "api_key": KEY}})
    error = caught.value
    assert isinstance(error, e.ConfigurationError) and isinstance(error, ValueError)
    assert (error.provider, error.setting, error.suggestions) == ("openai", "base_ur", ["base_url"])
    assert "did you mean 'base_url'?" in str(error)
    assert {"base_url", "api_key", "headers", "max_tokens_field"} <= set(error.valid)
    assert all(name in str(error) for name in error.valid)
    # Each dialect's own settings are valid for it and only for it.
    Client(providers={"anthropic": {"beta": "x", "default_max_tokens": 5}}).close()
    Client(providers={"bedrock": {"region": "us-east-1", "profile": "p"}}).close()
    with pytest.raises(e.UnknownSettingError, match="'beta'"):
        Client(providers={"gemini": {"beta": "x"}})
    with pytest.raises(e.UnknownSettingError) as far:
        Client(providers={"openai": {"zzzz": 1}})
    assert far.value.suggestions == [] and "did you mean" not in str(far.value)


KEYED = sorted(
    name
    for name, spec in PROVIDERS.items()
    if spec.key_required and spec.auth in ("bearer", "x-api-key", "x-goog-api-key", "api-key")
)


@pytest.mark.parametrize("name", KEYED)
def test_a_provider_without_its_key_raises_before_sending(
    name: str, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = PROVIDERS[name]
    for variable in (*spec.key_env, "AZURE_OPENAI_AD_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    settings: dict[str, Any] = {"base_url": server.url + "/" + name}
    if name == "azure":
        settings = {"endpoint": server.url}
    if name == "cloudflare":
        settings["account_id"] = "a"
    options = {"providers": {name: settings}, "retry": RetryPolicy(max_retries=0)}
    model = f"{name}/m"
    calls: list[Callable[[Client], Any]] = [
        lambda client: client.chat(model, USER),
        lambda client: client.stream(model, USER),
        lambda client: client.embed(model, "x"),
    ]
    for call in calls:
        with Client(**options) as client, pytest.raises(e.MissingCredentialsError) as caught:
            call(client)
        error = caught.value
        assert isinstance(error, e.ConfigurationError) and isinstance(error, e.AuthenticationError)
        assert error.env == [*spec.key_env, *(["AZURE_OPENAI_AD_TOKEN"] if name == "azure" else [])]
        assert error.env and all(variable in str(error) for variable in error.env)
        assert error.provider == name and error.status_code is None
    assert server.requests == []
    # The same call with the key set in the first variable goes out.
    monkeypatch.setenv(spec.key_env[0], KEY)
    server.route("GET", "/" + name + "/models", json_response({"data": []}))
    with Client(**options) as client:
        for call in (calls[0], calls[2]):
            try:
                call(client)
            except e.APIError:
                pass  # the loopback server has no such route: any answer will do
            except e.ConfigurationError as error:
                assert "has no" in str(error)  # jina and voyage have no chat, others no embed
    assert server.requests and all(KEY in str(r.headers) for r in server.requests)


def test_providers_that_need_no_key_send_without_one(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("VLLM_API_KEY", raising=False)
    server.route("GET", "/or/models", json_response({"data": [{"id": "a/b"}]}))
    server.route("POST", "/vllm/chat/completions", json_response({"choices": []}))
    options: dict[str, Any] = {
        "providers": {
            "openrouter": {"base_url": server.url + "/or"},
            "vllm": {"base_url": server.url + "/vllm"},
            "mine": {"dialect": "openai-chat", "base_url": server.url + "/vllm"},
        }
    }
    with Client(**options) as client:
        assert [m.id for m in client.list_models("openrouter")] == ["b"] or client
        client.chat("vllm/m", USER)
        client.chat("mine/m", USER)
        with pytest.raises(e.MissingCredentialsError, match="OPENROUTER_API_KEY"):
            client.chat("openrouter/m", USER)  # its models list is public, chat is not
    assert len(server.requests) == 3


def test_an_application_adapter_keeps_its_own_settings() -> None:
    """A dialect registered by the application has settings fluent-ai cannot list: they pass,
    while the common ones are still checked."""
    from fluent_ai.providers import adapters  # noqa: PLC0415
    from fluent_ai.providers.openai_chat import OpenAIChat  # noqa: PLC0415

    adapters.register_adapter("app-dialect", OpenAIChat)
    try:
        mine = {"dialect": "app-dialect", "base_url": "http://127.0.0.1:9", "anything": 5}
        Client(providers={"mine": mine}).close()
        with pytest.raises(e.ArgumentTypeError, match=r"providers\['mine'\]\['api_key'\]"):
            Client(providers={"mine": {**mine, "api_key": 5}})
    finally:
        adapters._ADAPTERS.pop("app-dialect")


def test_a_misspelled_provider_gets_a_suggestion() -> None:
    with Client() as client, pytest.raises(e.UnknownProviderError) as caught:
        client.chat("opneai/gpt-4o", USER)
    assert caught.value.suggestions == ["openai"]
    assert "did you mean 'openai'?" in str(caught.value) and "anthropic" in str(caught.value)
    with pytest.raises(e.UnknownProviderError) as far:
        Client(providers={"zzzzzz": {"api_key": KEY}})
    assert far.value.suggestions == [] and "did you mean" not in str(far.value)
