"""AWS event-stream framing (``application/vnd.amazon.eventstream``), as Bedrock sends it.

Mirrors ``rust/eventstream.rs`` (the framer) and ``rust/python/eventstream.rs`` (the Python
objects): same checks in the same order, same messages, positions and excerpts.

A message is ``total_length`` (u32 BE), ``headers_length`` (u32 BE), ``prelude_crc`` (CRC-32 of
the first 8 bytes), the header block, the payload and ``message_crc`` (CRC-32 of every byte
before it). As soon as 12 bytes of a message are known, the prelude CRC is checked, then the
lengths, then ``max_message_bytes``; when its last byte arrives, the message CRC is checked
before the header block is parsed. A header name that repeats keeps its first place in the
dict and takes the last value.
"""

from __future__ import annotations

import datetime
import struct
import uuid
import zlib
from typing import Union

from .._validation import argument_error, check_limit
from ..errors import EventStreamError, LimitExceeded, StreamDecodeError
from ._excerpt import RecentBytes

__all__ = ["EventStreamDecoder", "EventStreamMessage"]

HeaderValue = Union[bool, int, bytes, str, datetime.datetime, uuid.UUID]

_PRELUDE_LEN = 12
_MIN_MESSAGE_LEN = 16
_DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_U64_MAX = 2**64 - 1
# Timestamps a datetime can hold (years 1 to 9999), in ms since the epoch.
_TIMESTAMP_MIN_MS = -62_135_596_800_000
_TIMESTAMP_MAX_MS = 253_402_300_799_999
# Timestamps are this plus a timedelta: exact, unlike fromtimestamp() and its float.
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

_PRELUDE = struct.Struct(">III")
_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_FIXED = {2: _I8, 3: _I16, 4: _I32, 5: _I64, 8: _I64}

Buffer = Union[bytes, bytearray]


class EventStreamMessage:
    """One AWS event-stream message (immutable, compared by value)."""

    __slots__ = ("_headers", "_payload")
    __match_args__ = ("headers", "payload")
    _headers: dict[str, HeaderValue]
    _payload: bytes

    def __init__(self, headers: dict[str, HeaderValue], payload: bytes) -> None:
        if not isinstance(headers, dict):
            raise TypeError(f"headers must be a dict, not {type(headers).__name__}")
        copy: dict[str, HeaderValue] = {}
        for name, value in headers.items():
            if not isinstance(name, str):
                raise TypeError(f"header names must be str, not {type(name).__name__}")
            if not isinstance(value, (int, bytes, str, datetime.datetime, uuid.UUID)):
                raise TypeError(
                    f"header {name!r} has a value of unsupported type {type(value).__name__}"
                )
            copy[name] = value
        if not isinstance(payload, bytes):
            raise TypeError(f"payload must be bytes, not {type(payload).__name__}")
        object.__setattr__(self, "_headers", copy)
        object.__setattr__(self, "_payload", payload)

    @property
    def headers(self) -> dict[str, HeaderValue]:
        """The headers in wire order (a new dict on each access)."""
        return self._headers.copy()

    @property
    def payload(self) -> bytes:
        return self._payload

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"EventStreamMessage is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"EventStreamMessage is immutable; cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventStreamMessage):
            return NotImplemented
        return self._payload == other._payload and self._headers == other._headers

    __hash__ = None  # type: ignore[assignment]  # equal by value, like its header dict

    def __repr__(self) -> str:
        return f"EventStreamMessage(headers={self._headers!r}, payload={self._payload!r})"

    def __reduce__(self) -> tuple[type[EventStreamMessage], tuple[dict[str, HeaderValue], bytes]]:
        # Pickled as a constructor call, so an error's ``completed`` can cross processes.
        return (EventStreamMessage, (self._headers.copy(), self._payload))


def _message(headers: dict[str, HeaderValue], payload: bytes) -> EventStreamMessage:
    """Build a message from decoded values, skipping the checks of the constructor."""
    message = object.__new__(EventStreamMessage)
    object.__setattr__(message, "_headers", headers)
    object.__setattr__(message, "_payload", payload)
    return message


class _Fault(Exception):
    """An error before the excerpt is attached; ``kind`` is None for ``LimitExceeded``."""

    def __init__(self, kind: str | None, message: str, position: int, limit: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.position = position
        self.limit = limit


def _check_prelude(buf: Buffer, at: int, start: int, limit: int) -> int:
    """Check the prelude at ``buf[at:]`` of a message starting at stream offset ``start``."""
    total, headers, stated = _PRELUDE.unpack_from(buf, at)
    computed = zlib.crc32(buf[at : at + 8])
    if computed != stated:
        raise _Fault(
            "prelude_crc",
            f"event-stream prelude checksum mismatch "
            f"(computed 0x{computed:08X}, message says 0x{stated:08X})",
            start + 8,
        )
    if total < _MIN_MESSAGE_LEN:
        raise _Fault(
            "length",
            f"event-stream message length {total} is below the 16-byte minimum",
            start,
        )
    if headers > total - _MIN_MESSAGE_LEN:
        raise _Fault(
            "length",
            f"event-stream headers length {headers} does not fit in a message of {total} bytes",
            start,
        )
    if total > limit:
        raise _Fault(
            None,
            f"event-stream message of {total} bytes exceeds max_message_bytes ({limit})",
            start,
            limit,
        )
    return int(total)


def _decode_message(buf: Buffer, at: int, total: int, start: int) -> EventStreamMessage:
    """Check the CRC of the whole message at ``buf[at:at + total]``, then parse it."""
    crc_at = at + total - 4
    (stated,) = _U32.unpack_from(buf, crc_at)
    with memoryview(buf) as view:
        computed = zlib.crc32(view[at:crc_at])
        if computed != stated:
            raise _Fault(
                "message_crc",
                f"event-stream message checksum mismatch "
                f"(computed 0x{computed:08X}, message says 0x{stated:08X})",
                start + total - 4,
            )
        (headers_len,) = _U32.unpack_from(buf, at + 4)
        headers_at = at + _PRELUDE_LEN
        headers_end = headers_at + headers_len
        headers = _parse_headers(buf, headers_at, headers_end, start - at)
        return _message(headers, bytes(view[headers_end:crc_at]))


def _past_end(name: str, position: int) -> _Fault:
    return _Fault(
        "header", f'event-stream header "{name}" runs past the end of the header block', position
    )


def _parse_headers(buf: Buffer, at: int, end: int, base: int) -> dict[str, HeaderValue]:
    """Parse the header block ``buf[at:end]``; ``base + i`` is the stream offset of ``buf[i]``."""
    headers: dict[str, HeaderValue] = {}
    while at < end:
        name_len = buf[at]
        if name_len == 0:
            raise _Fault("header", "event-stream header name is empty", base + at)
        name_end = at + 1 + name_len
        if name_end > end:
            raise _Fault(
                "header",
                "event-stream header name runs past the end of the header block",
                base + at,
            )
        try:
            name = buf[at + 1 : name_end].decode("utf-8")
        except UnicodeDecodeError:
            raise _Fault(
                "header", "event-stream header name is not valid UTF-8", base + at
            ) from None
        if name_end >= end:
            raise _past_end(name, base + at)
        code = buf[name_end]
        value_at = name_end + 1
        value: HeaderValue
        if code in {6, 7}:  # strings first: Bedrock's headers are all strings
            if value_at + 2 > end:
                raise _past_end(name, base + at)
            (length,) = _U16.unpack_from(buf, value_at)
            data_at = value_at + 2
            next_at = data_at + length
            if next_at > end:
                raise _past_end(name, base + at)
            if code == 6:
                value = bytes(buf[data_at:next_at])
            else:
                try:
                    value = buf[data_at:next_at].decode("utf-8")
                except UnicodeDecodeError:
                    raise _Fault(
                        "header",
                        f'event-stream header "{name}" string value is not valid UTF-8',
                        base + at,
                    ) from None
        elif code in {0, 1}:
            value = code == 0
            next_at = value_at
        elif code in _FIXED:
            shape = _FIXED[code]
            next_at = value_at + shape.size
            if next_at > end:
                raise _past_end(name, base + at)
            (number,) = shape.unpack_from(buf, value_at)
            if code == 8:
                if not _TIMESTAMP_MIN_MS <= number <= _TIMESTAMP_MAX_MS:
                    raise _Fault(
                        "header",
                        f'event-stream header "{name}" timestamp {number} ms '
                        "is outside years 1 to 9999",
                        base + at,
                    )
                value = _EPOCH + datetime.timedelta(milliseconds=number)
            else:
                value = number
        elif code == 9:
            next_at = value_at + 16
            if next_at > end:
                raise _past_end(name, base + at)
            value = uuid.UUID(bytes=bytes(buf[value_at:next_at]))
        else:
            raise _Fault(
                "header", f'event-stream header "{name}" has unknown value type {code}', base + at
            )
        headers[name] = value
        at = next_at
    return headers


def _error(
    fault: _Fault, excerpt: str, completed: list[EventStreamMessage] | None = None
) -> StreamDecodeError:
    """A new exception for ``fault``: every call after a failure raises a fresh copy (with
    ``completed == []``); ``completed`` are the messages the failing call completed first."""
    if fault.kind is None:
        return LimitExceeded(
            fault.message,
            position=fault.position,
            excerpt=excerpt,
            limit=fault.limit,
            completed=completed,
        )
    return EventStreamError(
        fault.message,
        position=fault.position,
        excerpt=excerpt,
        kind=fault.kind,
        completed=completed,
    )


class EventStreamDecoder:
    """AWS event-stream (``application/vnd.amazon.eventstream``) framer with CRC checks."""

    __slots__ = ("_failure", "_limit", "_pending", "_pending_total", "_position", "_recent")

    def __init__(self, max_message_bytes: int = _DEFAULT_MAX_MESSAGE_BYTES) -> None:
        # At least 16: the smallest message.
        self._limit = check_limit("max_message_bytes", max_message_bytes, _MIN_MESSAGE_LEN)
        # The start of a message that began in an earlier chunk and is not complete yet, and
        # its total_length once its prelude has passed the checks (0 before).
        self._pending = bytearray()
        self._pending_total = 0
        self._position = 0
        self._recent = RecentBytes()
        self._failure: tuple[_Fault, str] | None = None

    @property
    def position(self) -> int:
        """Bytes consumed so far: everything fed by calls that succeeded."""
        return self._position

    def feed(self, data: bytes) -> list[EventStreamMessage]:
        """Consume a chunk; return the messages it completes. Raises ``EventStreamError``."""
        if not isinstance(data, bytes):
            message = f"feed() takes bytes, not {type(data).__name__}"
            raise argument_error(message, "data", wrong_type=True)
        return self._feed_messages(data, [])

    def _feed_messages(self, data: bytes, starts: list[int]) -> list[EventStreamMessage]:
        """``feed()``, also appending to ``starts`` the stream offset of each message's first
        byte; on error, ``starts`` covers the messages of the error's ``completed``."""
        if self._failure is not None:
            raise _error(*self._failure)
        messages: list[EventStreamMessage] = []
        try:
            self._scan(data, messages, starts)
        except _Fault as fault:
            raise self._fail(fault, data, messages) from None
        self._position += len(data)
        self._recent.push(data)
        return messages

    def finish(self) -> list[EventStreamMessage]:
        """Signal end of input; raises ``EventStreamError`` if a message is unfinished."""
        if self._failure is not None:
            raise _error(*self._failure)
        if not self._pending:
            return []
        received = len(self._pending)
        if self._pending_total:
            text = (
                f"event-stream ended inside a message "
                f"({received} of its {self._pending_total} bytes received)"
            )
        else:
            text = (
                f"event-stream ended inside a message prelude ({received} of its 12 bytes received)"
            )
        raise self._fail(_Fault("length", text, self._position), b"")

    def _fail(
        self, fault: _Fault, chunk: bytes, completed: list[EventStreamMessage] | None = None
    ) -> StreamDecodeError:
        self._failure = (fault, self._recent.excerpt(chunk, self._position, fault.position))
        self._pending = bytearray()
        return _error(*self._failure, completed)

    def _scan(self, data: bytes, out: list[EventStreamMessage], starts: list[int]) -> None:
        at = 0
        size = len(data)
        pending = self._pending
        if pending:
            start = self._position - len(pending)
            total = self._pending_total
            if not total:
                at = min(_PRELUDE_LEN - len(pending), size)
                pending += memoryview(data)[:at]
                if len(pending) < _PRELUDE_LEN:
                    return
                total = _check_prelude(pending, 0, start, self._limit)
                self._pending_total = total
            take = min(total - len(pending), size - at)
            pending += memoryview(data)[at : at + take]
            at += take
            if len(pending) < total:
                return
            out.append(_decode_message(pending, 0, total, start))
            starts.append(start)
            self._pending = bytearray()
            self._pending_total = 0
        while at < size:
            left = size - at
            if left < _PRELUDE_LEN:
                self._pending += memoryview(data)[at:]
                return
            start = self._position + at
            total = _check_prelude(data, at, start, self._limit)
            if left < total:
                self._pending += memoryview(data)[at:]
                self._pending_total = total
                return
            out.append(_decode_message(data, at, total, start))
            starts.append(start)
            at += total
