"""Ollama's native API (../shared/spec/providers.md §8): ``POST /api/chat`` streaming NDJSON.

Messages: text content (parts joined), images as base64 in ``images`` (``data:`` URLs only:
Ollama does not fetch URLs), assistant ``tool_calls`` with object ``arguments``, tool results
with ``tool_name`` (looked up by ``tool_call_id``). ``max_tokens`` and ``temperature`` go in
``options`` (``num_predict``), ``response_format`` becomes ``format`` (``"json"`` or the
schema); Ollama has no ``tool_choice``, so it is not sent. ``stream`` is always sent, since
Ollama streams unless told not to. Embeddings: ``POST /api/embed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._backend import core
from .._event_fields import token_count
from ..errors import ConfigurationError
from ..types import EmbeddingResponse
from ._messages import call_arguments, data_url, image_url, text_of, tool_call_names
from ._options import stop_list
from .base import Adapter, ChatParams, HttpRequest, dumps

__all__ = ["Ollama"]


class Ollama(Adapter):
    """See the module documentation."""

    dialect = "ollama"

    def chat_request(self, params: ChatParams) -> HttpRequest:
        names = tool_call_names(params.messages)
        body: dict[str, Any] = {
            "model": params.model,
            "messages": [_message(m, names) for m in params.messages],
            "stream": params.stream,
        }
        if params.tools:
            body["tools"] = [dict(tool) for tool in params.tools]
        options: dict[str, Any] = {}
        if params.max_tokens is not None:
            options["num_predict"] = params.max_tokens
        if params.temperature is not None:
            options["temperature"] = params.temperature
        self._options(params, body, options)
        if options:
            body["options"] = options
        if params.response_format is not None:
            kind = params.response_format.get("type")
            if kind == "json_object":
                body["format"] = "json"
            elif kind == "json_schema":
                body["format"] = (params.response_format.get("json_schema") or {}).get("schema")
        if params.extra:
            body.update(params.extra)
        request = self.post("/api/chat", body, stream=params.stream)
        if params.stream:
            request.headers["accept"] = "application/x-ndjson"
        return request

    def _options(self, params: ChatParams, body: dict[str, Any], options: dict[str, Any]) -> None:
        """``top_p``, ``stop``, ``seed`` and the penalties in ``options``; ``reasoning_effort``
        -> ``think`` (``low``/``medium``/``high`` as those strings, which gpt-oss reads;
        ``minimal`` as ``"low"``, Ollama's lowest level). /api/chat has no parallel-call switch
        and no end-user or metadata field."""
        if params.parallel_tool_calls is False:
            raise self.no_option("parallel_tool_calls", "Ollama has no such switch")
        for option in ("user", "metadata"):
            if getattr(params, option) is not None:
                raise self.no_option(option, "Ollama's /api/chat has no such field")
        if params.top_p is not None:
            options["top_p"] = params.top_p
        if params.stop is not None:
            options["stop"] = stop_list(params.stop)
        for option in ("seed", "presence_penalty", "frequency_penalty"):
            if getattr(params, option) is not None:
                options[option] = getattr(params, option)
        if params.reasoning_effort is not None:
            effort = params.reasoning_effort
            body["think"] = "low" if effort == "minimal" else effort

    def replay(self, body: Any) -> bytes:
        """A whole answer is the stream's last line with the whole message in it."""
        return dumps(body) + b"\n"

    def embed_request(
        self,
        model: str,
        inputs: Sequence[str],
        *,
        dimensions: int | None = None,
        input_type: str | None = None,
    ) -> HttpRequest:
        body: dict[str, Any] = {"model": model, "input": list(inputs)}
        if dimensions is not None:
            body["dimensions"] = dimensions
        return self.post("/api/embed", body)

    def parse_embedding(self, body: Any, model: str) -> EmbeddingResponse:
        vectors = body.get("embeddings") if isinstance(body, dict) else None
        tokens = token_count(body.get("prompt_eval_count")) if isinstance(body, dict) else None
        usage = core.Usage(input_tokens=tokens) if tokens is not None else None
        return self.embeddings(vectors, body, model, usage)

    def models_url(self) -> tuple[str, str]:
        return "ollama", self.provider.url("/api/tags")


def _message(message: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    role = message.get("role")
    if role == "developer":
        role = "system"
    content = message.get("content")
    out: dict[str, Any] = {"role": role, "content": text_of(content)}
    images = [_image(url) for url in _image_urls(content)]
    if images:
        out["images"] = images
    calls = message.get("tool_calls")
    if calls:
        out["tool_calls"] = [
            {
                "function": {
                    "name": (c.get("function") or {}).get("name"),
                    "arguments": call_arguments(c),
                }
            }
            for c in calls
        ]
    if role == "tool":
        name = names.get(str(message.get("tool_call_id")))
        if name:
            out["tool_name"] = name
    return out


def _image_urls(content: Any) -> list[str]:
    if not isinstance(content, list):
        return []
    urls = (image_url(part) for part in content if isinstance(part, Mapping))
    return [url for url in urls if url is not None]


def _image(url: str) -> str:
    inline = data_url(url)
    if inline is None:
        raise ConfigurationError("Ollama takes images as data: URLs (base64), not links")
    return inline[1]
