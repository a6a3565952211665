"""Excerpts for error messages that do not depend on how the input was split.

Mirrors ``rust/excerpt.rs``: a decoder remembers the last ``RADIUS`` bytes fed before the
current call; an excerpt is the part of ``remembered + current chunk`` within ``RADIUS``
bytes either side of the error position, decoded as UTF-8 with replacement characters.
"""

from __future__ import annotations

RADIUS = 16


class RecentBytes:
    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last = b""

    def push(self, chunk: bytes) -> None:
        """Remember the end of a chunk that has been fully handled."""
        self._last = (self._last + chunk[-RADIUS:])[-RADIUS:]

    def excerpt(self, chunk: bytes, chunk_start: int, position: int) -> str:
        """The excerpt around ``position``; ``chunk`` starts at stream offset ``chunk_start``."""
        known = self._last + chunk
        known_start = chunk_start - len(self._last)
        low = max(position - RADIUS - known_start, 0)
        high = max(min(position + RADIUS - known_start, len(known)), 0)
        return known[low:high].decode("utf-8", "replace")
