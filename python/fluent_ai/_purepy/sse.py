"""Incremental server-sent-events framer; mirrors ``rust/sse.rs`` rule for rule.

WHATWG HTML, "Server-sent events": lines end at CRLF, LF or CR (a CR ending one chunk and an
LF starting the next are one line end); one leading BOM is removed, even in pieces; each line
is decoded as UTF-8 with U+FFFD replacement (CR and LF are ASCII, so this equals decoding the
whole stream); a blank line commits the last event ID and dispatches the block if it has data.

Limits: the current block (every byte after the last event boundary, line ends included) may
hold at most ``max_event_bytes`` bytes. The boundary is the end of a blank line's line end, or
the start of the stream after the optional BOM; the LF completing the CRLF of a dispatching
blank line belongs to no block. The chunk bringing the first byte beyond the limit raises
``LimitExceeded`` at offset ``block start + max_event_bytes``: the lines before that byte are
interpreted, the events they complete are the error's ``completed`` (not returned), and every
later call raises again (with ``completed == []``).

Speed: whole chunks are split into lines by C code (``bytes.split`` or one regex), and the
per-byte limit accounting only runs for a chunk that could cross the limit at all.
"""

from __future__ import annotations

import re
from typing import Optional

from .._validation import argument_error, check_limit
from ..errors import LimitExceeded
from ._excerpt import RecentBytes

__all__ = ["SseDecoder", "SseEvent"]

_BOM = b"\xef\xbb\xbf"
_DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024
_U64_MAX = 2**64 - 1
_LINE_ENDS = re.compile(rb"(\r\n|\r|\n)")
_FIELDS = frozenset({b"data", b"event", b"id", b"retry"})

_Fields = tuple[str, str, str, Optional[int]]


class SseEvent:
    """One dispatched server-sent event (immutable, compared and hashed by value)."""

    __slots__ = ("_fields",)
    __match_args__ = ("event", "data", "id", "retry")
    _fields: _Fields

    def __init__(
        self,
        event: str = "message",
        data: str = "",
        id: str = "",
        retry: int | None = None,
    ) -> None:
        # ``None`` means the default, as in the native class.
        fields = (
            _str_argument("event", event, "message"),
            _str_argument("data", data, ""),
            _str_argument("id", id, ""),
            _retry_argument(retry),
        )
        object.__setattr__(self, "_fields", fields)

    def __init_subclass__(cls) -> None:
        raise TypeError("type 'SseEvent' is not an acceptable base type")

    @property
    def event(self) -> str:
        """The event type; ``"message"`` when the block set none."""
        return self._fields[0]

    @property
    def data(self) -> str:
        """The data lines joined with ``"\\n"``."""
        return self._fields[1]

    @property
    def id(self) -> str:
        """The last event ID in effect when the event was dispatched (``""`` when none)."""
        return self._fields[2]

    @property
    def retry(self) -> int | None:
        """The reconnection time (ms) from the latest valid ``retry`` field, if any."""
        return self._fields[3]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SseEvent is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"SseEvent is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not SseEvent:
            return NotImplemented
        return self._fields == other._fields

    def __hash__(self) -> int:
        return hash(self._fields)

    def __repr__(self) -> str:
        event, data, id, retry = self._fields
        return f"SseEvent(event={event!r}, data={data!r}, id={id!r}, retry={retry!r})"

    def __reduce__(self) -> tuple[type[SseEvent], _Fields]:
        return (SseEvent, self._fields)


# Events made by the decoder skip argument checks: allocate, then fill the one slot.
_new_object = object.__new__
_set_fields = SseEvent.__dict__["_fields"].__set__


def _str_argument(name: str, value: object, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise TypeError(f"SseEvent() argument '{name}' must be str, not {type(value).__name__}")
    return value


def _retry_argument(value: object) -> int | None:
    if value is not None and not isinstance(value, int):
        raise TypeError(
            f"SseEvent() argument 'retry' must be int or None, not {type(value).__name__}"
        )
    return value


def _bytes_argument(data: object) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    message = f"SseDecoder.feed() argument must be bytes, not {type(data).__name__}"
    raise argument_error(message, "data", wrong_type=True)


def _parse_retry(value: bytes) -> int | None:
    """One or more ASCII digits; values beyond 2**64 - 1 are ignored (as in the native core)."""
    if not value.isdigit():  # bytes.isdigit: ASCII digits only, False when empty
        return None
    digits = value.lstrip(b"0")
    if len(digits) > 20:
        return None
    number = int(digits or b"0")
    return number if number <= _U64_MAX else None


class SseDecoder:
    """Incremental WHATWG server-sent-events parser: bytes in, dispatched events out."""

    __slots__ = (
        "_block_start",
        "_bom_held",
        "_data",
        "_error",
        "_event_type",
        "_id_buffer",
        "_last_event_id",
        "_line",
        "_max",
        "_position",
        "_recent",
        "_retry",
        "_skip_lf",
    )

    def __init__(self, max_event_bytes: int = _DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = check_limit("max_event_bytes", max_event_bytes)
        self._position = 0  # bytes consumed (after an error: the error position)
        self._block_start = 0  # stream offset of the current block's first byte
        # The stream so far is this many bytes of a BOM (None: decided).
        self._bom_held: int | None = 0
        self._skip_lf = False  # the last chunk ended with a CR: skip one leading LF
        # The start of a line that continues in a later chunk, in pieces.
        self._line: list[bytes] = []
        self._data: list[str] = []
        self._event_type = ""
        self._id_buffer = ""
        self._last_event_id = ""
        self._retry: int | None = None
        self._recent = RecentBytes()
        self._error: tuple[str, int, str] | None = None

    def __init_subclass__(cls) -> None:
        raise TypeError("type 'SseDecoder' is not an acceptable base type")

    def feed(self, data: bytes) -> list[SseEvent]:
        """Consume a chunk; return the events it completes. Raises ``LimitExceeded``."""
        if type(data) is not bytes:
            data = _bytes_argument(data)
        if self._error is not None:
            raise self._stored_error()
        chunk_start = self._position
        events = self._consume(data, chunk_start)
        self._position = chunk_start + len(data)
        self._recent.push(data)
        return events

    def _feed_blocks(
        self, data: bytes, starts: list[int], strays: list[tuple[int, int, str]] | None = None
    ) -> list[SseEvent]:
        """``feed()``, also appending to ``starts`` the stream offset of each event's block
        (the first byte a consumer's error about the event's data should point at); on
        error, ``starts`` covers the events of the error's ``completed``. With ``strays``,
        lines that are no field (nor comment) are appended there as ``(events dispatched
        before the line, offset, line)``, so that a consumer keeps the stream order (Gemini
        may send a bare JSON error object; mirrors ``SseDecoder::feed_items``)."""
        if self._error is not None:
            raise self._stored_error()
        chunk_start = self._position
        events = self._consume(data, chunk_start, starts, strays)
        self._position = chunk_start + len(data)
        self._recent.push(data)
        return events

    def finish(self) -> list[SseEvent]:
        """Signal end of input. An unterminated event is discarded (see ``pending_bytes``)."""
        if self._error is not None:
            raise self._stored_error()
        return []

    @property
    def last_event_id(self) -> str:
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        return self._retry

    @property
    def position(self) -> int:
        """Bytes consumed so far."""
        return self._position

    @property
    def pending_bytes(self) -> int:
        """Bytes received since the last event boundary (discarded if the stream ends)."""
        return self._position - self._block_start

    def _consume(
        self,
        data: bytes,
        chunk_start: int,
        starts: list[int] | None = None,
        strays: list[tuple[int, int, str]] | None = None,
    ) -> list[SseEvent]:
        chunk = data
        offset = chunk_start
        held = self._bom_held
        if held is not None:
            wanted = _BOM[held:]
            common = min(len(wanted), len(chunk))
            if chunk[:common] != wanted[:common]:
                # Not a BOM: the held bytes start the first line.
                self._bom_held = None
                self._line = [_BOM[:held]] if held else []
            elif common < len(wanted):
                self._bom_held = held + common
                return []
            else:
                self._bom_held = None
                chunk = chunk[common:]
                offset += common
                self._block_start = offset
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[0] == 10:
                if self._block_start == offset:
                    # The CR ended a blank line: this LF belongs to no block.
                    self._block_start += 1
                elif offset >= self._block_start + self._max:
                    raise self._fail(data, chunk_start, self._block_start + self._max)
                chunk = chunk[1:]
                offset += 1

        has_cr = b"\r" in chunk
        if not has_cr and b"\n" not in chunk:
            # No line end: the current line continues (kept in pieces, joined once at its end).
            if chunk:
                limit_at = self._block_start + self._max
                if offset + len(chunk) - 1 >= limit_at:
                    raise self._fail(data, chunk_start, limit_at)
                self._line.append(chunk)
            return []
        pieces = self._line
        if pieces:
            pieces.append(chunk)
            buffer = b"".join(pieces)
        else:
            buffer = chunk
        buffer_start = offset + len(chunk) - len(buffer)
        buffer_end = offset + len(chunk)
        separators: list[bytes] | None
        if has_cr:  # the pieces of a line hold no CR or LF
            parts = _LINE_ENDS.split(buffer)
            lines = parts[0::2]
            separators = parts[1::2]
        else:
            lines = buffer.split(b"\n")
            separators = None
        rest = lines.pop()

        if buffer_end - self._block_start > self._max:
            # Some byte of this chunk may be beyond the limit: find the first one.
            crossing = self._find_limit(lines, separators, rest, buffer_start, buffer_end)
            if crossing is not None:
                lines_before, position = crossing
                if starts is not None:
                    starts += self._block_starts(
                        lines[:lines_before], separators, buffer_start, strays
                    )
                completed = self._interpret(lines[:lines_before])
                raise self._fail(data, chunk_start, position, completed)

        if starts is not None:
            starts += self._block_starts(lines, separators, buffer_start, strays)
        events = self._interpret(lines)
        self._line = [rest] if rest else []
        if separators is None:
            blank = buffer.rfind(b"\n\n")
            if blank >= 0:
                self._block_start = buffer_start + blank + 2
            elif buffer[:1] == b"\n":
                self._block_start = buffer_start + 1
        else:
            tail = len(rest)
            for index in range(len(lines) - 1, -1, -1):
                if not lines[index]:
                    self._block_start = buffer_end - tail
                    break
                tail += len(lines[index]) + len(separators[index])
            if buffer[-1:] == b"\r":
                self._skip_lf = True
        return events

    def _find_limit(
        self,
        lines: list[bytes],
        separators: list[bytes] | None,
        rest: bytes,
        offset: int,
        buffer_end: int,
    ) -> tuple[int, int] | None:
        """``(lines interpreted before the error, error position)``, or None if no byte of
        the chunk is beyond the limit. ``offset`` is the stream offset of ``lines[0]``."""
        limit = self._max
        block_start = self._block_start
        for index, line in enumerate(lines):
            line_end = offset + len(line)
            if line_end >= block_start + limit:
                return index, block_start + limit
            separator_length = 1 if separators is None else len(separators[index])
            if not line:
                # A blank line ends the block; after CRLF the LF belongs to no block.
                block_start = line_end + separator_length
            elif separator_length == 2 and line_end + 1 >= block_start + limit:
                return index + 1, block_start + limit
            offset = line_end + separator_length
        if rest and buffer_end - 1 >= block_start + limit:
            return len(lines), block_start + limit
        return None

    def _block_starts(
        self,
        lines: list[bytes],
        separators: list[bytes] | None,
        offset: int,
        strays: list[tuple[int, int, str]] | None = None,
    ) -> list[int]:
        """The block start of each event ``_interpret(lines)`` will dispatch; ``offset`` is
        the stream offset of ``lines[0]``. Called before ``_interpret`` changes the state.
        Stray lines go to ``strays`` when given, numbered after the events before them."""
        starts: list[int] = []
        block_start = self._block_start
        has_data = bool(self._data)
        for index, line in enumerate(lines):
            line_start = offset
            end = offset + len(line)
            offset = end + (1 if separators is None else len(separators[index]))
            if not line:
                if has_data:
                    starts.append(block_start)
                has_data = False
                block_start = offset
            elif line[:4] == b"data" and line[4:5] in (b"", b":"):
                has_data = True
            elif strays is not None and line[:1] != b":" and line.partition(b":")[0] not in _FIELDS:
                strays.append((len(starts), line_start, line.decode("utf-8", "replace")))
        return starts

    def _interpret(self, lines: list[bytes]) -> list[SseEvent]:
        """Interpret complete lines (without their line ends); return the dispatched events."""
        events: list[SseEvent] = []
        data = self._data
        event_type = self._event_type
        id_buffer = self._id_buffer
        last_event_id = self._last_event_id
        retry = self._retry
        for line in lines:
            if not line:
                # Blank line: commit the ID, dispatch if there is data, reset the buffers.
                last_event_id = id_buffer
                if data:
                    event = _new_object(SseEvent)
                    _set_fields(
                        event,
                        (
                            event_type or "message",
                            data[0] if len(data) == 1 else "\n".join(data),
                            last_event_id,
                            retry,
                        ),
                    )
                    events.append(event)
                    data = []
                event_type = ""
            elif line[:5] == b"data:":
                # The common case first, without splitting the line.
                start = 6 if line[5:6] == b" " else 5
                data.append(line[start:].decode("utf-8", "replace"))
            else:
                # A comment (leading ':') has an empty name, which matches no field.
                name, _, value = line.partition(b":")
                if value[:1] == b" ":
                    value = value[1:]
                if name == b"data":
                    data.append(value.decode("utf-8", "replace"))
                elif name == b"event":
                    event_type = value.decode("utf-8", "replace")
                elif name == b"id":
                    if b"\0" not in value:
                        id_buffer = value.decode("utf-8", "replace")
                elif name == b"retry":
                    number = _parse_retry(value)
                    if number is not None:
                        retry = number
        self._data = data
        self._event_type = event_type
        self._id_buffer = id_buffer
        self._last_event_id = last_event_id
        self._retry = retry
        return events

    def _fail(
        self,
        data: bytes,
        chunk_start: int,
        position: int,
        completed: list[SseEvent] | None = None,
    ) -> LimitExceeded:
        """Fail for good; ``completed`` are the events this chunk completed before."""
        message = f"SSE event larger than max_event_bytes={self._max}"
        self._error = (message, position, self._recent.excerpt(data, chunk_start, position))
        self._position = position
        self._block_start = position - self._max
        self._line = []
        self._data = []
        return self._stored_error(completed)

    def _stored_error(self, completed: list[SseEvent] | None = None) -> LimitExceeded:
        """A fresh exception for the stored failure."""
        assert self._error is not None
        message, position, excerpt = self._error
        return LimitExceeded(
            message, position=position, excerpt=excerpt, limit=self._max, completed=completed
        )
