"""Newline-delimited JSON (mirrors ``rust/ndjson.rs``).

Lines are split with ``bytes.find``; each line goes through the C-accelerated ``json.loads``
when that gives exactly what ``JsonStream`` would, and through the pure-Python ``JsonStream``
otherwise (invalid lines, for the exact error; unpaired surrogate escapes, NaN, integers
beyond Python's digit limit, and nesting ``json.loads`` may not safely recurse into).
"""

from __future__ import annotations

from collections.abc import Iterator

from .._validation import argument_error, check_limit
from ..errors import JsonStreamError, LimitExceeded, StreamDecodeError
from ._excerpt import RecentBytes
from .json.document import parse_document

__all__ = ["NdjsonDecoder"]

DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024
# How deeply a line's JSON may nest, as a StreamDecoder frame (see rust/ndjson.rs).
MAX_LINE_DEPTH = 512

_BLANK = b" \t\r"


class NdjsonDecoder:
    """Newline-delimited JSON: one JSON value per line, blank lines skipped, CRLF accepted."""

    __slots__ = ("_error", "_max_line_bytes", "_pending", "_position", "_recent")

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._max_line_bytes = check_limit("max_line_bytes", max_line_bytes)
        self._pending = bytearray()
        self._position = 0
        self._recent = RecentBytes()
        self._error: StreamDecodeError | None = None

    @property
    def position(self) -> int:
        """Bytes consumed so far."""
        return self._position

    def feed(self, data: bytes) -> list[object]:
        """Consume a chunk; return the values of the lines it completes."""
        if self._error is not None:
            raise _copy(self._error)
        if not isinstance(data, bytes):
            message = f"NdjsonDecoder.feed() argument must be bytes, not {type(data).__name__}"
            raise argument_error(message, "data", wrong_type=True)
        values: list[object] = []
        try:
            self._split(data, values)
        except StreamDecodeError as error:
            self._error = _copy(error)  # keeps neither the values nor the traceback alive
            error.completed = values  # the lines before the bad one
            raise
        self._position += len(data)
        self._recent.push(data)
        return values

    def finish(self) -> list[object]:
        """Signal end of input; a last line without a newline is parsed here."""
        if self._error is not None:
            raise _copy(self._error)
        line = bytes(self._pending)
        self._pending.clear()
        values: list[object] = []
        content = _content(line)
        if content is not None:
            try:
                values.append(_parse_line(content, self._position - len(line)))
            except StreamDecodeError as error:
                self._error = _copy(error)
                raise
        return values

    def _feed_lines(self, data: bytes, starts: list[int]) -> list[bytes]:
        """``feed()`` without parsing (for ``StreamDecoder``): each complete non-blank line
        without its line end, appending its stream offset to ``starts``; on error the
        error's ``completed`` holds the lines before it, and ``starts`` covers them."""
        if self._error is not None:
            raise _copy(self._error)
        if not isinstance(data, bytes):
            message = f"NdjsonDecoder.feed() argument must be bytes, not {type(data).__name__}"
            raise argument_error(message, "data", wrong_type=True)
        lines: list[bytes] = []
        try:
            for line, start in self._lines(data):
                lines.append(line)
                starts.append(start)
        except StreamDecodeError as error:
            self._error = _copy(error)
            error.completed = list(lines)
            raise
        self._position += len(data)
        self._recent.push(data)
        return lines

    def _finish_lines(self, starts: list[int]) -> list[bytes]:
        """``finish()`` without parsing: the last line if it had no line end."""
        if self._error is not None:
            raise _copy(self._error)
        line = bytes(self._pending)
        self._pending.clear()
        content = _content(line)
        if content is None:
            return []
        starts.append(self._position - len(line))
        return [content]

    def __repr__(self) -> str:
        return f"NdjsonDecoder(position={self._position})"

    def _split(self, data: bytes, values: list[object]) -> None:
        for line, start in self._lines(data):
            values.append(_parse_line(line, start))

    def _lines(self, data: bytes) -> Iterator[tuple[bytes, int]]:
        """The complete non-blank lines of ``data`` (without their line end) with the
        stream offset of each; the unterminated rest waits in ``_pending``."""
        pending = self._pending
        i = 0
        while True:
            end = data.find(b"\n", i)
            if end < 0:
                break
            start = self._position + i - len(pending)
            self._check_length(len(pending) + end - i, start, data)
            if pending:
                pending += data[i:end]
                line = bytes(pending)
                pending.clear()
            else:
                line = data[i:end]
            i = end + 1
            content = _content(line)
            if content is not None:
                yield content, start
        start = self._position + i - len(pending)
        self._check_length(len(pending) + len(data) - i, start, data)
        pending += data[i:]

    def _check_length(self, length: int, start: int, data: bytes) -> None:
        if length <= self._max_line_bytes:
            return
        position = start + self._max_line_bytes
        raise LimitExceeded(
            f"NDJSON line longer than max_line_bytes={self._max_line_bytes}",
            position=position,
            excerpt=self._recent.excerpt(data, self._position, position),
            limit=self._max_line_bytes,
        )


def _copy(error: StreamDecodeError) -> StreamDecodeError:
    """A fresh exception like the stored ``error`` (as the native core raises after a failure:
    a new object each call, with ``completed == []``)."""
    if isinstance(error, LimitExceeded):
        return LimitExceeded(
            error.message, position=error.position, excerpt=error.excerpt, limit=error.limit
        )
    return type(error)(error.message, position=error.position, excerpt=error.excerpt)


def _content(line: bytes) -> bytes | None:
    """The line without the CR of a CRLF end, or None when it is blank."""
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line.strip(_BLANK):
        return None
    return line


def _parse_line(line: bytes, start: int) -> object:
    try:
        return parse_document(line, MAX_LINE_DEPTH)
    except StreamDecodeError as inner:
        raise _line_error(inner, start) from None


def _line_error(inner: StreamDecodeError, start: int) -> StreamDecodeError:
    detail = inner.message.removeprefix("invalid JSON: ")
    message = (
        f"invalid JSON on the NDJSON line starting at byte {start}: {detail} "
        f"(byte {inner.position} of the line)"
    )
    if isinstance(inner, LimitExceeded):
        return LimitExceeded(message, position=start, excerpt=inner.excerpt, limit=inner.limit)
    return JsonStreamError(message, position=start, excerpt=inner.excerpt)
