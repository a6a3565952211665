"""fluent-ai: fast, exact streaming for LLM provider APIs.

The core (stream framers and the incremental JSON parser) comes from the native module when
it is available and from a pure-Python implementation with the same behaviour otherwise; see
:func:`backend`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._backend import BackendInfo, backend, core
from .errors import (
    EventStreamError,
    FluentAIError,
    JsonStreamError,
    LimitExceeded,
    StreamDecodeError,
    StreamTruncated,
)

SseDecoder = core.SseDecoder
SseEvent = core.SseEvent
NdjsonDecoder = core.NdjsonDecoder
EventStreamDecoder = core.EventStreamDecoder
EventStreamMessage = core.EventStreamMessage
JsonStream = core.JsonStream
StreamDecoder = core.StreamDecoder
ToolCallAssembler = core.ToolCallAssembler
TextDelta = core.TextDelta
ReasoningDelta = core.ReasoningDelta
ToolCallStart = core.ToolCallStart
ToolCallDelta = core.ToolCallDelta
ToolCallDone = core.ToolCallDone
ToolCallInvalid = core.ToolCallInvalid
Usage = core.Usage
Finish = core.Finish
ProviderErrorEvent = core.ProviderErrorEvent
PartialToolCall = core.PartialToolCall
Metrics = core.Metrics
CircuitBreaker = core.CircuitBreaker

#: The process-wide default ``Metrics`` (pass it as ``StreamDecoder(dialect, metrics=...)``).
metrics = Metrics()

__version__: str = core.__version__

__all__ = [
    "BackendInfo",
    "CircuitBreaker",
    "EventStreamDecoder",
    "EventStreamError",
    "EventStreamMessage",
    "Finish",
    "FluentAIError",
    "JsonStream",
    "JsonStreamError",
    "LimitExceeded",
    "Metrics",
    "NdjsonDecoder",
    "PartialToolCall",
    "ProviderErrorEvent",
    "ReasoningDelta",
    "SseDecoder",
    "SseEvent",
    "StreamDecodeError",
    "StreamDecoder",
    "StreamTruncated",
    "TextDelta",
    "ToolCallAssembler",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallInvalid",
    "ToolCallStart",
    "Usage",
    "__version__",
    "backend",
    "metrics",
]

# The model catalog is imported on first access (``fluent_ai.catalog``) so that importing
# fluent_ai stays fast; the catalog reads its snapshot only when first used.
if TYPE_CHECKING:
    from . import catalog

__all__ += ["catalog"]

# The clients (which import httpx) load on first access too: ``fluent_ai.Client``.
from .resilience import BreakerPolicy, RateLimit, RetryPolicy  # noqa: E402
from .types import ChatResponse, EmbeddingResponse, RerankResponse, RerankResult, Timeout  # noqa: E402

_CLIENT_NAMES = ("AsyncChatStream", "AsyncClient", "ChatStream", "Client")
if TYPE_CHECKING:
    from .client import AsyncChatStream, AsyncClient, ChatStream, Client

__all__ += [
    "AsyncChatStream",
    "AsyncClient",
    "BreakerPolicy",
    "ChatResponse",
    "ChatStream",
    "Client",
    "EmbeddingResponse",
    "RateLimit",
    "RerankResponse",
    "RerankResult",
    "RetryPolicy",
    "Timeout",
]


def __getattr__(name: str) -> Any:
    if name == "catalog":
        return importlib.import_module(".catalog", __name__)
    if name in _CLIENT_NAMES:
        value = getattr(importlib.import_module(".client", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
