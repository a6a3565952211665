"""Bedrock ``ConverseStream``: AWS event-stream messages whose ``:event-type`` header names
the event and whose payload is its JSON (mirrors ``rust/dialect/bedrock.rs``, whose
documentation gives the rules)."""

from __future__ import annotations

from typing import Any

from ..eventstream import EventStreamMessage
from ._frame import at, parse_frame, str_of, u64_of
from ._output import Output

__all__ = ["Bedrock"]

# Event types whose payload is decoded; every other type is skipped.
_HANDLED = frozenset(
    {
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    }
)
_U64_MAX = 2**64 - 1


class Bedrock:
    """See the module documentation."""

    framing = "eventstream"
    end_marker = "messageStop"

    __slots__ = ()

    def frame(self, frame: EventStreamMessage, start: int, out: Output) -> None:
        headers = frame.headers
        message_type = _header(headers, ":message-type")
        if message_type is None or message_type == "event":
            _event(headers, frame.payload, start, out)
        elif message_type == "exception":
            payload = parse_frame(frame.payload, start, "bedrock")
            text = str_of(payload, "message")
            if text is None:
                text = str_of(payload, "Message") or ""
            raw = frame.payload.decode("utf-8", "replace")
            out.provider_error(_header(headers, ":exception-type"), text, raw)
        elif message_type == "error":
            text = _header(headers, ":error-message") or ""
            raw = frame.payload.decode("utf-8", "replace")
            out.provider_error(_header(headers, ":error-code"), text, raw)


def _header(headers: dict[str, Any], name: str) -> str | None:
    """The string header ``name``, if present and a string."""
    value = headers.get(name)
    return value if type(value) is str else None


def _event(headers: dict[str, Any], data: bytes, start: int, out: Output) -> None:
    kind = _header(headers, ":event-type")
    if kind not in _HANDLED or (out.reached_end and kind != "metadata"):
        # After ``messageStop`` only the trailer belongs to the stream.
        return
    payload = parse_frame(data, start, "bedrock")
    if kind == "contentBlockDelta":
        delta = at(payload, "delta")
        if delta is None:
            return
        out.add_text(str_of(delta, "text"), 0)
        reasoning = at(delta, "reasoningContent")
        if reasoning is not None:
            out.reasoning(str_of(reasoning, "text"))
        fragment = at(delta, "toolUse", "input")
        if type(fragment) is str:
            out.tool(_block_key(payload), None, None, fragment)
    elif kind == "contentBlockStart":
        tool = at(payload, "start", "toolUse")
        if type(tool) is dict:
            out.tool(_block_key(payload), str_of(tool, "toolUseId"), str_of(tool, "name"), None)
    elif kind == "contentBlockStop":
        out.tool_end(_block_key(payload))
    elif kind == "messageStop":
        reason = str_of(payload, "stopReason")
        if reason:
            out.stop(reason)
        out.end_before_trailer()
    elif kind == "metadata":
        usage = at(payload, "usage")
        if type(usage) is dict:
            _usage(usage, out)
        if out.reached_end:
            out.end()


def _block_key(payload: Any) -> int:
    """The ``contentBlockIndex`` of an event, as the tool-call key (cut to 32 bits, on both
    backends)."""
    return (u64_of(payload, "contentBlockIndex") or 0) & 0xFFFFFFFF


def _usage(usage: dict[str, Any], out: Output) -> None:
    """Bedrock ``TokenUsage``, with the cache reads and writes counted in ``input_tokens``."""
    cache_read = u64_of(usage, "cacheReadInputTokens")
    cache_write = u64_of(usage, "cacheWriteInputTokens")
    input_tokens = u64_of(usage, "inputTokens")
    if input_tokens is not None:
        input_tokens = min(input_tokens + (cache_read or 0) + (cache_write or 0), _U64_MAX)
    out.add_usage(
        input_tokens=input_tokens,
        output_tokens=u64_of(usage, "outputTokens"),
        total_tokens=u64_of(usage, "totalTokens"),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )
