"""OpenAI Chat Completions: OpenAI, Azure OpenAI and every OpenAI-compatible server.

Messages and tools are already in this dialect's shape (they are the lingua franca), so they go
out as given (../shared/spec/providers.md §2.1). Per provider, as data:

- the output limit is the field each provider documents (``conformance.FACTS``):
  ``max_completion_tokens`` for OpenAI and Azure (reasoning models refuse ``max_tokens``),
  DashScope and MiniMax (both deprecate ``max_tokens``), ``max_tokens`` for the other
  compatible servers; ``providers={"x": {"max_tokens_field": ...}}`` changes it;
- streams send ``stream_options: {"include_usage": true}`` only to the providers documented
  to take it (``ProviderFacts.stream_options``; the others send usage without it, and some
  reject unknown fields); ``providers={"x": {"stream_options": True/False}}`` decides
  otherwise, and a provider registered by the application gets it;
- ``embed(..., dimensions=N)`` becomes the provider's field (Mistral's ``output_dimension``);
- MiniMax: ``providers={"minimax": {"reasoning_split": True}}`` sends ``reasoning_split`` (the
  reasoning then arrives in ``reasoning_details`` instead of ``<think>`` tags in ``content``).

Azure (§11): ``{endpoint}/openai/deployments/{deployment}/...?api-version=...`` with the
``api-key`` header (or ``Authorization: Bearer`` with an Entra ID token from the
``azure_ad_token`` setting or ``AZURE_OPENAI_AD_TOKEN``); a base URL ending in ``/v1`` selects
the v1 API (plain OpenAI paths, no ``api-version``). The model part of ``azure/<name>`` is the
deployment name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .._backend import core
from .._event_fields import token_count
from ..structured import JSON_MODE_ONLY
from ..types import EmbeddingResponse
from ._options import COMPAT_RENAMED, compat_unsupported, options_set
from .base import Adapter, ApiKeyAuth, Auth, ChatParams, HttpRequest, dumps
from .conformance import FACTS

__all__ = ["AzureOpenAIChat", "OpenAIChat"]


class OpenAIChat(Adapter):
    """See the module documentation."""

    dialect = "openai-chat"

    # Chat ---------------------------------------------------------------------------------

    def chat_request(self, params: ChatParams) -> HttpRequest:
        return self.post_to(self.chat_path(params.model), self.chat_body(params), params.stream)

    def chat_path(self, model: str) -> str:
        return "/chat/completions"

    def post_to(self, path: str, body: Mapping[str, Any], stream: bool = False) -> HttpRequest:
        return self.post(path, body, stream=stream)

    def chat_body(self, params: ChatParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": params.model,
            "messages": [dict(message) for message in params.messages],
        }
        if params.tools:
            body["tools"] = [dict(tool) for tool in params.tools]
        if params.tool_choice is not None:
            body["tool_choice"] = params.tool_choice
        if params.max_tokens is not None:
            body[self._max_tokens_field()] = params.max_tokens
        if params.temperature is not None:
            body["temperature"] = params.temperature
        if params.response_format is not None:
            if (
                params.response_format.get("type") == "json_schema"
                and self.provider.name in JSON_MODE_ONLY
            ):
                raise self.no_option("response_format", JSON_MODE_ONLY[self.provider.name])
            body["response_format"] = dict(params.response_format)
        if params.stream:
            body["stream"] = True
            if self._stream_options():
                body["stream_options"] = {"include_usage": True}
        self._options(params, body)
        split = self.provider.params.get("reasoning_split")
        if split is not None:
            body["reasoning_split"] = bool(split)
        if params.extra:
            body.update(params.extra)
        return body

    def _options(self, params: ChatParams, body: dict[str, Any]) -> None:
        """The request options under their own names (this dialect is where the names come
        from), except where the provider is documented to reject or rename one."""
        name = self.provider.name
        renamed = COMPAT_RENAMED.get(name, {})
        for option, value in options_set(params).items():
            if compat_unsupported(name, params.model, option):
                raise self.no_option(
                    option, "the provider rejects or ignores it (README, request options)"
                )
            if option == "stop" and not isinstance(value, str):
                body[option] = list(value)
            elif option == "metadata":
                body[option] = dict(value)
            else:
                body[renamed.get(option, option)] = value

    def _max_tokens_field(self) -> str:
        field = self.provider.params.get("max_tokens_field")
        if isinstance(field, str) and field:
            return field
        facts = FACTS.get(self.provider.name)
        return facts.max_tokens_field if facts is not None else "max_tokens"

    def _stream_options(self) -> bool:
        setting = self.provider.params.get("stream_options")
        if setting is not None:
            return bool(setting)
        facts = FACTS.get(self.provider.name)
        return facts is None or facts.stream_options is not False

    def replay(self, body: Any) -> bytes:
        """The whole completion as one ``chat.completion.chunk`` plus ``[DONE]``: choice 0's
        (the answer; other choices a server sent stay in ``ChatResponse.raw``)."""
        choices = []
        every = [c for c in _list(body, "choices") if isinstance(c, dict)]
        first = [c for c in every if c.get("index", 0) == 0][:1] or every[:1]
        for choice in first:
            message: dict[str, Any] = (
                choice["message"] if isinstance(choice.get("message"), dict) else {}
            )
            delta: dict[str, Any] = {
                key: _text(message.get(key))
                for key in ("content", "refusal", "reasoning_content", "reasoning")
                if message.get(key)
            }
            details = _text(message.get("reasoning_details"))  # MiniMax's reasoning_split
            if details and "reasoning_content" not in delta and "reasoning" not in delta:
                delta["reasoning"] = details
            calls = [
                {**call, "index": index}
                for index, call in enumerate(_list(message, "tool_calls"))
                if isinstance(call, dict)
            ]
            if calls:
                delta["tool_calls"] = calls
            choices.append(
                {
                    "index": 0,
                    "delta": delta,
                    "finish_reason": choice.get("finish_reason"),
                }
            )
        chunk: dict[str, Any] = {"choices": choices}
        if isinstance(body, dict) and isinstance(body.get("usage"), dict):
            chunk["usage"] = body["usage"]
        return b"data: " + dumps(chunk) + b"\n\ndata: [DONE]\n\n"

    # Embeddings and models ------------------------------------------------------------------

    def embed_request(
        self,
        model: str,
        inputs: Sequence[str],
        *,
        dimensions: int | None = None,
        input_type: str | None = None,
    ) -> HttpRequest:
        # ``input_type`` has no OpenAI field; servers that know one take it through the
        # provider's own dialect.
        body: dict[str, Any] = {"model": model, "input": list(inputs), "encoding_format": "float"}
        if dimensions is not None:
            facts = FACTS.get(self.provider.name)
            field = facts.embed_dimensions_field if facts is not None else None
            body[field or "dimensions"] = dimensions
        return self.post_to(self.embeddings_path(model), body)

    def embeddings_path(self, model: str) -> str:
        return "/embeddings"

    def parse_embedding(self, body: Any, model: str) -> EmbeddingResponse:
        return openai_embeddings(body, model, self.provider.name)

    def models_url(self) -> tuple[str, str]:
        url = self.provider.models_url()
        if url is None:
            raise self._unsupported("a models list (the provider documents none)")
        from ..catalog._live import PROVIDER_KINDS  # noqa: PLC0415  (only list_models needs it)

        return PROVIDER_KINDS.get(self.provider.name, "openai"), url


class AzureOpenAIChat(OpenAIChat):
    """Azure OpenAI: deployment URLs with ``api-version``, or the v1 API."""

    def _v1(self) -> bool:
        return self.provider.base_url.rstrip("/").endswith("/v1")

    def chat_path(self, model: str) -> str:
        return self._deployment(model, "chat/completions")

    def embeddings_path(self, model: str) -> str:
        return self._deployment(model, "embeddings")

    def _deployment(self, model: str, operation: str) -> str:
        if self._v1():
            return "/" + operation
        return f"/deployments/{quote(model, safe='')}/{operation}"

    def post_to(self, path: str, body: Mapping[str, Any], stream: bool = False) -> HttpRequest:
        request = self.post(path, body, stream=stream)
        version = self.provider.params.get("api_version")
        if not self._v1() and version:
            request.url += "?api-version=" + quote(str(version), safe="")
        return request

    def auth(self) -> Auth:
        provider = self.provider
        if provider.api_key:
            return ApiKeyAuth.of(provider)
        token = provider.params.get("azure_ad_token") or os.environ.get("AZURE_OPENAI_AD_TOKEN")
        headers = dict(provider.headers)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return ApiKeyAuth(headers, str(token) if token else None)

    def models_url(self) -> tuple[str, str]:
        if self._v1():
            return "openai", self.provider.url("/models")
        raise self._unsupported("a models list")


def openai_embeddings(body: Any, model: str, provider: str) -> EmbeddingResponse:
    """An OpenAI-shaped embeddings list (also Jina, Voyage, Mistral), in input order."""
    items = [item for item in _list(body, "data") if isinstance(item, dict)]
    items.sort(key=lambda item: item.get("index", 0))
    usage = body.get("usage") if isinstance(body, dict) else None
    return EmbeddingResponse(
        embeddings=[[float(x) for x in item.get("embedding") or ()] for item in items],
        model=str(body.get("model") or model) if isinstance(body, dict) else model,
        provider=provider,
        usage=_embedding_usage(usage),
        raw=body,
    )


def _embedding_usage(usage: Any) -> Any:
    if not isinstance(usage, dict):
        return None
    prompt = token_count(usage.get("prompt_tokens"))
    total = token_count(usage.get("total_tokens"))
    prompt = prompt if prompt is not None else total
    return core.Usage(
        input_tokens=prompt,
        output_tokens=0,
        total_tokens=total if total is not None else prompt,
    )


def _text(value: Any) -> str:
    """Message text: a string, or the text parts of a list of content parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part["text"]
            for part in value
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _list(container: Any, key: str) -> list[Any]:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, list) else []
