"""fluent-ai: fast, exact streaming for LLM provider APIs.

The core (stream framers and the incremental JSON parser) comes from the native module when
it is available and from a pure-Python implementation with the same behaviour otherwise; see
:func:`backend`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Union

from ._backend import BackendInfo, backend, core
from .errors import (
    EventStreamError,
    FluentAIError,
    JsonStreamError,
    LimitExceeded,
    StreamDecodeError,
    StreamTruncated,
)
from .structured import OutputPartial

# Type checkers read the classes from ``_core.pyi`` (which both backends implement); at run
# time they are the active backend's own classes (see :func:`backend`).
if TYPE_CHECKING:
    from ._core import (
        CircuitBreaker,
        Event,
        EventStreamDecoder,
        EventStreamMessage,
        Finish,
        JsonStream,
        Metrics,
        NdjsonDecoder,
        PartialToolCall,
        ProviderErrorEvent,
        ReasoningDelta,
        SseDecoder,
        SseEvent,
        StreamDecoder,
        TextDelta,
        ToolCallAssembler,
        ToolCallDelta,
        ToolCallDone,
        ToolCallInvalid,
        ToolCallStart,
        Usage,
    )
else:
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
    #: Any normalized stream event (what ``ChatStream`` and ``StreamDecoder.feed`` yield).
    #: A ``typing.Union``, so ``isinstance(x, Event)`` works on Python 3.10 and newer.
    Event = Union[
        TextDelta,
        ReasoningDelta,
        ToolCallStart,
        ToolCallDelta,
        ToolCallDone,
        ToolCallInvalid,
        Usage,
        Finish,
        ProviderErrorEvent,
        OutputPartial,  # structured output (ChatStream only)
    ]

#: The process-wide default ``Metrics`` (pass it as ``StreamDecoder(dialect, metrics=...)``).
metrics: Metrics = Metrics()

__version__: str = core.__version__

# FLUENT_AI_LOG=debug|info|warning shows the library's log records (fluent_ai.telemetry,
# imported only then: ``import fluent_ai`` stays fast).
if __import__("os").environ.get("FLUENT_AI_LOG"):
    from .telemetry._logging import apply_env as _apply_log_env

    _apply_log_env()

__all__ = [
    "BackendInfo",
    "CircuitBreaker",
    "Event",
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
    "OutputPartial",
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
# The catalog's value types, from the catalog on first access too.
_CATALOG_NAMES = ("Cost", "ModelInfo")
# The router (fluent_ai.router), also loaded on first access.
_ROUTER_NAMES = ("AsyncRouter", "Deployment", "Router")
if TYPE_CHECKING:
    from .catalog import Cost, ModelInfo
    from .client import AsyncChatStream, AsyncClient, ChatStream, Client
    from .router import AsyncRouter, Deployment, Router

__all__ += [
    "AsyncChatStream",
    "AsyncClient",
    "AsyncRouter",
    "BreakerPolicy",
    "ChatResponse",
    "ChatStream",
    "Client",
    "Cost",
    "Deployment",
    "EmbeddingResponse",
    "ModelInfo",
    "RateLimit",
    "RerankResponse",
    "RerankResult",
    "RetryPolicy",
    "Router",
    "Timeout",
]


# Hidden from type checkers: a module ``__getattr__`` would make every misspelt name ``Any``
# to them (the lazy names are declared by the ``TYPE_CHECKING`` imports above).
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name == "catalog":
            return importlib.import_module(".catalog", __name__)
        if name in _CLIENT_NAMES or name in _CATALOG_NAMES or name in _ROUTER_NAMES:
            module = (
                ".client"
                if name in _CLIENT_NAMES
                else ".catalog"
                if name in _CATALOG_NAMES
                else ".router"
            )
            value = getattr(importlib.import_module(module, __name__), name)
            globals()[name] = value
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
