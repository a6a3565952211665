"""Typing for the native core, ``fluent_ai._core``.

The pure-Python backend (``fluent_ai._purepy``) has the same names, signatures and behaviour.
"""

import datetime
import uuid
from typing import Final, final

__version__: Final[str]
SIMD_LEVEL: Final[str]
"""The scanning kernels chosen at run time: ``"avx2"``, ``"sse2"``, ``"neon"`` or ``"scalar"``."""

@final
class SseEvent:
    """One dispatched server-sent event (immutable, compared by value)."""

    __match_args__ = ("event", "data", "id", "retry")
    def __new__(
        cls, event: str = "message", data: str = "", id: str = "", retry: int | None = None
    ) -> SseEvent: ...
    @property
    def event(self) -> str:
        """The event type; ``"message"`` when the block set none."""
    @property
    def data(self) -> str:
        """The data lines joined with ``"\\n"``."""
    @property
    def id(self) -> str:
        """The last event ID in effect when the event was dispatched (``""`` when none)."""
    @property
    def retry(self) -> int | None:
        """The reconnection time (ms) from the latest valid ``retry`` field, if any."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class SseDecoder:
    """Incremental WHATWG server-sent-events parser: bytes in, dispatched events out."""

    def __new__(cls, max_event_bytes: int = 8388608) -> SseDecoder: ...
    def feed(self, data: bytes) -> list[SseEvent]:
        """Consume a chunk; return the events it completes. Raises ``LimitExceeded``."""
    def finish(self) -> list[SseEvent]:
        """Signal end of input. An unterminated event is discarded (see ``pending_bytes``)."""
    @property
    def last_event_id(self) -> str: ...
    @property
    def retry(self) -> int | None: ...
    @property
    def position(self) -> int:
        """Bytes consumed so far."""
    @property
    def pending_bytes(self) -> int:
        """Bytes received since the last event boundary (discarded if the stream ends)."""

@final
class NdjsonDecoder:
    """Newline-delimited JSON: one JSON value per line, blank lines skipped, CRLF accepted."""

    def __new__(cls, max_line_bytes: int = 8388608) -> NdjsonDecoder: ...
    def feed(self, data: bytes) -> list[object]:
        """Consume a chunk; return the values of the lines it completes."""
    def finish(self) -> list[object]:
        """Signal end of input; a last line without a newline is parsed here."""
    @property
    def position(self) -> int: ...

@final
class EventStreamMessage:
    """One AWS event-stream message (immutable, compared by value)."""

    __match_args__ = ("headers", "payload")
    def __new__(
        cls,
        headers: dict[str, bool | int | bytes | str | datetime.datetime | uuid.UUID],
        payload: bytes,
    ) -> EventStreamMessage: ...
    @property
    def headers(self) -> dict[str, bool | int | bytes | str | datetime.datetime | uuid.UUID]:
        """The headers in wire order, as a new dict on each access.

        Values: ``bool`` (types 0, 1), ``int`` (2 to 5), ``bytes`` (6), ``str`` (7), a UTC
        ``datetime`` (8, milliseconds since the epoch) and ``uuid.UUID`` (9). A name that
        repeats keeps its first place and takes its last value.
        """
    @property
    def payload(self) -> bytes: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class EventStreamDecoder:
    """AWS event-stream (``application/vnd.amazon.eventstream``) framer with CRC checks.

    Once 12 bytes of a message are known, its prelude CRC (``kind="prelude_crc"``), lengths
    (``"length"``) and size (``LimitExceeded`` above ``max_message_bytes``) are checked; once
    its last byte is, its message CRC (``"message_crc"``), then its headers (``"header"``).
    An error is final: every later ``feed``/``finish`` raises it again.
    """

    def __new__(cls, max_message_bytes: int = 16777216) -> EventStreamDecoder: ...
    def feed(self, data: bytes) -> list[EventStreamMessage]:
        """Consume a chunk; return the messages it completes. Raises ``EventStreamError``."""
    def finish(self) -> list[EventStreamMessage]:
        """Signal end of input; raises ``EventStreamError`` if a message is unfinished."""
    @property
    def position(self) -> int:
        """Bytes consumed so far (a call that raises consumes nothing)."""

@final
class JsonStream:
    """Push parser for one JSON text (RFC 8259), fed in fragments of any size."""

    def __new__(cls, max_depth: int = 256, max_bytes: int = 67108864) -> JsonStream: ...
    def feed(self, data: str | bytes) -> bool:
        """Consume a fragment; return ``True`` once the top-level value is complete."""
    def finish(self) -> object:
        """Signal end of input and return the value; raises ``JsonStreamError`` if incomplete."""
    def partial(self) -> object:
        """The value as if the input received so far were closed here (``None`` before one)."""
    @property
    def complete(self) -> bool: ...
    @property
    def position(self) -> int:
        """Bytes consumed so far (UTF-8 bytes for ``str`` input)."""

# Private: the two whole-document paths compared by benches/bench_loads.py.
def _loads(data: bytes) -> object: ...
def _loads_simd_json(data: bytes) -> object: ...
