"""The pure-Python implementation of every name in ``fluent_ai._core``.

It mirrors ``rust/`` module for module, with the same behaviour, error classes, messages
and positions, so that the package works where the native module cannot be loaded. Import
the core through ``fluent_ai`` (or ``fluent_ai._backend``), not from here.
"""

from __future__ import annotations

from .breaker import CircuitBreaker
from .dialect import StreamDecoder
from .events import (
    Finish,
    PartialToolCall,
    ProviderErrorEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallInvalid,
    ToolCallStart,
    Usage,
)
from .eventstream import EventStreamDecoder, EventStreamMessage
from .json import JsonStream
from .metrics import Metrics
from .metrics import _metrics_record_loop as _metrics_record_loop
from .ndjson import NdjsonDecoder
from .sse import SseDecoder, SseEvent
from .toolcall import ToolCallAssembler

__version__ = "0.1.0"
SIMD_LEVEL: str | None = None

__all__ = [
    "SIMD_LEVEL",
    "CircuitBreaker",
    "EventStreamDecoder",
    "EventStreamMessage",
    "Finish",
    "JsonStream",
    "Metrics",
    "NdjsonDecoder",
    "PartialToolCall",
    "ProviderErrorEvent",
    "ReasoningDelta",
    "SseDecoder",
    "SseEvent",
    "StreamDecoder",
    "TextDelta",
    "ToolCallAssembler",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallInvalid",
    "ToolCallStart",
    "Usage",
    "__version__",
]
