"""``JsonStream``: a push parser for one JSON text (RFC 8259, strict), fed in fragments.

The parser is a state machine over bytes. Open containers are live ``list``/``dict`` objects
on a stack (no recursion, so depth is bounded only by ``max_depth``); a completed value is
added to its parent when it ends. Runs of whitespace, string bytes and digits are scanned with
precompiled regular expressions, and every byte is looked at a bounded number of times however
the input is split, so the cost is linear in the length of the stream.
"""

from __future__ import annotations

import re

from ..._validation import argument_error, check_limit
from ...errors import JsonStreamError, LimitExceeded, StreamDecodeError
from .._excerpt import RecentBytes
from . import _messages as msg
from ._messages import Failure
from ._number import CONTINUES, NUMBER, NumberReader, convert
from ._partial import ABSENT, Container, snapshot
from ._string import StringDecoder, whole_string

_NOT_WHITESPACE = re.compile(rb"[^ \t\n\r]")

# Parser states. Between tokens: what may come next.
_VALUE = 0  # a value (top level, after ':', after ',' in an array)
_FIRST_ELEMENT = 1  # a value or ']' (after '[')
_AFTER_ELEMENT = 2  # ',' or ']'
_FIRST_KEY = 3  # a key or '}' (after '{')
_KEY = 4  # a key (after ',' in an object)
_COLON = 5
_AFTER_MEMBER = 6  # ',' or '}'
_DONE = 7  # only whitespace (after the top-level value)
# Inside a token that a fragment boundary may cut.
_STRING = 8
_NUMBER = 9
_LITERAL = 10

_EXPECTED = {
    _VALUE: msg.VALUE,
    _FIRST_ELEMENT: msg.VALUE_OR_END_ARRAY,
    _AFTER_ELEMENT: msg.COMMA_OR_END_ARRAY,
    _FIRST_KEY: msg.KEY_OR_END_OBJECT,
    _KEY: msg.KEY,
    _COLON: msg.COLON,
    _AFTER_MEMBER: msg.COMMA_OR_END_OBJECT,
    _DONE: msg.END_OF_INPUT,
}
_LITERALS: dict[int, tuple[bytes, object, str]] = {
    0x74: (b"true", True, "'true'"),
    0x66: (b"false", False, "'false'"),
    0x6E: (b"null", None, "'null'"),
}


class JsonStream:
    """Push parser for one JSON text (RFC 8259), fed in fragments of any size."""

    __slots__ = (
        "_base",
        "_complete",
        "_error",
        "_in_key",
        "_keys",
        "_literal",
        "_literal_index",
        "_max_bytes",
        "_max_depth",
        "_number",
        "_recent",
        "_stack",
        "_state",
        "_string",
        "_value",
    )

    def __init__(self, max_depth: int = 256, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max_depth = check_limit("max_depth", max_depth)
        self._max_bytes = check_limit("max_bytes", max_bytes)
        self._base = 0  # stream offset of the fragment being parsed (bytes fed before it)
        self._state = _VALUE
        self._stack: list[Container] = []
        # keys[k]: the pending key of stack[k] when it is an object (None for arrays).
        self._keys: list[str | None] = []
        self._string = StringDecoder()
        self._in_key = False
        self._number = NumberReader()
        self._literal = b""
        self._literal_index = 0
        self._value: object = None
        self._complete = False
        self._error: StreamDecodeError | None = None
        self._recent = RecentBytes()

    @property
    def complete(self) -> bool:
        return self._complete

    @property
    def position(self) -> int:
        """Bytes consumed so far (UTF-8 bytes for ``str`` input); a failed feed() counts none."""
        return self._base

    def __repr__(self) -> str:
        return f"JsonStream(position={self._base}, complete={self._complete})"

    def feed(self, data: str | bytes) -> bool:
        """Consume a fragment; return ``True`` once the top-level value is complete."""
        if self._error is not None:
            raise _copy(self._error)
        if isinstance(data, bytes):
            chunk = data
        elif isinstance(data, str):
            chunk = data.encode("utf-8", "surrogatepass")
        else:
            message = f"JsonStream.feed() takes str or bytes, not {type(data).__name__}"
            raise argument_error(message, "data", wrong_type=True)
        room = self._max_bytes - self._base
        try:
            if len(chunk) <= room:
                self._parse(chunk)
            else:
                # Parse what fits first: an error there is reported rather than the limit.
                self._parse(chunk[:room])
                raise Failure(self._max_bytes, msg.too_long(self._max_bytes), self._max_bytes)
        except Failure as failure:
            raise self._fail(failure, chunk) from None
        self._recent.push(chunk)
        self._base += len(chunk)
        return self._complete

    def finish(self) -> object:
        """Signal end of input and return the value; raises ``JsonStreamError`` if incomplete."""
        if self._error is not None:
            raise _copy(self._error)
        try:
            if self._state == _NUMBER and not self._stack and self._number.complete:
                self._value = self._number.value()
                self._complete = True
                self._state = _DONE
            if not self._complete:
                raise Failure(self._base, msg.UNEXPECTED_END)
        except Failure as failure:
            raise self._fail(failure, b"") from None
        return self._value

    def partial(self) -> object:
        """The value as if the input received so far were closed here (``None`` before one)."""
        if self._complete:
            return self._value
        child = ABSENT
        if self._state == _STRING and not self._in_key:
            child = self._string.text()
        if not self._stack:
            return None if child is ABSENT else child
        return snapshot(self._stack, self._keys, child)

    def _fail(self, failure: Failure, chunk: bytes) -> StreamDecodeError:
        """Turn an internal failure into the public exception, remembered for later calls."""
        excerpt = self._recent.excerpt(chunk, self._base, failure.position)
        error: StreamDecodeError
        if failure.limit is None:
            error = JsonStreamError(failure.message, position=failure.position, excerpt=excerpt)
        else:
            error = LimitExceeded(
                failure.message, position=failure.position, excerpt=excerpt, limit=failure.limit
            )
        self._error = error
        return _copy(error)

    def _parse(self, data: bytes) -> None:
        """Advance the state machine over ``data`` (which starts at stream offset ``_base``)."""
        n = len(data)
        base = self._base
        stack = self._stack
        keys = self._keys
        state = self._state
        i = 0
        value: object
        try:
            while i < n:
                if state >= _STRING:
                    if state == _STRING:
                        j = self._string.scan(data, i, n, base)
                        if j < 0:
                            break
                        i = j
                        if self._in_key:
                            keys[-1] = self._string.text()
                            state = _COLON
                            continue
                        value = self._string.text()
                    elif state == _NUMBER:
                        i = self._number.scan(data, i, base)
                        if i == n:
                            break
                        value = self._number.value()
                    else:
                        literal = self._literal
                        k = self._literal_index
                        while k < len(literal):
                            if i == n:
                                self._literal_index = k
                                return
                            if data[i] != literal[k]:
                                _, _, name = _LITERALS[literal[0]]
                                raise Failure(base + i, msg.unexpected(name, data[i]))
                            k += 1
                            i += 1
                        value = _LITERALS[literal[0]][1]
                else:
                    byte = data[i]
                    if byte in (0x20, 0x0A, 0x0D, 0x09):
                        found = _NOT_WHITESPACE.search(data, i + 1)
                        i = n if found is None else found.start()
                        continue
                    if state <= _FIRST_ELEMENT:
                        # A value starts here (or, after '[', the array may end).
                        if byte == 0x22:
                            whole = whole_string(data, i + 1)
                            if whole is None:
                                self._string.begin()
                                self._in_key = False
                                state = _STRING
                                i += 1
                                continue
                            value, i = whole
                        elif byte == 0x2D or 0x30 <= byte <= 0x39:
                            # Fast path: the whole number is in this fragment.
                            match = NUMBER.match(data, i)
                            if match is None or match.end() == n or data[match.end()] in CONTINUES:
                                self._number.begin(base + i)
                                state = _NUMBER
                                continue
                            j = match.end()
                            value = convert(data[i:j], match.lastindex is None, base + i)
                            i = j
                        elif byte in (0x5B, 0x7B):
                            if len(stack) >= self._max_depth:
                                raise Failure(
                                    base + i, msg.too_deep(self._max_depth), self._max_depth
                                )
                            if byte == 0x5B:
                                stack.append([])
                                state = _FIRST_ELEMENT
                            else:
                                stack.append({})
                                state = _FIRST_KEY
                            keys.append(None)
                            i += 1
                            continue
                        elif byte in _LITERALS:
                            literal, value, _ = _LITERALS[byte]
                            if not data.startswith(literal, i):
                                self._literal = literal
                                self._literal_index = 1
                                state = _LITERAL
                                i += 1
                                continue
                            i += len(literal)
                        elif byte == 0x5D and state == _FIRST_ELEMENT:
                            value = stack.pop()
                            keys.pop()
                            i += 1
                        else:
                            raise Failure(base + i, msg.unexpected(_EXPECTED[state], byte))
                    elif state == _AFTER_ELEMENT:
                        if byte == 0x2C:
                            state = _VALUE
                            i += 1
                            continue
                        if byte != 0x5D:
                            raise Failure(base + i, msg.unexpected(msg.COMMA_OR_END_ARRAY, byte))
                        value = stack.pop()
                        keys.pop()
                        i += 1
                    elif state == _AFTER_MEMBER:
                        if byte == 0x2C:
                            state = _KEY
                            i += 1
                            continue
                        if byte != 0x7D:
                            raise Failure(base + i, msg.unexpected(msg.COMMA_OR_END_OBJECT, byte))
                        value = stack.pop()
                        keys.pop()
                        i += 1
                    elif state == _COLON:
                        if byte != 0x3A:
                            raise Failure(base + i, msg.unexpected(msg.COLON, byte))
                        state = _VALUE
                        i += 1
                        continue
                    elif state in (_FIRST_KEY, _KEY):
                        if byte == 0x22:
                            whole = whole_string(data, i + 1)
                            if whole is not None:
                                keys[-1], i = whole
                                state = _COLON
                                continue
                            self._string.begin()
                            self._in_key = True
                            state = _STRING
                            i += 1
                            continue
                        if byte != 0x7D or state == _KEY:
                            raise Failure(base + i, msg.unexpected(_EXPECTED[state], byte))
                        value = stack.pop()
                        keys.pop()
                        i += 1
                    else:
                        raise Failure(base + i, msg.unexpected(msg.END_OF_INPUT, byte))
                # A value is complete: it goes into the innermost open container.
                if stack:
                    top = stack[-1]
                    if isinstance(top, list):
                        top.append(value)
                        state = _AFTER_ELEMENT
                    else:
                        top[keys[-1]] = value
                        state = _AFTER_MEMBER
                else:
                    self._value = value
                    self._complete = True
                    state = _DONE
        finally:
            self._state = state


def _copy(error: StreamDecodeError) -> StreamDecodeError:
    """An equal exception, so that re-raising does not chain tracebacks onto the stored one."""
    kind = type(error)
    if isinstance(error, LimitExceeded):
        return LimitExceeded(
            error.message, position=error.position, excerpt=error.excerpt, limit=error.limit
        )
    return kind(error.message, position=error.position, excerpt=error.excerpt)
