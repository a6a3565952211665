"""What a dialect receives from the framer, and the JSON parsing every dialect shares
(mirrors ``rust/dialect/frame.rs``)."""

from __future__ import annotations

from typing import Any

from ...errors import JsonStreamError, LimitExceeded, StreamDecodeError
from ..json.document import parse_document

__all__ = ["MAX_FRAME_DEPTH", "at", "parse_frame", "str_of", "u64_of"]

# How deeply a frame's JSON may nest: deeper is LimitExceeded. Twice JsonStream's default
# max_depth, so that tool arguments sent as an object inside a provider's envelope reach the
# assembler, whose own limit (256) applies to them however they arrive.
MAX_FRAME_DEPTH = 512


def parse_frame(payload: bytes, start: int, dialect: str) -> Any:
    """Parse the JSON payload of a frame that starts at stream offset ``start``. The error
    points at the frame (its ``position`` is ``start``) and says where in the payload."""
    try:
        return parse_document(payload, MAX_FRAME_DEPTH)
    except StreamDecodeError as inner:
        detail = inner.message.removeprefix("invalid JSON: ")
        message = (
            f"invalid JSON in the {dialect} frame starting at byte {start}: {detail} "
            f"(byte {inner.position} of the frame)"
        )
        if isinstance(inner, LimitExceeded):
            raise LimitExceeded(
                message, position=start, excerpt=inner.excerpt, limit=inner.limit
            ) from None
        raise JsonStreamError(message, position=start, excerpt=inner.excerpt) from None


def str_of(value: Any, key: str) -> str | None:
    """The string member ``key`` of ``value``, if present and a string."""
    if type(value) is dict:
        item = value.get(key)
        if type(item) is str:
            return item
    return None


def as_u64(item: Any) -> int | None:
    """A non-negative integer (an integral float counts: some servers send ``12.0``)."""
    if type(item) is int:
        return item if 0 <= item < 2**64 else None
    if type(item) is float and item >= 0.0 and item.is_integer() and item < 1.8e19:
        return int(item)
    return None


def u64_of(value: Any, key: str) -> int | None:
    """The integer member ``key`` of ``value``, if present and a non-negative integer."""
    if type(value) is dict:
        return as_u64(value.get(key))
    return None


def at(value: Any, *path: str) -> Any:
    """The member at ``path`` (each step an object key), or None."""
    for key in path:
        if type(value) is not dict:
            return None
        value = value.get(key)
    return value


def array_of(value: Any, key: str) -> list[Any]:
    """The array member ``key`` of ``value`` (empty when absent or not an array)."""
    if type(value) is dict:
        item = value.get(key)
        if type(item) is list:
            return item
    return []
