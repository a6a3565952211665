"""What a dialect adapter is, and what the clients ask of it.

An adapter turns a call into an HTTP request for one wire format and a response back into
fluent-ai values; it does no I/O. It is four things:

1. request encoding: :meth:`Adapter.chat_request` (and ``embed_request``, ``rerank_request``,
   ``models_url``) -> an :class:`HttpRequest` (method, URL, headers, JSON body bytes);
2. non-stream response parsing: :meth:`Adapter.replay` turns a whole response body into bytes
   in the provider's *stream* format, which the client feeds to the same ``StreamDecoder`` as a
   stream (so ``chat()`` and ``stream()`` normalize text, tool calls, usage and stop reasons with
   one piece of code), plus ``parse_embedding`` / ``parse_rerank``;
3. the ``StreamDecoder`` dialect name (:attr:`Adapter.dialect`);
4. an auth hook (:meth:`Adapter.auth`): an :class:`Auth` that signs each attempt's request
   (API-key headers here; AWS SigV4 and Google OAuth plug in the same way, and may do I/O
   through the client's httpx client).

Adapters are found by the provider's registry dialect (:func:`fluent_ai.providers.adapter_for`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigurationError, UnsupportedParameterError
from ..types import EmbeddingResponse, RerankResponse
from .registry import ResolvedProvider

__all__ = [
    "Adapter",
    "ApiKeyAuth",
    "Auth",
    "ChatParams",
    "HttpRequest",
    "dumps",
]


@dataclass
class HttpRequest:
    """One HTTP request, ready to be signed and sent. ``headers`` are left out of ``repr``
    (they carry keys). ``body`` is the exact bytes sent (SigV4 signs them)."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    body: bytes | None = None
    stream: bool = False


@dataclass(frozen=True)
class ChatParams:
    """A chat call in the lingua franca (OpenAI-style messages and tools).

    ``model`` is the provider's model id (the part after ``provider/``). ``extra`` (the
    client's ``extra_body``) is merged into the JSON body last (provider-specific fields such
    as ``thinking``). ``stop`` is a str or a tuple (a list given was copied).
    """

    model: str
    messages: Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]] | None = None
    tool_choice: Any = None
    max_tokens: int | None = None
    temperature: float | None = None
    response_format: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] | None = None
    stream: bool = False
    # The request options (README, Clients: request options), named as the openai SDK names
    # them; each adapter translates them or raises ``UnsupportedParameterError``.
    top_p: float | None = None
    stop: str | tuple[str, ...] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None
    user: str | None = None
    metadata: Mapping[str, str] | None = None


@runtime_checkable
class Auth(Protocol):
    """Signs a request before each attempt (retries are signed again: signatures and tokens
    expire). ``http`` is the client's ``httpx.Client`` (``sign``) or ``httpx.AsyncClient``
    (``asign``), for auth that must fetch a token; an ``APIError`` from that fetch fails the
    attempt like an answer with its status. ``secrets`` are redacted from every message, log
    record and exception (asked again for each, so fetched tokens count).

    A hook may also have ``refused(request) -> bool``: after a 401 the client calls it (once
    per call) with the request that was refused, and attempts once more, at once, when it
    returns true (Google OAuth drops the access token that request carried)."""

    def sign(self, request: HttpRequest, http: Any) -> None: ...

    async def asign(self, request: HttpRequest, http: Any) -> None: ...

    def secrets(self) -> tuple[str, ...]: ...


class ApiKeyAuth:
    """The provider's key in its header (``Authorization: Bearer``, ``x-api-key``,
    ``api-key``, ...), as the registry says, plus its fixed headers."""

    __slots__ = ("_headers", "_key")

    def __init__(self, headers: Mapping[str, str], key: str | None) -> None:
        self._headers = dict(headers)
        self._key = key

    @classmethod
    def of(cls, provider: ResolvedProvider) -> ApiKeyAuth:
        return cls(provider.request_headers(), provider.api_key)

    def sign(self, request: HttpRequest, http: Any) -> None:
        request.headers.update(self._headers)

    async def asign(self, request: HttpRequest, http: Any) -> None:
        request.headers.update(self._headers)

    def secrets(self) -> tuple[str, ...]:
        return (self._key,) if self._key else ()

    def __repr__(self) -> str:
        return "ApiKeyAuth(<redacted>)" if self._key else "ApiKeyAuth(no key)"


def dumps(body: Mapping[str, Any]) -> bytes:
    """A JSON body as sent: compact, UTF-8 (not ASCII-escaped). NaN and infinities are refused
    (``ValueError``): they are not JSON, and a provider would reject the body."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


# The model a stream names in its first frames (OpenAI chunks, Anthropic message_start).
_MODEL = re.compile(rb'"model"\s*:\s*"((?:[^"\\]|\\.){1,200})"')


class Adapter:
    """Base adapter: every operation a dialect does not have raises ``ConfigurationError``."""

    #: The ``StreamDecoder`` dialect of this adapter's streams.
    dialect = ""
    #: Finds the answering model's name in the first bytes of a stream.
    stream_model = _MODEL

    def __init__(self, provider: ResolvedProvider) -> None:
        self.provider = provider

    # Auth ---------------------------------------------------------------------------------

    def auth(self) -> Auth:
        """The hook that signs this provider's requests."""
        return ApiKeyAuth.of(self.provider)

    def for_model(self, model: str) -> Adapter:
        """The adapter that speaks to ``model`` (``self``; a provider that hosts several wire
        formats, Vertex AI, answers per model family)."""
        return self

    def endpoint(self) -> str:
        """The key of this provider's circuit breaker (one per endpoint)."""
        return f"{self.provider.name} {self.provider.base_url}"

    def headers(self, *, stream: bool = False) -> dict[str, str]:
        """Headers every request carries (auth comes later, from :meth:`auth`)."""
        return {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
        }

    def post(self, path: str, body: Mapping[str, Any], *, stream: bool = False) -> HttpRequest:
        return HttpRequest(
            "POST", self.provider.url(path), self.headers(stream=stream), dumps(body), stream
        )

    # Chat ---------------------------------------------------------------------------------

    def chat_request(self, params: ChatParams) -> HttpRequest:
        raise self._unsupported("chat")

    def replay(self, body: Any) -> bytes:
        """A whole (non-stream) chat response as bytes of this dialect's stream format."""
        raise self._unsupported("chat")

    def response_model(self, body: Any) -> str | None:
        """The model named by a whole chat response."""
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) and model else None

    # Embeddings, rerank, models -------------------------------------------------------------

    def embed_request(
        self,
        model: str,
        inputs: Sequence[str],
        *,
        dimensions: int | None = None,
        input_type: str | None = None,
    ) -> HttpRequest:
        raise self._unsupported("embeddings")

    def parse_embedding(self, body: Any, model: str) -> EmbeddingResponse:
        raise self._unsupported("embeddings")

    def embeddings(
        self, vectors: Any, body: Any, model: str, usage: Any = None
    ) -> EmbeddingResponse:
        """An ``EmbeddingResponse`` of ``vectors`` (lists of numbers, in input order); the
        model is the one the body names, else the one asked for."""
        named = body.get("model") if isinstance(body, dict) else None
        return EmbeddingResponse(
            embeddings=[[float(x) for x in vector] for vector in vectors or ()],
            model=named if isinstance(named, str) and named else model,
            provider=self.provider.name,
            usage=usage,
            raw=body,
        )

    def rerank_request(
        self, model: str, query: str, documents: Sequence[str], *, top_n: int | None = None
    ) -> HttpRequest:
        raise self._unsupported("rerank")

    def parse_rerank(self, body: Any, model: str) -> RerankResponse:
        raise self._unsupported("rerank")

    def models_url(self) -> tuple[str, str]:
        """``(kind, url)`` of the models list: ``kind`` names the catalog's parser."""
        raise self._unsupported("a models list")

    def no_option(self, option: str, reason: str = "") -> UnsupportedParameterError:
        """The error for a request option this provider cannot take."""
        return UnsupportedParameterError(self.provider.name, option, reason)

    def _unsupported(self, what: str) -> ConfigurationError:
        spec = self.provider.spec
        return ConfigurationError(
            f"provider {self.provider.name!r} (dialect {spec.dialect!r}) has no {what} in fluent-ai"
        )
