"""Encodes AWS event-stream messages (providers.md §1.3), for replaying a whole Bedrock answer
in its stream format. Only string headers (type 7) are written: Bedrock uses no other kind."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

__all__ = ["encode_message"]

_STRING = 7


def encode_message(headers: Iterable[tuple[str, str]], payload: bytes) -> bytes:
    """One message: prelude (total and header lengths, their CRC32), headers, payload and the
    CRC32 of everything before it."""
    block = b"".join(_header(name, value) for name, value in headers)
    total = 12 + len(block) + len(payload) + 4
    prelude = struct.pack(">II", total, len(block))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + block + payload
    return message + struct.pack(">I", zlib.crc32(message))


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack(">B", len(raw_name))
        + raw_name
        + struct.pack(">BH", _STRING, len(raw_value))
        + raw_value
    )
