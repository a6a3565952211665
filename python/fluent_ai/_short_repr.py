"""Reprs that stay short however big the values are (mirrored in ``rust/python/events.rs``).

An event or a response may carry megabytes (a tool call's arguments, a long answer, thousands
of embeddings); printing one in a log or a traceback must not print all of it. A field whose
``repr`` is longer than ``FIELD_LIMIT`` characters shows its first ``FIELD_HEAD`` characters,
then ``...`` and the length of its whole ``repr`` (``...<1048578 chars>``). Characters are
code points, so both backends cut at the same place.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["FIELD_HEAD", "FIELD_LIMIT", "field_repr", "short_repr"]

FIELD_LIMIT = 80
FIELD_HEAD = 60


def field_repr(value: object) -> str:
    """``repr(value)``, cut to ``FIELD_HEAD`` characters and its size when too long."""
    text = repr(value)
    if len(text) <= FIELD_LIMIT:
        return text
    return f"{text[:FIELD_HEAD]}...<{len(text)} chars>"


def short_repr(name: str, fields: Iterable[tuple[str, object]]) -> str:
    """``Name(field=value, ...)`` with each value shown by :func:`field_repr`."""
    shown = ", ".join(f"{field}={field_repr(value)}" for field, value in fields)
    return f"{name}({shown})"
