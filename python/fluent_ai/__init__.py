"""fluent-ai: fast, exact streaming for LLM provider APIs.

The core (stream framers and the incremental JSON parser) comes from the native module when
it is available and from a pure-Python implementation with the same behaviour otherwise; see
:func:`backend`.
"""

from __future__ import annotations

from ._backend import BackendInfo, backend, core
from .errors import (
    EventStreamError,
    FluentAIError,
    JsonStreamError,
    LimitExceeded,
    StreamDecodeError,
)

SseDecoder = core.SseDecoder
SseEvent = core.SseEvent
NdjsonDecoder = core.NdjsonDecoder
EventStreamDecoder = core.EventStreamDecoder
EventStreamMessage = core.EventStreamMessage
JsonStream = core.JsonStream

__version__: str = core.__version__

__all__ = [
    "BackendInfo",
    "EventStreamDecoder",
    "EventStreamError",
    "EventStreamMessage",
    "FluentAIError",
    "JsonStream",
    "JsonStreamError",
    "LimitExceeded",
    "NdjsonDecoder",
    "SseDecoder",
    "SseEvent",
    "StreamDecodeError",
    "__version__",
    "backend",
]
