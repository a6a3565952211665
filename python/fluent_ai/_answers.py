"""Checks on the shape of a successful (2xx) JSON answer, so that an answer that cannot be what
was asked for is a typed ``APIError`` instead of an internal error or a silently short result.

A chat answer must be a JSON object; an embeddings answer must hold one vector of numbers per
input; a rerank answer must rank documents that were given (each index once, finite scores).
The server did answer, so these errors are not retried (asking again would bill again).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import APIError
from .types import EmbeddingResponse, RerankResponse

__all__ = ["chat_object", "checked_embeddings", "checked_rerank"]

T = TypeVar("T")


_EXPECTED = {
    "embeddings": "one vector of finite numbers per input",
    "rerank": "a ranking of the documents given, with finite scores",
}


def _malformed(what: str, provider: str | None) -> APIError:
    text = f"the {what} answer is malformed (expected {_EXPECTED[what]})"
    return APIError(text, provider=provider, status_code=200)


def chat_object(body: Any, provider: str | None) -> Any:
    """``body`` when it is a JSON object (a chat answer), else an ``APIError``."""
    if not isinstance(body, dict):
        raise APIError(
            f"the chat answer is not a JSON object (got {type(body).__name__})",
            provider=provider,
            status_code=200,
        )
    return body


def _parsed(parse: Callable[[], T], what: str, provider: str | None) -> T:
    try:
        return parse()
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
        raise _malformed(what, provider) from None


def checked_embeddings(
    parse: Callable[[], EmbeddingResponse], count: int, provider: str | None
) -> EmbeddingResponse:
    """The parsed embeddings, when there is one finite vector of numbers per input."""
    result = _parsed(parse, "embeddings", provider)
    vectors = result.embeddings
    if len(vectors) != count:
        raise APIError(
            f"the embeddings answer holds {len(vectors)} vectors for {count} inputs",
            provider=provider,
            status_code=200,
        )
    for vector in vectors:
        if not vector or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
            for x in vector
        ):
            raise _malformed("embeddings", provider)
    return result


def checked_rerank(
    parse: Callable[[], RerankResponse], documents: int, provider: str | None
) -> RerankResponse:
    """The parsed ranking, when it ranks given documents, each once, with finite scores."""
    result = _parsed(parse, "rerank", provider)
    seen: set[int] = set()
    for item in result.results:
        if not 0 <= item.index < documents or item.index in seen:
            raise APIError(
                f"the rerank answer ranks document {item.index}, of {documents} given"
                + (" twice" if item.index in seen else ""),
                provider=provider,
                status_code=200,
            )
        if not math.isfinite(item.relevance_score):
            raise _malformed("rerank", provider)
        seen.add(item.index)
    if documents and not result.results:
        raise APIError("the rerank answer ranks no document", provider=provider, status_code=200)
    return result
