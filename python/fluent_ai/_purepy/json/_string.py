"""The body of a JSON string that may arrive in pieces.

Escapes, ``\\u`` surrogate pairs and UTF-8 characters can all be cut by a fragment boundary;
the decoder keeps the cut part (at most a few bytes) and never looks at a consumed byte again.
"""

from __future__ import annotations

import codecs
import re

from . import _messages as msg
from ._messages import Failure

# The end of a run of bytes that stand for themselves: '"', '\' or a control byte.
STRING_STOP = re.compile(rb'["\\\x00-\x1f]')
_HEX4 = re.compile(rb"[0-9a-fA-F]{4}")
_utf8_decode = codecs.utf_8_decode

_ESCAPES = {
    0x22: '"',
    0x5C: "\\",
    0x2F: "/",
    0x62: "\b",
    0x66: "\f",
    0x6E: "\n",
    0x72: "\r",
    0x74: "\t",
}
_HEX_VALUE = tuple(
    int(chr(byte), 16) if chr(byte) in "0123456789abcdefABCDEF" else -1 for byte in range(256)
)
_REPLACEMENT = "\ufffd"

# Escape states.
_NONE = 0
_BACKSLASH = 1
_UNICODE = 2


def _valid_prefix(tail: bytes) -> bool:
    """Whether ``tail`` (1-3 bytes the decoder left unconsumed) can start a UTF-8 character.

    ``codecs.utf_8_decode`` already rejects most ill-formed tails, but leaves e.g. ``ED A0``
    (the start of an encoded surrogate) for later; check the second-byte ranges here so that
    such a sequence is reported as soon as it is known to be invalid.
    """
    if len(tail) < 2:
        return True
    lead, second = tail[0], tail[1]
    low, high = 0x80, 0xBF
    if lead == 0xE0:
        low = 0xA0
    elif lead == 0xED:
        high = 0x9F
    elif lead == 0xF0:
        low = 0x90
    elif lead == 0xF4:
        high = 0x8F
    return low <= second <= high


def whole_string(data: bytes, start: int) -> tuple[str, int] | None:
    """The common case: a string body at ``data[start:]`` closed in the same fragment.

    Returns the text and the index after the closing quote when the body has no escape, no
    control byte and is valid UTF-8; otherwise ``None``, and ``StringDecoder`` takes over
    (and reports any error where it occurs).
    """
    stop = STRING_STOP.search(data, start)
    if stop is None:
        return None
    end = stop.start()
    if data[end] != 0x22:
        return None
    try:
        return data[start:end].decode(), end + 1
    except UnicodeDecodeError:
        return None


class StringDecoder:
    """Decodes the body of one string at a time (``begin`` after its opening quote)."""

    __slots__ = ("_carry", "_carry_position", "_escape", "_hex_digits", "_high", "_unit", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._carry = b""
        self._carry_position = 0
        self._escape = _NONE
        self._unit = 0
        self._hex_digits = 0
        self._high = 0

    def begin(self) -> None:
        self.parts = []
        self._carry = b""
        self._escape = _NONE
        self._high = 0

    def text(self) -> str:
        """The characters decoded so far (never a cut character, escape or lone high half)."""
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        text = "".join(parts)
        # Keep the pieces joined: partial() may be called after every small fragment.
        self.parts = [text]
        return text

    def scan(self, data: bytes, i: int, n: int, base: int) -> int:
        """Consume body bytes ``data[i:n]`` (``data[0]`` is at stream offset ``base``).

        Returns the index just after the closing quote, or -1 when the fragment ended inside
        the string.
        """
        parts = self.parts
        while i < n:
            if self._escape:
                i = self._scan_escape(data, i, n, base)
                continue
            stop = STRING_STOP.search(data, i)
            j = n if stop is None else stop.start()
            if j > i or self._carry:
                if self._high and j > i:
                    parts.append(_REPLACEMENT)
                    self._high = 0
                self._decode(data, i, j, base, j == n)
            if j == n:
                return -1
            byte = data[j]
            if byte == 0x22:
                if self._high:
                    parts.append(_REPLACEMENT)
                    self._high = 0
                return j + 1
            if byte == 0x5C:
                self._escape = _BACKSLASH
                i = j + 1
                continue
            raise Failure(base + j, msg.control_character(byte))
        return -1

    def _decode(self, data: bytes, i: int, j: int, base: int, at_end: bool) -> None:
        """Append the text of the plain run ``data[i:j]`` (after any cut character)."""
        carry = self._carry
        if carry:
            chunk = carry + data[i:j]
            start = self._carry_position
        else:
            chunk = data[i:j]
            start = base + i
        try:
            text, used = _utf8_decode(chunk, "strict", False)
        except UnicodeDecodeError as error:
            if error.start:
                self.parts.append(chunk[: error.start].decode())
            raise Failure(start + error.start, msg.INVALID_UTF8) from None
        if text:
            self.parts.append(text)
        if used == len(chunk):
            self._carry = b""
            return
        tail = chunk[used:]
        if not at_end or not _valid_prefix(tail):
            raise Failure(start + used, msg.INVALID_UTF8)
        self._carry = tail
        self._carry_position = start + used

    def _scan_escape(self, data: bytes, i: int, n: int, base: int) -> int:
        if self._escape == _BACKSLASH:
            byte = data[i]
            if byte == 0x75:
                self._escape = _UNICODE
                self._unit = 0
                self._hex_digits = 0
                return i + 1
            char = _ESCAPES.get(byte)
            if char is None:
                raise Failure(base + i, msg.unexpected(msg.ESCAPE_CHARACTER, byte))
            if self._high:
                self.parts.append(_REPLACEMENT)
                self._high = 0
            self.parts.append(char)
            self._escape = _NONE
            return i + 1
        digits = self._hex_digits
        if digits == 0 and _HEX4.match(data, i) is not None:
            self._escape = _NONE
            self._code_unit(int(data[i : i + 4], 16))
            return i + 4
        unit = self._unit
        while digits < 4:
            if i == n:
                self._unit = unit
                self._hex_digits = digits
                return i
            byte = data[i]
            value = _HEX_VALUE[byte]
            if value < 0:
                raise Failure(base + i, msg.unexpected(msg.HEX_DIGIT, byte))
            unit = unit * 16 + value
            digits += 1
            i += 1
        self._escape = _NONE
        self._code_unit(unit)
        return i

    def _code_unit(self, unit: int) -> None:
        """A ``\\uXXXX`` code unit: pairs surrogates, replaces unpaired ones with U+FFFD."""
        high = self._high
        if high:
            self._high = 0
            if 0xDC00 <= unit <= 0xDFFF:
                self.parts.append(chr(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)))
                return
            self.parts.append(_REPLACEMENT)
        if 0xD800 <= unit <= 0xDBFF:
            self._high = unit
        elif 0xDC00 <= unit <= 0xDFFF:
            self.parts.append(_REPLACEMENT)
        else:
            self.parts.append(chr(unit))
