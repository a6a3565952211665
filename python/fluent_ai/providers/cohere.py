"""Cohere v2 (../shared/spec/providers.md §7): ``POST /v2/chat``, ``/v2/embed``,
``/v2/rerank`` with a bearer key.

Cohere v2 messages are close to the lingua franca: ``system``/``user``/``assistant``/``tool``
roles, OpenAI-shaped ``tool_calls`` and tools; ``developer`` becomes ``system``. ``tool_choice``
``"required"``/``"none"`` become ``REQUIRED``/``NONE`` (``auto`` is the default, so it is not
sent; Cohere cannot force one named tool). A JSON ``response_format`` becomes
``{"type": "json_object"[, "json_schema": ...]}``. Embeddings ask for ``float`` vectors with
``input_type`` (default ``search_document``, required by v3+ models).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._backend import core
from .._event_fields import token_count
from ..errors import ConfigurationError
from ..types import EmbeddingResponse, RerankResponse
from ._options import ANTHROPIC_THINKING_BUDGETS, stop_list
from .base import Adapter, ChatParams, HttpRequest, dumps
from .retrieval import rerank_body, rerank_response

__all__ = ["Cohere"]


class Cohere(Adapter):
    """See the module documentation."""

    dialect = "cohere"

    def chat_request(self, params: ChatParams) -> HttpRequest:
        body: dict[str, Any] = {
            "model": params.model,
            "messages": [_message(message) for message in params.messages],
        }
        if params.tools:
            body["tools"] = [dict(tool) for tool in params.tools]
        if params.tool_choice is not None and params.tool_choice != "auto":
            body["tool_choice"] = _tool_choice(params.tool_choice)
        if params.max_tokens is not None:
            body["max_tokens"] = params.max_tokens
        if params.temperature is not None:
            body["temperature"] = params.temperature
        if params.response_format is not None:
            response_format = _response_format(params.response_format)
            if response_format is not None:
                body["response_format"] = response_format
        if params.stream:
            body["stream"] = True
        self._options(params, body)
        if params.extra:
            body.update(params.extra)
        return self.post("/v2/chat", body, stream=params.stream)

    def _options(self, params: ChatParams, body: dict[str, Any]) -> None:
        """``top_p`` -> ``p``, ``stop`` -> ``stop_sequences``, ``seed`` and the penalties by
        name, ``reasoning_effort`` -> ``thinking: {type: enabled, token_budget}`` (the
        Anthropic budgets). v2 chat has no parallel-call switch and no end-user or metadata
        field."""
        if params.parallel_tool_calls is False:
            raise self.no_option("parallel_tool_calls", "Cohere v2 chat has no such switch")
        for option in ("user", "metadata"):
            if getattr(params, option) is not None:
                raise self.no_option(option, "Cohere v2 chat has no such field")
        if params.top_p is not None:
            body["p"] = params.top_p
        if params.stop is not None:
            body["stop_sequences"] = stop_list(params.stop)
        for option in ("seed", "presence_penalty", "frequency_penalty"):
            if getattr(params, option) is not None:
                body[option] = getattr(params, option)
        if params.reasoning_effort is not None:
            budget = ANTHROPIC_THINKING_BUDGETS[params.reasoning_effort]
            body["thinking"] = {"type": "enabled", "token_budget": budget}

    def replay(self, body: Any) -> bytes:
        """A whole answer as the events of its stream: the plan and text as one delta each,
        every call whole between its start and end, then ``message-end``."""
        body = body if isinstance(body, dict) else {}
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        events: list[dict[str, Any]] = []
        if isinstance(message.get("tool_plan"), str) and message["tool_plan"]:
            plan = {"message": {"tool_plan": message["tool_plan"]}}
            events.append({"type": "tool-plan-delta", "delta": plan})
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            events.append({"type": "content-delta", "delta": {"message": {"content": part}}})
        calls = message.get("tool_calls")
        for index, call in enumerate(calls if isinstance(calls, list) else ()):
            start = {"message": {"tool_calls": call}}
            events.append({"type": "tool-call-start", "index": index, "delta": start})
            events.append({"type": "tool-call-end", "index": index})
        end: dict[str, Any] = {"finish_reason": body.get("finish_reason")}
        if isinstance(body.get("usage"), dict):
            end["usage"] = body["usage"]
        events.append({"type": "message-end", "delta": end})
        return b"".join(
            b"event: " + str(event["type"]).encode() + b"\ndata: " + dumps(event) + b"\n\n"
            for event in events
        )

    def embed_request(
        self,
        model: str,
        inputs: Sequence[str],
        *,
        dimensions: int | None = None,
        input_type: str | None = None,
    ) -> HttpRequest:
        body: dict[str, Any] = {
            "model": model,
            "texts": list(inputs),
            "input_type": input_type or "search_document",
            "embedding_types": ["float"],
        }
        if dimensions is not None:
            body["output_dimension"] = dimensions
        return self.post("/v2/embed", body)

    def parse_embedding(self, body: Any, model: str) -> EmbeddingResponse:
        embeddings = body.get("embeddings") if isinstance(body, dict) else None
        vectors = embeddings.get("float") if isinstance(embeddings, dict) else embeddings
        return self.embeddings(vectors, body, model, _billed(body, "input_tokens"))

    def rerank_request(
        self, model: str, query: str, documents: Sequence[str], *, top_n: int | None = None
    ) -> HttpRequest:
        return self.post("/v2/rerank", rerank_body(model, query, documents, top_n, "top_n"))

    def parse_rerank(self, body: Any, model: str) -> RerankResponse:
        response = rerank_response(body, "results", model, self.provider.name)
        return RerankResponse(response.results, model, response.provider, None, body)

    def models_url(self) -> tuple[str, str]:
        return "cohere", self.provider.url("/v1/models")


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(message)
    if out.get("role") == "developer":
        out["role"] = "system"
    if out.get("content") is None:
        out.pop("content", None)
    return out


def _tool_choice(choice: Any) -> str:
    if choice in ("required", "any"):
        return "REQUIRED"
    if choice == "none":
        return "NONE"
    if isinstance(choice, str) and choice.upper() in ("REQUIRED", "NONE"):
        return choice.upper()
    raise ConfigurationError(f"tool_choice {choice!r} has no Cohere equivalent")


def _response_format(response_format: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = response_format.get("type")
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return {"type": "json_object", "json_schema": schema}
    return None


def _billed(body: Any, key: str) -> Any:
    meta = body.get("meta") if isinstance(body, dict) else None
    billed = meta.get("billed_units") if isinstance(meta, dict) else None
    tokens = token_count(billed.get(key)) if isinstance(billed, dict) else None
    return core.Usage(input_tokens=tokens) if tokens is not None else None
