"""Numbers, ``-? (0 | [1-9][0-9]*) (\\.[0-9]+)? ([eE][+-]?[0-9]+)?``, valued like ``json.loads``."""

from __future__ import annotations

import re

from . import _messages as msg
from ._messages import Failure

# A whole number; used when a number lies within one fragment and is followed by a byte that
# cannot continue it (see ``CONTINUES``), the common case.
NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
# Bytes after a NUMBER match that need the byte-by-byte path to be judged.
CONTINUES = frozenset(b"0123456789+-.eE")
_NOT_DIGIT = re.compile(rb"[^0-9]")

# Phases of a number read byte by byte; the first four are complete numbers.
START = -1  # nothing read yet: the first byte is '-' or a digit
ZERO = 0  # "0" or "-0"
INTEGER = 1  # integer digits
FRACTION = 2  # fraction digits
EXPONENT_DIGITS = 3
MINUS = 4  # after '-'
DOT = 5  # after '.'
EXPONENT = 6  # after 'e' / 'E'
EXPONENT_SIGN = 7  # after the exponent's sign


def convert(text: bytes, is_integer: bool, position: int) -> int | float:
    """The value of a complete number's text, as ``json.loads`` gives it."""
    if not is_integer:
        return float(text)
    digits = len(text) - (text[0] == 0x2D)
    if digits > msg.MAX_INTEGER_DIGITS:
        raise Failure(position, msg.too_many_digits(), msg.MAX_INTEGER_DIGITS)
    return int(text)


class NumberReader:
    """A number cut by fragment boundaries: its text so far, phase and start offset."""

    __slots__ = ("_phase", "_pieces", "start")

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._phase = START
        self.start = 0

    def begin(self, position: int) -> None:
        """Start a number at stream offset ``position`` (its first byte is scanned next)."""
        self._pieces = []
        self._phase = START
        self.start = position

    @property
    def complete(self) -> bool:
        """Whether the text read so far is a whole number."""
        return 0 <= self._phase <= EXPONENT_DIGITS

    def value(self) -> int | float:
        return convert(b"".join(self._pieces), self._phase <= INTEGER, self.start)

    def scan(self, data: bytes, i: int, base: int) -> int:
        """Consume number bytes from ``data[i:]``.

        Returns the index of the first byte that is not part of the number (the number is
        complete), or ``len(data)`` when the fragment ended inside it.
        """
        n = len(data)
        start = i
        phase = self._phase
        try:
            while i < n:
                byte = data[i]
                if 0x30 <= byte <= 0x39:
                    if phase in (INTEGER, FRACTION, EXPONENT_DIGITS):
                        found = _NOT_DIGIT.search(data, i)
                        i = n if found is None else found.start()
                        continue
                    if phase in (START, MINUS):
                        phase = ZERO if byte == 0x30 else INTEGER
                    elif phase == DOT:
                        phase = FRACTION
                    elif phase in (EXPONENT, EXPONENT_SIGN):
                        phase = EXPONENT_DIGITS
                    else:  # a digit after a leading zero ends the number
                        return i
                elif phase == START:
                    phase = MINUS  # the first byte is '-' (or a digit, above)
                elif byte == 0x2E and phase in (ZERO, INTEGER):
                    phase = DOT
                elif byte in (0x65, 0x45) and ZERO <= phase <= FRACTION:
                    phase = EXPONENT
                elif byte in (0x2B, 0x2D) and phase == EXPONENT:
                    phase = EXPONENT_SIGN
                elif phase <= EXPONENT_DIGITS:
                    return i
                elif phase == EXPONENT:
                    raise Failure(base + i, msg.unexpected(msg.DIGIT_OR_SIGN, byte))
                else:
                    raise Failure(base + i, msg.unexpected(msg.DIGIT, byte))
                i += 1
            return i
        finally:
            self._phase = phase
            if i > start:
                self._pieces.append(data[start:i])
