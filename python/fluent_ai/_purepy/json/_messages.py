"""The error messages of the JSON parser, word for word those of ``rust/json/messages.rs``."""

from __future__ import annotations

INVALID_UTF8 = "invalid JSON: invalid UTF-8 in string"
UNEXPECTED_END = "invalid JSON: unexpected end of input"
MAX_INTEGER_DIGITS = 4300

# What the parser expected where it found something else (the ``{expected}`` of the message).
VALUE = "a value"
VALUE_OR_END_ARRAY = "a value or ']'"
COMMA_OR_END_ARRAY = "',' or ']'"
KEY_OR_END_OBJECT = "a string key or '}'"
KEY = "a string key"
COLON = "':'"
COMMA_OR_END_OBJECT = "',' or '}'"
END_OF_INPUT = "end of input"
DIGIT = "a digit"
DIGIT_OR_SIGN = "a digit, '+' or '-'"
ESCAPE_CHARACTER = "an escape character"
HEX_DIGIT = "a hex digit"


def _render(byte: int) -> str:
    if 0x21 <= byte <= 0x7E and byte not in (0x27, 0x5C):
        return f"'{chr(byte)}'"
    return f"byte 0x{byte:02x}"


# How each possible offending byte is shown: printable ASCII in quotes, anything else in hex.
FOUND = tuple(_render(byte) for byte in range(256))


def unexpected(expected: str, byte: int) -> str:
    return f"invalid JSON: expected {expected}, found {FOUND[byte]}"


def control_character(byte: int) -> str:
    return f"invalid JSON: control character in string, found {FOUND[byte]}"


_TOO_DEEP = "invalid JSON: nesting deeper than max_depth="


def too_deep(max_depth: int) -> str:
    return f"{_TOO_DEEP}{max_depth}"


def is_too_deep(message: str) -> bool:
    """Whether ``message`` is that of ``too_deep`` (the limit errors share one class)."""
    return message.startswith(_TOO_DEEP)


def too_long(max_bytes: int) -> str:
    return f"invalid JSON: input longer than max_bytes={max_bytes}"


def too_many_digits() -> str:
    return f"invalid JSON: integer with more than {MAX_INTEGER_DIGITS} digits"


class Failure(Exception):
    """Raised inside the parser; ``JsonStream`` turns it into the public exception.

    The parser does not know the chunk being fed (needed for the excerpt), so it reports only
    the stream position, the message and, for a ``LimitExceeded``, the limit.
    """

    def __init__(self, position: int, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.position = position
        self.message = message
        self.limit = limit
