"""Embedding and rerank services without chat: Jina and Voyage (../shared/spec/providers.md §9).

Both answer embeddings in OpenAI's shape. Jina takes ``task`` for the input type
(``retrieval.query``, ``retrieval.passage``, ...) and ``top_n`` for rerank; Voyage takes
``input_type`` (``query``/``document``), ``output_dimension``, and ``top_k`` for rerank, whose
results come in ``data`` rather than ``results``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._backend import core
from .._event_fields import token_count
from ..types import EmbeddingResponse, RerankResponse, RerankResult
from .base import Adapter, HttpRequest
from .openai_chat import openai_embeddings

__all__ = ["Jina", "Voyage", "rerank_body", "rerank_response"]


class Jina(Adapter):
    """Jina embeddings and reranker."""

    dialect = "openai-chat"
    # Field names, the only difference between the two services.
    dimensions_field = "dimensions"
    input_type_field = "task"
    top_field = "top_n"
    results_key = "results"

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
            body[self.dimensions_field] = dimensions
        if input_type is not None:
            body[self.input_type_field] = input_type
        return self.post("/embeddings", body)

    def parse_embedding(self, body: Any, model: str) -> EmbeddingResponse:
        return openai_embeddings(body, model, self.provider.name)

    def rerank_request(
        self, model: str, query: str, documents: Sequence[str], *, top_n: int | None = None
    ) -> HttpRequest:
        return self.post("/rerank", rerank_body(model, query, documents, top_n, self.top_field))

    def parse_rerank(self, body: Any, model: str) -> RerankResponse:
        return rerank_response(body, self.results_key, model, self.provider.name)


class Voyage(Jina):
    """Voyage embeddings and reranker."""

    dimensions_field = "output_dimension"
    input_type_field = "input_type"
    top_field = "top_k"
    results_key = "data"


def rerank_body(
    model: str, query: str, documents: Sequence[str], top_n: int | None, top_field: str
) -> dict[str, Any]:
    """A rerank request; ``top_field`` names the count (``top_n`` or Voyage's ``top_k``)."""
    body: dict[str, Any] = {"model": model, "query": query, "documents": list(documents)}
    if top_n is not None:
        body[top_field] = top_n
    return body


def rerank_response(body: Any, key: str, model: str, provider: str) -> RerankResponse:
    """Rerank results under ``key`` (``results`` or ``data``), most relevant first; a returned
    document is kept as text (Jina's ``{"text"}`` or Voyage's plain string)."""
    items = body.get(key) if isinstance(body, dict) else None
    results = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or not isinstance(item.get("index"), int):
            continue
        document = item.get("document")
        if isinstance(document, dict):
            document = document.get("text")
        results.append(
            RerankResult(
                index=item["index"],
                relevance_score=float(item.get("relevance_score") or 0.0),
                document=document if isinstance(document, str) else None,
            )
        )
    results.sort(key=lambda result: -result.relevance_score)
    usage = body.get("usage") if isinstance(body, dict) else None
    tokens = token_count(usage.get("total_tokens")) if isinstance(usage, dict) else None
    return RerankResponse(
        results=results,
        model=str(body.get("model") or model) if isinstance(body, dict) else model,
        provider=provider,
        usage=core.Usage(input_tokens=tokens, total_tokens=tokens) if tokens is not None else None,
        raw=body,
    )
