"""Cohere v2 chat streams (``/v2/chat`` with ``stream: true``): SSE events whose ``type``
names what they carry; the stream ends with ``message-end``, after which a ``data: [DONE]``
may follow (ignored, as is a ``[DONE]`` before it: only ``message-end`` says how the turn
ended) (mirrors ``rust/dialect/cohere.rs``).

Text comes from ``content-delta`` text and from ``tool-plan-delta`` (the plan is text shown
to the user), reasoning from ``thinking`` content. A tool call is ``tool-call-start`` (id,
name), ``tool-call-delta`` fragments and ``tool-call-end`` (its explicit end), keyed by the
event's ``index``; events without one belong to the latest call. ``message-end`` carries the
finish word and the usage, whose ``tokens`` pair is reported (it counts every token the model
read and wrote; ``billed_units`` leaves some out, and is used only when ``tokens`` is
absent). A failure is a ``message-end`` with ``finish_reason: "ERROR"``, an ``error`` text and
(usually) its ``error_type``;
a frame with ``type: "error"`` or a top-level ``error`` member is reported the same way.
"""

from __future__ import annotations

from typing import Any

from ..sse import SseEvent
from ._error_fields import error_event, error_fields
from ._frame import at, parse_frame, str_of, u64_of
from ._output import Output

__all__ = ["Cohere"]

_INDEX_MASK = 0x7FFFFFFFFFFFFFFF


class Cohere:
    """See the module documentation."""

    framing = "sse"
    end_marker = "message-end"

    __slots__ = ("_current", "_unindexed")

    def __init__(self) -> None:
        # The key of the latest tool call (for events without ``index``).
        self._current: int | None = None
        # Keys handed to calls without ``index`` (negative: never an index).
        self._unindexed = 0

    def frame(self, frame: SseEvent, start: int, out: Output) -> None:
        data = frame.data
        if data.strip() == "[DONE]":
            return
        chunk = parse_frame(data.encode("utf-8", "surrogatepass"), start, "cohere")
        kind = str_of(chunk, "type")
        if kind is None:
            kind = frame.event
        if kind == "error" or (type(chunk) is dict and chunk.get("error") is not None):
            error_type, message = error_event(chunk)
            out.provider_error(error_type, message, data)
        elif kind in ("content-start", "content-delta"):
            content = at(chunk, "delta", "message", "content")
            if type(content) is list:
                for part in content:
                    _content(part, out)
            elif content is not None:
                _content(content, out)
        elif kind == "tool-plan-delta":
            plan = at(chunk, "delta", "message", "tool_plan")
            out.add_text(plan if type(plan) is str else None, 0)
        elif kind == "tool-call-start":
            index = u64_of(chunk, "index")
            key = index & _INDEX_MASK if index is not None else self._unindexed_key()
            self._current = key
            _tool_call(key, chunk, out)
        elif kind == "tool-call-delta":
            _tool_call(self._key_of(chunk), chunk, out)
        elif kind == "tool-call-end":
            out.tool_end(self._key_of(chunk))
        elif kind == "message-end":
            _message_end(chunk, data, out)

    def _key_of(self, chunk: Any) -> int:
        """The call a ``tool-call-delta``/``-end`` is about: its ``index``, else the latest."""
        index = u64_of(chunk, "index")
        if index is not None:
            key = index & _INDEX_MASK
        elif self._current is not None:
            key = self._current
        else:
            key = self._unindexed_key()
        self._current = key
        return key

    def _unindexed_key(self) -> int:
        self._unindexed += 1
        return -self._unindexed


def _content(part: Any, out: Output) -> None:
    """One content part: ``{text}`` or ``{thinking}``."""
    out.reasoning(str_of(part, "thinking"))
    out.add_text(str_of(part, "text"), 0)


def _tool_call(key: int, chunk: Any, out: Output) -> None:
    """``delta.message.tool_calls`` of a tool event: one object (an array: its first element)."""
    call = at(chunk, "delta", "message", "tool_calls")
    if type(call) is list:
        call = call[0] if call else None
    function = at(call, "function")
    arguments = at(function, "arguments")
    if not isinstance(arguments, (str, dict, list)):
        arguments = None
    out.tool(key, str_of(call, "id"), str_of(function, "name"), arguments)


def _message_end(chunk: Any, raw: str, out: Output) -> None:
    """``message-end``: the finish word and usage, or the error that ended the turn."""
    reason = str_of(at(chunk, "delta"), "finish_reason") or ""
    usage = at(chunk, "delta", "usage")
    error = at(chunk, "delta", "error")
    error_type, message = error_fields(error) if error is not None else (None, "")
    if error_type is None:
        # Cohere names the failure beside its text (`"error_type": "INVALID_TOOL_GENERATION"`).
        error_type = str_of(at(chunk, "delta"), "error_type") or None
    if reason == "ERROR" or message or error_type is not None:
        if usage is not None:
            _usage(usage, out)
        out.provider_error(error_type, message, raw)
        return
    if reason:
        out.stop(reason)
    if usage is not None:
        _usage(usage, out)
    out.end()


def _usage(usage: Any, out: Output) -> None:
    """Cohere usage: the ``tokens`` pair (every input token), else ``billed_units``."""
    counts = at(usage, "tokens")
    if counts is None:
        counts = at(usage, "billed_units")
    input_tokens = u64_of(counts, "input_tokens")
    output_tokens = u64_of(counts, "output_tokens")
    cached = u64_of(usage, "cached_tokens")
    # A failed turn may send `"usage": {}`: no count, no `Usage`.
    if input_tokens is None and output_tokens is None and cached is None:
        return
    out.add_usage(input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cached)
