"""The exceptions of fluent-ai, defined once and raised by both backends.

Every decoding error carries the byte ``position`` in the whole stream where the input went
wrong and a short ``excerpt`` of the bytes around it, so a bad stream can be diagnosed from
the exception alone. They also inherit from :class:`ValueError`, so code that already catches
``ValueError`` around JSON parsing keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "EventStreamError",
    "FluentAIError",
    "JsonStreamError",
    "LimitExceeded",
    "StreamDecodeError",
]


class FluentAIError(Exception):
    """Base class of every exception fluent-ai raises on purpose."""


class StreamDecodeError(FluentAIError, ValueError):
    """A byte stream (SSE, NDJSON, event-stream, JSON) could not be decoded.

    ``position`` is the offset, in bytes from the start of the stream, of the first byte that
    made the input invalid (for input that ended too early: the number of bytes received).
    ``excerpt`` shows up to 16 bytes on each side of it, decoded with replacement characters.
    ``completed`` holds the items the failing call had completed before the error, in order;
    they are not returned any other way (``[]`` for a call that completed none, and for every
    call after the first failure).
    """

    def __init__(
        self,
        message: str,
        *,
        position: int,
        excerpt: str = "",
        completed: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.excerpt = excerpt
        self.completed: list[object] = [] if completed is None else list(completed)

    def __str__(self) -> str:
        if self.excerpt:
            return f"{self.message} (at byte {self.position}, near {self.excerpt!r})"
        return f"{self.message} (at byte {self.position})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keep keyword-only fields when an error crosses a process boundary.
        return (_rebuild, (type(self), self.message, self.__dict__))


class JsonStreamError(StreamDecodeError):
    """Invalid JSON: a syntax error, invalid UTF-8, or input that ended before the value."""


class EventStreamError(StreamDecodeError):
    """An AWS event-stream message is corrupt.

    ``kind`` says which check failed: ``"prelude_crc"``, ``"message_crc"``, ``"length"``
    (impossible or truncated lengths) or ``"header"`` (a malformed header block).
    """

    def __init__(
        self,
        message: str,
        *,
        position: int,
        excerpt: str = "",
        kind: str,
        completed: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message, position=position, excerpt=excerpt, completed=completed)
        self.kind = kind


class LimitExceeded(StreamDecodeError):
    """A configured limit (size, depth, length) was crossed; ``limit`` is its value."""

    def __init__(
        self,
        message: str,
        *,
        position: int,
        excerpt: str = "",
        limit: int,
        completed: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message, position=position, excerpt=excerpt, completed=completed)
        self.limit = limit


def _rebuild(cls: type[StreamDecodeError], message: str, state: dict[str, object]) -> object:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error
