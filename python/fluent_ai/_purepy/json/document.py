"""One whole JSON text with ``JsonStream``'s rules, as fast as the C ``json.loads`` allows.

``json.loads`` is used when it gives exactly what ``JsonStream`` would and cannot run out of
stack; the pure-Python ``JsonStream`` handles the rest: invalid text (for the exact error),
unpaired surrogate escapes (``JsonStream`` makes them U+FFFD), NaN and Infinity (rejected),
integers beyond Python's digit limit, and text that may nest deeper than ``max_depth`` or
than ``json.loads`` may safely recurse.
"""

from __future__ import annotations

import json
import re
import sys
from itertools import accumulate

from .stream import JsonStream

__all__ = ["parse_document"]

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")

# json.loads recurses in C once per nesting level (a few hundred bytes of stack each): this
# many levels fit any thread stack Python runs on (256 KiB on musl), whatever the
# interpreter's recursion limit allows.
_LOADS_DEPTH = 512

# A string, or an unterminated one up to the end (so that every match attempt succeeds and
# the scan stays linear). Brackets inside strings are not structure.
_STRING = re.compile(rb'"(?:[^"\\]+|\\.)*"?', re.DOTALL)
_BRACKETS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{]}")


def _reject_constant(name: str) -> object:
    raise ValueError(name)


def _nesting_bound(data: bytes, enough: int) -> int:
    """A bound of the depth to which a JSON parser reading ``data`` nests before it ends or
    fails: the number of opening brackets when that is at most ``enough``, else the depth of
    the brackets outside strings (exact for valid JSON). Linear in the length."""
    opening = data.count(b"[") + data.count(b"{")
    if opening <= enough:
        return opening
    steps = _STRING.sub(b"", data).translate(_BRACKETS, _NOT_BRACKETS)
    return max(accumulate(steps, lambda depth, step: depth + step - 1, initial=0))


def parse_document(data: bytes, max_depth: int = sys.maxsize) -> object:
    """The value of one complete JSON text of any size whose nesting is at most ``max_depth``;
    raises ``JsonStreamError`` (or ``LimitExceeded`` for nesting too deep or a too-long
    integer) as ``JsonStream`` does."""
    safe = min(max_depth, _LOADS_DEPTH)
    if _SURROGATE_ESCAPE.search(data) is None and _nesting_bound(data, safe) <= safe:
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            pass  # JsonStream below gives the exact value or error.
    stream = JsonStream(max_depth=max_depth, max_bytes=sys.maxsize)
    stream.feed(data)
    return stream.finish()
