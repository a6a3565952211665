"""``Client`` and ``AsyncClient``: one small API over every provider, on httpx2 (see ``_http``).

    with fluent_ai.Client() as client:
        answer = client.chat("openai/gpt-4.1-mini", [{"role": "user", "content": "Hi"}])
        with client.stream("anthropic/claude-sonnet-4-5", messages, tools=tools) as stream:
            for event in stream:
                ...
        stream.response   # the same ChatResponse chat() would give

A model is named ``"provider/model"``. Providers come from :mod:`fluent_ai.providers.registry`
(base URLs, key variables, auth); ``providers={"name": {...}}`` overrides them or adds
OpenAI-compatible ones (``{"base_url": ..., "api_key": ..., "dialect": "openai-chat"}``).
Both clients are safe to share between threads (tasks): each call keeps its own state, the
shared parts (the httpx client, breakers, rate limits, resolved providers) lock or are atomic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from . import _async, _sync
from ._answers import checked_embeddings, checked_rerank
from ._call_arguments import (
    check_chat,
    check_embed,
    check_model,
    check_options,
    check_rerank,
    check_timeout,
)
from ._calls import Call, Settings, merge_headers
from ._http import library_of
from ._http_errors import request_id_from
from ._models import ModelsPage
from ._own_http import OwnHttp
from ._release import reap
from ._signatures import guard_signatures
from ._streaming import whole_response
from ._validation import check_count, check_mapping, check_string, fail_type
from .errors import FluentAIError, InvalidArgumentError
from .providers._options import TRANSLATED_OPTIONS
from .providers.base import ChatParams, HttpRequest
from .providers.openai_responses import adapter_for_api, check_api
from .providers.registry import ResolvedProvider, check_providers
from .resilience import (
    MAX_RETRIES,
    BreakerPolicy,
    Breakers,
    RateLimit,
    RateLimiters,
    RateLimits,
    RetryPolicy,
)
from .structured import ResponseFormat, output_format
from .types import (
    ChatResponse,
    EmbeddingResponse,
    Message,
    RerankResponse,
    Timeout,
    TimeoutLike,
    Tool,
)

if TYPE_CHECKING:
    import os

    from ._http import httpx
    from .catalog import ModelInfo
    from .recording import Cassette

__all__ = [
    "DEFAULT_TIMEOUT",
    "AsyncChatStream",
    "AsyncClient",
    "ChatStream",
    "Client",
    "ReasoningEffort",
]

ChatStream = _sync.ChatStream
AsyncChatStream = _async.AsyncChatStream

DEFAULT_TIMEOUT = Timeout(connect=10.0, total=600.0)
"""The clients' default limits: 10 s to connect, 10 minutes per call."""

_DEFAULT_BREAKER = BreakerPolicy()

ReasoningEffort = Literal["minimal", "low", "medium", "high"]
"""The values of ``reasoning_effort`` (OpenAI's names; docs/request-options.md)."""

# The keyword arguments of ``chat``/``stream`` besides the lingua-franca ones.
_REQUEST_OPTIONS = (
    *TRANSLATED_OPTIONS,
    "headers",
    "max_retries",
    "extra_headers",
    "extra_body",
)

_HTTP_CLIENT_TEXT = {
    "sync": "an httpx2.Client (or httpx.Client) or None (AsyncClient takes the AsyncClient)",
    "async": "an httpx2.AsyncClient (or httpx.AsyncClient) or None (Client takes the Client)",
}


def _check_client(
    *,
    timeout: object,
    max_retries: object,
    retry: object,
    breaker: object,
    rate_limit: object,
    metrics: object,
    providers: object,
) -> None:
    """The constructor arguments both clients share (see README, Clients)."""
    check_timeout(timeout)
    check_count("max_retries", max_retries, maximum=MAX_RETRIES)
    if retry is not None and not isinstance(retry, RetryPolicy):
        fail_type("retry", "a fluent_ai.RetryPolicy or None", retry)
    if breaker is not None and not isinstance(breaker, BreakerPolicy):
        fail_type("breaker", "a fluent_ai.BreakerPolicy or None", breaker)
    if rate_limit is not None and not isinstance(rate_limit, RateLimit):
        limits = check_mapping(
            "rate_limit", rate_limit, keys_as="provider names as keys (or a fluent_ai.RateLimit)"
        )
        for name, limit in limits.items():
            if not isinstance(limit, RateLimit):
                fail_type(f"rate_limit[{name!r}]", "a fluent_ai.RateLimit", limit)
    if metrics is not None and not all(
        callable(getattr(metrics, name, None)) for name in ("inc", "observe", "gauge_add")
    ):
        fail_type("metrics", "a fluent_ai.Metrics or None", metrics)
    check_providers(providers)


def _chat_request(call: Call, params: ChatParams) -> HttpRequest:
    """The adapter's request for ``params``. A value the JSON body cannot hold (an object of
    another type, NaN, a lone surrogate) anywhere in the lingua-franca arguments raises
    ``InvalidArgumentError`` naming the argument, before anything is sent."""
    try:
        return call.adapter.chat_request(params)
    except (TypeError, ValueError) as error:
        if isinstance(error, FluentAIError):
            raise
        for name in ("messages", "tools", "tool_choice", "response_format", "extra"):
            value = getattr(params, name)
            try:
                json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
            except (TypeError, ValueError) as problem:
                raise InvalidArgumentError(
                    f"{name} must hold only JSON values (str, number, bool, None, lists and "
                    f"dicts with str keys; no NaN or infinity, no lone surrogate): {problem}",
                    argument=name,
                    expected="JSON values",
                ) from None
        raise


class _BaseClient:
    """What both clients share: settings, provider resolution, request preparation."""

    def __init__(
        self,
        *,
        timeout: TimeoutLike,
        max_retries: int,
        retry: RetryPolicy | None,
        breaker: BreakerPolicy | None,
        rate_limit: RateLimits,
        metrics: Any,
        providers: Mapping[str, Mapping[str, Any]] | None,
    ) -> None:
        _check_client(
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            breaker=breaker,
            rate_limit=rate_limit,
            metrics=metrics,
            providers=providers,
        )
        if metrics is None:
            from . import metrics as default_metrics  # noqa: PLC0415  (the package's default)

            metrics = default_metrics
        self._settings = Settings(
            providers=providers,
            timeout=DEFAULT_TIMEOUT if timeout is DEFAULT_TIMEOUT else Timeout.of(timeout),
            retry=retry if retry is not None else RetryPolicy(max_retries=max_retries),
            breakers=Breakers(breaker),
            limiters=RateLimiters(rate_limit),
            metrics=metrics,
        )

    @property
    def metrics(self) -> Any:
        """The ``fluent_ai.Metrics`` this client records into."""
        return self._settings.metrics

    @property
    def timeout(self) -> Timeout:
        return self._settings.timeout

    def resolve_provider(self, name: str) -> ResolvedProvider:
        """``name``'s settings as this client uses them (overrides and environment applied).
        Raises ``UnknownProviderError`` for a name it cannot resolve."""
        return self._settings.provider(check_string("name", name))[0]

    def circuit_state(self, provider: str) -> str:
        """The state of ``provider``'s circuit breaker: ``closed``, ``open`` or ``half_open``."""
        _, adapter, _ = self._settings.provider(check_string("provider", provider))
        return self._settings.breakers.state(adapter.endpoint())

    def _chat(
        self, model: str, messages: Sequence[Message], *, stream: bool, **options: Any
    ) -> tuple[Call, ChatParams]:
        check_model(model)
        api = check_api(options.pop("api"))  # the Responses API (providers/openai_responses.py)
        request_options = {name: options.pop(name) for name in _REQUEST_OPTIONS}
        # Structured output: every form becomes OpenAI's, which the adapters translate.
        output = output_format(options["response_format"])
        options["response_format"] = None if output is None else output.wire
        check_chat(messages, **options)
        check_options(**request_options, extra=options["extra"])
        provider, model_id = self._settings.split(model)
        timeout = options.pop("timeout")
        headers = merge_headers(
            request_options.pop("headers") or {}, request_options.pop("extra_headers") or {}
        )
        max_retries = request_options.pop("max_retries")
        extra_body = request_options.pop("extra_body")
        if extra_body is not None:
            options["extra"] = extra_body
        if not options["tools"]:
            # Only tool calls are parallel: without tools the option means nothing, and OpenAI
            # refuses it ("only allowed when 'tools' are specified"), so it goes nowhere.
            request_options["parallel_tool_calls"] = None
        stop = request_options["stop"]
        if stop is not None and not isinstance(stop, str):
            request_options["stop"] = tuple(stop)
        call = Call(
            self._settings,
            provider,
            "stream" if stream else "chat",
            timeout,
            max_retries=max_retries,
            headers=headers,
        )
        call.adapter = call.adapter.for_model(model_id)
        call.adapter = adapter_for_api(call.adapter, api)
        call.output = output
        params = ChatParams(
            model=model_id, messages=messages, stream=stream, **options, **request_options
        )
        call.describe(model_id, params)
        return call, params

    def _embedding_call(
        self,
        model: str,
        inputs: object,
        *,
        dimensions: object,
        input_type: object,
        timeout: TimeoutLike,
    ) -> tuple[Call, str]:
        check_model(model)
        check_embed(inputs, dimensions=dimensions, input_type=input_type, timeout=timeout)
        provider, model_id = self._settings.split(model)
        call = Call(self._settings, provider, "embed", timeout)
        call.describe(model_id)
        return call, model_id

    def _rerank_call(
        self, model: str, query: object, documents: object, top_n: object, timeout: TimeoutLike
    ) -> tuple[Call, str]:
        check_model(model)
        check_rerank(query, documents, top_n=top_n, timeout=timeout)
        provider, model_id = self._settings.split(model)
        call = Call(self._settings, provider, "rerank", timeout)
        call.describe(model_id)
        return call, model_id

    def _models_call(self, provider: str, timeout: TimeoutLike) -> Call:
        check_string("provider", provider)
        check_timeout(timeout)
        return Call(self._settings, provider, "models", timeout)

    def __repr__(self) -> str:
        overridden = ", ".join(sorted(self._settings.overrides)) or "none"
        return f"<{type(self).__name__} overrides: {overridden}>"


class Client(_BaseClient):
    """The blocking client.

    ``http_client``: an ``httpx2.Client`` (or ``httpx.Client``) you own, left open by
    :meth:`close` (one pool shared with the openai and anthropic SDKs); ``timeout``: a
    :class:`~fluent_ai.Timeout` or a number of seconds for ``total`` (default
    :data:`DEFAULT_TIMEOUT`); ``max_retries`` (default 2) or a whole ``retry``
    :class:`~fluent_ai.RetryPolicy`; ``breaker``: the :class:`~fluent_ai.BreakerPolicy` of the
    circuit breaker kept per provider endpoint (``None`` disables them); ``rate_limit``: a
    :class:`~fluent_ai.RateLimit` per API key (or a mapping of provider name to one);
    ``metrics``: the ``fluent_ai.Metrics`` to record into (default ``fluent_ai.metrics``);
    ``providers``: overrides per provider name (``base_url``, ``api_key``, ``headers``,
    ``api_version``, ...; a new OpenAI-compatible provider with ``"dialect": "openai-chat"``).
    ``record``: a cassette directory (or ``fluent_ai.recording.Cassette``) that every exchange
    is written to; ``replay``: one to answer from instead of the network (README, Record and
    replay).
    """

    _http: OwnHttp[httpx.Client] = OwnHttp("gated_sync_client")

    def __init__(
        self,
        *,
        http_client: httpx.Client | None = None,
        timeout: TimeoutLike = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        metrics: Any = None,
        providers: Mapping[str, Mapping[str, Any]] | None = None,
        retry: RetryPolicy | None = None,
        breaker: BreakerPolicy | None = _DEFAULT_BREAKER,
        rate_limit: RateLimits = None,
        record: str | os.PathLike[str] | Cassette | None = None,
        replay: str | os.PathLike[str] | Cassette | None = None,
    ) -> None:
        super().__init__(
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            breaker=breaker,
            rate_limit=rate_limit,
            metrics=metrics,
            providers=providers,
        )
        if http_client is not None and library_of(http_client, asynchronous=False) is None:
            fail_type("http_client", _HTTP_CLIENT_TEXT["sync"], http_client)
        self._owns_http = http_client is None
        # Our own pool has a gate in front (see ``_gate``): hundreds of threads work.
        self._http = http_client  # None: made on first use (see ``_own_http``)
        if record is not None or replay is not None:
            # Record/replay (fluent_ai.recording): a transport around the client's own pool.
            from .recording._transport import sync_http_client  # noqa: PLC0415

            self._http = sync_http_client(http_client, record, replay)

    @property
    def http_client(self) -> httpx.Client:
        return self._http

    def chat(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        tools: Sequence[Tool] | None = None,
        tool_choice: Any = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        response_format: ResponseFormat | None = None,
        timeout: TimeoutLike = None,
        extra: Mapping[str, Any] | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        user: str | None = None,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        api: Literal["chat", "responses"] | None = None,
    ) -> ChatResponse:
        """One whole answer from ``model`` (``"provider/model"``).

        ``messages`` and ``tools`` are OpenAI-style dicts, translated for the provider;
        ``timeout`` replaces the limits it sets for this call and ``max_retries`` the client's
        retry count. The request options (``top_p``, ``stop``, ``seed``, ``presence_penalty``,
        ``frequency_penalty``, ``parallel_tool_calls``, ``reasoning_effort``, ``user``,
        ``metadata``) are named as the openai SDK names them and translated for the provider;
        one it has no equivalent for raises ``UnsupportedParameterError`` before anything is
        sent (docs/request-options.md). ``headers`` and ``extra_headers`` go on the
        request last (over the provider's own); ``extra_body`` fields are merged into the body
        last (``extra`` is its older name). ``api="responses"`` sends the call to OpenAI's
        Responses API instead of Chat Completions (OpenAI, Azure, xAI, and servers configured
        with ``"api": "responses"``; the default is the provider's ``api`` setting, else
        ``"chat"``; README, Clients: the Responses API). Raises the ``fluent_ai.errors`` HTTP
        classes (after retries).
        """
        call, params = self._chat(
            model,
            messages,
            stream=False,
            tools=tools,
            tool_choice=tool_choice,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=response_format,
            timeout=timeout,
            extra=extra,
            top_p=top_p,
            stop=stop,
            seed=seed,
            presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty,
            parallel_tool_calls=parallel_tool_calls,
            reasoning_effort=reasoning_effort,
            user=user,
            metadata=metadata,
            headers=headers,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_body=extra_body,
            api=api,
        )
        with call:
            request = _chat_request(call, params)
            body, answer = _sync.request_json(call, self._http, request)
            return whole_response(call, params.model, body, request_id_from(answer.headers))

    def stream(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        tools: Sequence[Tool] | None = None,
        tool_choice: Any = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        response_format: ResponseFormat | None = None,
        timeout: TimeoutLike = None,
        extra: Mapping[str, Any] | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        user: str | None = None,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        api: Literal["chat", "responses"] | None = None,
    ) -> ChatStream:
        """The answer as a stream of the core's events (see :class:`ChatStream`); arguments as
        :meth:`chat`. The request is sent when the iteration starts."""
        call, params = self._chat(
            model,
            messages,
            stream=True,
            tools=tools,
            tool_choice=tool_choice,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=response_format,
            timeout=timeout,
            extra=extra,
            top_p=top_p,
            stop=stop,
            seed=seed,
            presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty,
            parallel_tool_calls=parallel_tool_calls,
            reasoning_effort=reasoning_effort,
            user=user,
            metadata=metadata,
            headers=headers,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_body=extra_body,
            api=api,
        )
        request = _chat_request(call, params)
        return ChatStream(call, self._http, request, params.model, self._settings.metrics)

    def embed(
        self,
        model: str,
        inputs: str | Sequence[str],
        *,
        dimensions: int | None = None,
        input_type: str | None = None,
        timeout: TimeoutLike = None,
    ) -> EmbeddingResponse:
        """Embeddings of ``inputs`` (one string or several), in order."""
        call, model_id = self._embedding_call(
            model, inputs, dimensions=dimensions, input_type=input_type, timeout=timeout
        )
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        with call:
            request = call.adapter.embed_request(
                model_id, texts, dimensions=dimensions, input_type=input_type
            )
            body, _ = _sync.request_json(call, self._http, request)
            parse = partial(call.adapter.parse_embedding, body, model_id)
            return call.result(checked_embeddings(parse, len(texts), call.name))

    def rerank(
        self,
        model: str,
        query: str,
        documents: Sequence[str],
        *,
        top_n: int | None = None,
        timeout: TimeoutLike = None,
    ) -> RerankResponse:
        """``documents`` ordered by relevance to ``query`` (the best ``top_n`` when given)."""
        call, model_id = self._rerank_call(model, query, documents, top_n, timeout)
        with call:
            request = call.adapter.rerank_request(model_id, query, documents, top_n=top_n)
            body, _ = _sync.request_json(call, self._http, request)
            parse = partial(call.adapter.parse_rerank, body, model_id)
            return call.result(checked_rerank(parse, len(documents), call.name))

    def list_models(self, provider: str, *, timeout: TimeoutLike = None) -> list[ModelInfo]:
        """The provider's live models list, normalized as catalog ``ModelInfo`` entries
        (only the fields the endpoint gives; ``fluent_ai.catalog`` adds prices and limits)."""
        call = self._models_call(provider, timeout)
        with call:
            page = ModelsPage(call)
            while True:
                body, _ = _sync.request_json(call, self._http, page.request)
                if page.advance(body):
                    return page.models or []

    def close(self) -> None:
        """Closes the httpx client if this client made it."""
        reap()  # streams the garbage collector ended are closed first (see ``_release``)
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """The asyncio (and trio) client; the same arguments and methods as :class:`Client`, as
    coroutines, except :meth:`stream`, which returns an :class:`AsyncChatStream` directly
    (``async for event in client.stream(...)``, or ``async with`` it)."""

    _http: OwnHttp[httpx.AsyncClient] = OwnHttp("gated_client")

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient | None = None,
        timeout: TimeoutLike = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        metrics: Any = None,
        providers: Mapping[str, Mapping[str, Any]] | None = None,
        retry: RetryPolicy | None = None,
        breaker: BreakerPolicy | None = _DEFAULT_BREAKER,
        rate_limit: RateLimits = None,
        record: str | os.PathLike[str] | Cassette | None = None,
        replay: str | os.PathLike[str] | Cassette | None = None,
    ) -> None:
        super().__init__(
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            breaker=breaker,
            rate_limit=rate_limit,
            metrics=metrics,
            providers=providers,
        )
        if http_client is not None and library_of(http_client, asynchronous=True) is None:
            fail_type("http_client", _HTTP_CLIENT_TEXT["async"], http_client)
        self._owns_http = http_client is None
        # Our own pool has a gate in front (see ``_gate``): 1,000 concurrent streams work.
        self._http = http_client  # None: made on first use (see ``_own_http``)
        if record is not None or replay is not None:
            # Record/replay (fluent_ai.recording): a transport around the client's own pool.
            from .recording._transport import async_http_client  # noqa: PLC0415

            self._http = async_http_client(http_client, record, replay)

    @property
    def http_client(self) -> httpx.AsyncClient:
        return self._http

    async def chat(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        tools: Sequence[Tool] | None = None,
        tool_choice: Any = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        response_format: ResponseFormat | None = None,
        timeout: TimeoutLike = None,
        extra: Mapping[str, Any] | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        user: str | None = None,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        api: Literal["chat", "responses"] | None = None,
    ) -> ChatResponse:
        """See :meth:`Client.chat`."""
        call, params = self._chat(
            model,
            messages,
            stream=False,
            tools=tools,
            tool_choice=tool_choice,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=response_format,
            timeout=timeout,
            extra=extra,
            top_p=top_p,
            stop=stop,
            seed=seed,
            presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty,
            parallel_tool_calls=parallel_tool_calls,
            reasoning_effort=reasoning_effort,
            user=user,
            metadata=metadata,
            headers=headers,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_body=extra_body,
            api=api,
        )
        with call:
            request = _chat_request(call, params)
            body, answer = await _async.request_json(call, self._http, request)
            return whole_response(call, params.model, body, request_id_from(answer.headers))

    def stream(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        tools: Sequence[Tool] | None = None,
        tool_choice: Any = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        response_format: ResponseFormat | None = None,
        timeout: TimeoutLike = None,
        extra: Mapping[str, Any] | None = None,
        top_p: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning_effort: ReasoningEffort | None = None,
        user: str | None = None,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        api: Literal["chat", "responses"] | None = None,
    ) -> AsyncChatStream:
        """See :meth:`Client.stream`."""
        call, params = self._chat(
            model,
            messages,
            stream=True,
            tools=tools,
            tool_choice=tool_choice,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=response_format,
            timeout=timeout,
            extra=extra,
            top_p=top_p,
            stop=stop,
            seed=seed,
            presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty,
            parallel_tool_calls=parallel_tool_calls,
            reasoning_effort=reasoning_effort,
            user=user,
            metadata=metadata,
            headers=headers,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_body=extra_body,
            api=api,
        )
        request = _chat_request(call, params)
        return AsyncChatStream(call, self._http, request, params.model, self._settings.metrics)

    async def embed(
        self,
        model: str,
        inputs: str | Sequence[str],
        *,
        dimensions: int | None = None,
        input_type: str | None = None,
        timeout: TimeoutLike = None,
    ) -> EmbeddingResponse:
        """See :meth:`Client.embed`."""
        call, model_id = self._embedding_call(
            model, inputs, dimensions=dimensions, input_type=input_type, timeout=timeout
        )
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        with call:
            request = call.adapter.embed_request(
                model_id, texts, dimensions=dimensions, input_type=input_type
            )
            body, _ = await _async.request_json(call, self._http, request)
            parse = partial(call.adapter.parse_embedding, body, model_id)
            return call.result(checked_embeddings(parse, len(texts), call.name))

    async def rerank(
        self,
        model: str,
        query: str,
        documents: Sequence[str],
        *,
        top_n: int | None = None,
        timeout: TimeoutLike = None,
    ) -> RerankResponse:
        """See :meth:`Client.rerank`."""
        call, model_id = self._rerank_call(model, query, documents, top_n, timeout)
        with call:
            request = call.adapter.rerank_request(model_id, query, documents, top_n=top_n)
            body, _ = await _async.request_json(call, self._http, request)
            parse = partial(call.adapter.parse_rerank, body, model_id)
            return call.result(checked_rerank(parse, len(documents), call.name))

    async def list_models(self, provider: str, *, timeout: TimeoutLike = None) -> list[ModelInfo]:
        """See :meth:`Client.list_models`."""
        call = self._models_call(provider, timeout)
        with call:
            page = ModelsPage(call)
            while True:
                body, _ = await _async.request_json(call, self._http, page.request)
                if page.advance(body):
                    return page.models or []

    async def aclose(self) -> None:
        """Closes the httpx client if this client made it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# Calls that do not fit a signature raise the library's typed errors (``_signatures``).
guard_signatures(Client)
guard_signatures(AsyncClient)
