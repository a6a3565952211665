"""Typing for the core: the native ``fluent_ai._core`` and the pure-Python
``fluent_ai._purepy``, which has the same names, signatures and behaviour.

``make lint`` checks this stub against the native module with ``mypy.stubtest``;
``tests/test_typing.py`` checks it against the pure-Python backend the same way (there the
constructors are ``__init__`` rather than ``__new__``).
"""

import datetime
import uuid
from collections.abc import Callable
from typing import Any, Final, Union, final

# typing_extensions, not typing: TypeAlias is new in 3.10 (type checkers always have its stub).
from typing_extensions import TypeAlias

# Not a core class: the structured-output event a chat stream adds (fluent_ai.structured).
from fluent_ai.structured._events import OutputPartial

__version__: Final[str]
SIMD_LEVEL: Final[str | None]
"""The scanning kernels chosen at run time: ``"avx2"``, ``"sse2"``, ``"neon"`` or ``"scalar"``
(``FLUENT_AI_SIMD`` forces one; a bad value or a level the CPU lacks fails the import);
``None`` on the pure-Python backend, which has no kernels."""

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
    """Newline-delimited JSON: one JSON value per line, blank lines skipped, CRLF accepted.

    A line may nest 512 containers; deeper raises ``LimitExceeded``.
    """

    def __new__(cls, max_line_bytes: int = 8388608) -> NdjsonDecoder: ...
    # JSON values are Any, as from json.loads: the caller knows their shape, not the decoder.
    def feed(self, data: bytes) -> list[Any]:
        """Consume a chunk; return the values of the lines it completes."""
    def finish(self) -> list[Any]:
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
    # The value is Any, as from json.loads (see NdjsonDecoder).
    def finish(self) -> Any:
        """Signal end of input and return the value; raises ``JsonStreamError`` if incomplete."""
    def partial(self) -> Any:
        """The value as if the input received so far were closed here (``None`` before one)."""
    @property
    def complete(self) -> bool: ...
    @property
    def position(self) -> int:
        """Bytes consumed so far (UTF-8 bytes for ``str`` input)."""

# Normalized stream events (issue 3): immutable, compared and hashed by value; a repr cut
# short per field (fluent_ai/_short_repr.py); to_dict() gives the fields by name.

@final
class TextDelta:
    """A piece of the answer's text; ``index`` is the choice (0 unless several were asked for)."""

    __match_args__ = ("text", "index")
    def __new__(cls, text: str, index: int = 0) -> TextDelta: ...
    @property
    def text(self) -> str: ...
    @property
    def index(self) -> int: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ReasoningDelta:
    """A piece of the model's reasoning (thinking) text."""

    __match_args__ = ("text",)
    def __new__(cls, text: str) -> ReasoningDelta: ...
    @property
    def text(self) -> str: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ToolCallStart:
    """A tool call began (``index``: its position among the response's calls)."""

    __match_args__ = ("index", "id", "name")
    def __new__(cls, index: int, id: str, name: str) -> ToolCallStart: ...
    @property
    def index(self) -> int: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ToolCallDelta:
    """A piece of a tool call's argument text."""

    __match_args__ = ("index", "fragment")
    def __new__(cls, index: int, fragment: str) -> ToolCallDelta: ...
    @property
    def index(self) -> int: ...
    @property
    def fragment(self) -> str: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ToolCallDone:
    """A tool call whose arguments closed: ``arguments`` is the parsed value, ``raw`` its text."""

    __match_args__ = ("index", "id", "name", "arguments", "raw")
    def __new__(cls, index: int, id: str, name: str, arguments: Any, raw: str) -> ToolCallDone: ...
    @property
    def index(self) -> int: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> Any: ...
    @property
    def raw(self) -> str: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ToolCallInvalid:
    """A tool call whose arguments are not valid JSON (the model's fault; the stream goes on)."""

    __match_args__ = ("index", "id", "name", "raw", "error")
    def __new__(cls, index: int, id: str, name: str, raw: str, error: str) -> ToolCallInvalid: ...
    @property
    def index(self) -> int: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def raw(self) -> str: ...
    @property
    def error(self) -> str: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Usage:
    """Token counts; a field the provider did not send is None."""

    __match_args__ = (
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
    )
    def __new__(
        cls,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        total_tokens: int | None = None,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> Usage: ...
    @property
    def input_tokens(self) -> int | None:
        """Every input token, cached or not."""
    @property
    def output_tokens(self) -> int | None: ...
    @property
    def total_tokens(self) -> int | None: ...
    @property
    def cache_read_tokens(self) -> int | None: ...
    @property
    def cache_write_tokens(self) -> int | None: ...
    @property
    def reasoning_tokens(self) -> int | None: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Finish:
    """The end of the response: ``reason`` is one of ``"stop"``, ``"length"``,
    ``"tool_calls"``, ``"content_filter"``, ``"error"``, ``"other"``; ``raw_reason`` the
    provider's word."""

    __match_args__ = ("reason", "raw_reason")
    def __new__(cls, reason: str, raw_reason: str | None) -> Finish: ...
    @property
    def reason(self) -> str: ...
    @property
    def raw_reason(self) -> str | None: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ProviderErrorEvent:
    """An error the provider sent inside the stream; ``raw`` is the payload as received."""

    __match_args__ = ("type", "message", "raw")
    def __new__(cls, type: str | None, message: str, raw: str) -> ProviderErrorEvent: ...
    @property
    def type(self) -> str | None: ...
    @property
    def message(self) -> str: ...
    @property
    def raw(self) -> str: ...
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class PartialToolCall:
    """A tool call that had not finished when its stream broke off (``StreamTruncated``)."""

    __match_args__ = ("index", "id", "name", "raw", "partial")
    def __new__(cls, index: int, id: str, name: str, raw: str, partial: Any) -> PartialToolCall: ...
    @property
    def index(self) -> int: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def raw(self) -> str: ...
    @property
    def partial(self) -> Any:
        """The arguments as if the text so far were closed (see ``JsonStream.partial()``)."""
    def to_dict(self) -> dict[str, Any]:
        """The fields by name (see the docs, "Types and serialization")."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

# Union[...], not |: checkers evaluate an alias's value for the user's Python version (3.9 too).
Event: TypeAlias = Union[  # noqa: UP007
    TextDelta,
    ReasoningDelta,
    ToolCallStart,
    ToolCallDelta,
    ToolCallDone,
    ToolCallInvalid,
    Usage,
    Finish,
    ProviderErrorEvent,
    OutputPartial,  # only from ChatStream with a structured response_format, never a decoder
]

@final
class ToolCallAssembler:
    """Assembles parallel tool calls from argument fragments (or whole argument objects)."""

    def __new__(
        cls, max_calls: int = 64, max_argument_bytes: int = 8388608
    ) -> ToolCallAssembler: ...
    def add(
        self,
        index: int,
        id: str | None = None,
        name: str | None = None,
        arguments: str | object | None = None,
    ) -> list[Event]:
        """Add what one chunk says of the call ``index``; return the events it completes.

        Raises ``LimitExceeded`` for too many calls, too many argument bytes, or arguments
        nested deeper than 256 containers (as text or as an object).
        """
    def finish(self) -> list[Event]:
        """Every call is over: report those still open (``ToolCallDone``/``ToolCallInvalid``)."""

@final
class StreamDecoder:
    """Decodes one streamed response of one provider dialect into normalized events."""

    def __new__(cls, dialect: str, metrics: Metrics | None = None) -> StreamDecoder: ...
    def feed(self, data: bytes) -> list[Event]:
        """Consume one network read; return the events it completes."""
    def finish(self, *, clean: bool = True) -> list[Event]:
        """Signal the end of the response; raises ``StreamTruncated`` if it ended early.

        ``clean=False`` says the connection broke: then only the dialect's end marker completes
        the stream (openai-chat's clean-end rule does not apply)."""
    @property
    def dialect(self) -> str: ...
    @property
    def text(self) -> str:
        """The text of every ``TextDelta`` so far."""
    @property
    def tool_calls(self) -> list[ToolCallDone]:
        """The ``ToolCallDone`` events so far."""
    @property
    def usage(self) -> Usage | None:
        """The latest ``Usage`` event."""
    @property
    def finish_reason(self) -> str | None:
        """The normalized reason of the ``Finish`` event, once emitted."""
    @property
    def position(self) -> int:
        """Bytes consumed so far."""

# Private: the two whole-document paths compared by benches/bench_loads.py.
def _loads(data: bytes) -> object: ...
def _loads_simd_json(data: bytes) -> object: ...

@final
class Metrics:
    """Counters, gauges and latency histograms keyed by name and labels; thread-safe.

    Metric names match ``[a-zA-Z_:][a-zA-Z0-9_:]*``, label names ``[a-zA-Z_][a-zA-Z0-9_]*``,
    label values are ``str``. Past ``max_series`` label sets per name, new ones are folded
    into the series labelled ``overflow="true"``.
    """

    def __new__(cls, max_series: int = 1000) -> Metrics: ...
    def inc(self, name: str, value: float = 1, **labels: str) -> None:
        """Add ``value`` (finite, >= 0) to the counter ``name`` with these labels."""
    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """Record a duration in seconds (finite, >= 0) in the histogram ``name``."""
    def gauge_add(self, name: str, delta: float, **labels: str) -> None:
        """Add ``delta`` (finite, may be negative) to the gauge ``name``; it keeps its peak."""
    def snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{"counters": {name: {label_key: value}}, "gauges": {name: {label_key:
        {"value", "peak"}}}, "histograms": {name: {label_key: {"count", "sum", "p50", "p90",
        "p99", "p999"}}}}``; ``label_key`` is ``"a=1,b=2"`` (sorted, ``""`` without labels)."""
    def prometheus(self) -> str:
        """Every series in the Prometheus text exposition format 0.0.4."""
    @property
    def max_series(self) -> int: ...

@final
class CircuitBreaker:
    """A thread-safe circuit breaker: ``closed`` -> ``open`` -> ``half_open`` -> ``closed``.

    ``clock`` returns seconds (``None``: the monotonic clock, as ``time.monotonic``).
    """

    def __new__(
        cls,
        failure_threshold: int = 5,
        recovery_time: float = 30.0,
        half_open_max_calls: int = 1,
        clock: Callable[[], float] | None = None,
    ) -> CircuitBreaker: ...
    def allow(self) -> bool:
        """May a call go ahead now? In ``half_open`` each ``True`` is one trial call."""
    def record_success(self) -> None:
        """A call succeeded: reset the failure count, or close a half-open breaker."""
    def record_failure(self) -> None:
        """A call failed: count it; open at the threshold, or reopen a half-open breaker."""
    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half_open"``."""
    @property
    def failure_threshold(self) -> int: ...
    @property
    def recovery_time(self) -> float: ...
    @property
    def half_open_max_calls(self) -> int: ...

# Private: benches/bench_metrics.py times n recordings made from Rust.
def _metrics_record_loop(metrics: Metrics, n: int) -> None: ...
