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

from ..._json_text import MAX_LOADS_DEPTH, nesting_bound
from .stream import JsonStream

__all__ = ["parse_document"]

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> object:
    raise ValueError(name)


def parse_document(data: bytes, max_depth: int = sys.maxsize) -> object:
    """The value of one complete JSON text of any size whose nesting is at most ``max_depth``;
    raises ``JsonStreamError`` (or ``LimitExceeded`` for nesting too deep or a too-long
    integer) as ``JsonStream`` does."""
    safe = min(max_depth, MAX_LOADS_DEPTH)
    if _SURROGATE_ESCAPE.search(data) is None and nesting_bound(data, safe) <= safe:
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            pass  # JsonStream below gives the exact value or error.
    stream = JsonStream(max_depth=max_depth, max_bytes=sys.maxsize)
    stream.feed(data)
    return stream.finish()
