"""One whole JSON text with ``JsonStream``'s rules, as fast as the C ``json.loads`` allows.

``json.loads`` is used when it gives exactly what ``JsonStream`` would; the pure-Python
``JsonStream`` handles the rest: invalid text (for the exact error), unpaired surrogate
escapes (``JsonStream`` makes them U+FFFD), NaN and Infinity (rejected), integers beyond
Python's digit limit, and nesting too deep for ``json.loads``' recursion.
"""

from __future__ import annotations

import json
import re
import sys

from .stream import JsonStream

__all__ = ["parse_document"]

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> object:
    raise ValueError(name)


def parse_document(data: bytes) -> object:
    """The value of one complete JSON text, with no depth or size limit; raises
    ``JsonStreamError`` (or ``LimitExceeded`` for a too-long integer) as ``JsonStream``."""
    if _SURROGATE_ESCAPE.search(data) is None:
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            pass  # JsonStream below gives the exact value or error.
    stream = JsonStream(max_depth=sys.maxsize, max_bytes=sys.maxsize)
    stream.feed(data)
    return stream.finish()
