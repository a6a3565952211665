"""Anthropic Messages streams: SSE events named like their JSON ``type``, ``ping``
keep-alives, and ``event: error`` for an error inside the stream (mirrors
``rust/dialect/anthropic.rs``, whose documentation gives the rules)."""

from __future__ import annotations

from typing import Any

from ..sse import SseEvent
from ._frame import array_of, as_u64, at, parse_frame, str_of, u64_of
from ._output import Output

__all__ = ["Anthropic"]

# Event names whose data is decoded; every other name is skipped.
_HANDLED = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "error",
    }
)
_U64_MAX = 2**64 - 1


class Anthropic:
    """See the module documentation."""

    framing = "sse"
    end_marker = "event: message_stop"

    __slots__ = ("_counts", "_initial_inputs", "_tool_blocks")

    def __init__(self) -> None:
        # Whether each content block seen so far is a client ``tool_use`` block.
        self._tool_blocks: dict[int, bool] = {}
        # Initial ``input`` objects of ``tool_use`` blocks that have had no fragment yet.
        self._initial_inputs: list[tuple[int, dict[str, Any]]] = []
        # The usage reported so far: input, cache read, cache write, output, thinking (as sent).
        self._counts: tuple[int | None, ...] = (None, None, None, None, None)

    def frame(self, frame: SseEvent, start: int, out: Output) -> None:
        event = frame.event
        named = event != "message"
        if named and event not in _HANDLED:
            return
        data = frame.data
        payload = parse_frame(data.encode("utf-8", "surrogatepass"), start, "anthropic")
        kind = event if named else (str_of(payload, "type") or "")
        if kind == "content_block_delta":
            self._block_delta(payload, out)
        elif kind == "message_start":
            message = at(payload, "message")
            usage = at(message, "usage")
            if usage is not None:
                self._usage(usage, out)
            if message is not None:
                _complete_content(message, out)
        elif kind == "content_block_start":
            self._block_start(payload, out)
        elif kind == "content_block_stop":
            key = _block_key(payload)
            self._release_initial_input(key, out)
            out.tool_end(key)
        elif kind == "message_delta":
            self._release_initial_input(None, out)
            reason = str_of(at(payload, "delta"), "stop_reason")
            if reason:
                out.stop(reason)
            usage = at(payload, "usage")
            if usage is not None:
                self._usage(usage, out)
        elif kind == "message_stop":
            self._release_initial_input(None, out)
            out.end()
        elif kind == "error":
            self._release_initial_input(None, out)
            error = at(payload, "error")
            # Without an `error` member (some proxies) the payload itself holds the message.
            source = payload if error is None else error
            message = str_of(source, "message")
            if message is None:
                message = source if type(source) is str else ""
            out.provider_error(str_of(error, "type"), message, data)

    def _block_start(self, payload: Any, out: Output) -> None:
        key = _block_key(payload)
        block = at(payload, "content_block")
        block_type = str_of(block, "type")
        self._tool_blocks[key] = block_type == "tool_use"
        self._initial_inputs = [item for item in self._initial_inputs if item[0] != key]
        if block_type == "text":
            out.add_text(str_of(block, "text"), 0)
        elif block_type == "thinking":
            out.reasoning(str_of(block, "thinking"))
        elif block_type == "tool_use":
            out.tool(key, str_of(block, "id"), str_of(block, "name"), None)
            initial = block.get("input")
            if type(initial) is dict and initial:
                self._initial_inputs.append((key, initial))

    def _block_delta(self, payload: Any, out: Output) -> None:
        key = _block_key(payload)
        delta = at(payload, "delta")
        delta_type = str_of(delta, "type")
        if delta_type == "text_delta":
            out.add_text(str_of(delta, "text"), 0)
        elif delta_type == "thinking_delta":
            out.reasoning(str_of(delta, "thinking"))
        elif delta_type == "input_json_delta" and self._tool_blocks.get(key) is not False:
            fragment = str_of(delta, "partial_json")
            if fragment is not None:
                # Fragments replace an initial input object, as in the SDK.
                if self._initial_inputs:
                    self._initial_inputs = [i for i in self._initial_inputs if i[0] != key]
                out.tool(key, None, None, fragment)

    def _release_initial_input(self, key: int | None, out: Output) -> None:
        """Report the initial input of block ``key`` (every block when None) that got no
        fragments."""
        if not self._initial_inputs:
            return
        kept: list[tuple[int, dict[str, Any]]] = []
        released: list[tuple[int, dict[str, Any]]] = []
        for item in self._initial_inputs:
            (released if key is None or item[0] == key else kept).append(item)
        self._initial_inputs = kept
        for block_key, initial in released:
            out.tool(block_key, None, None, initial)

    def _usage(self, usage: Any, out: Output) -> None:
        if type(usage) is not dict:
            return
        sent = (
            u64_of(usage, "input_tokens"),
            u64_of(usage, "cache_read_input_tokens"),
            u64_of(usage, "cache_creation_input_tokens"),
            u64_of(usage, "output_tokens"),
            as_u64(at(usage, "output_tokens_details", "thinking_tokens")),
        )
        # Each field replaces the one reported before; a missing one keeps it.
        counts = tuple(new if new is not None else old for new, old in zip(sent, self._counts))
        self._counts = counts
        input_tokens, cache_read, cache_write, output_tokens, thinking = counts
        if input_tokens is not None:
            input_tokens = min(input_tokens + (cache_read or 0) + (cache_write or 0), _U64_MAX)
        out.add_usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            reasoning_tokens=thinking,
        )


def _complete_content(message: Any, out: Output) -> None:
    """Blocks that ``message_start`` already carries whole (a programmatic tool call
    resumed by the server): their text, thinking and tool calls, keyed by their content
    index, and the message's stop reason."""
    for index, block in enumerate(array_of(message, "content")):
        kind = str_of(block, "type")
        if kind == "text":
            out.add_text(str_of(block, "text") or "", 0)
        elif kind == "thinking":
            out.reasoning(str_of(block, "thinking") or "")
        elif kind == "tool_use":
            key = index & 0xFFFFFFFF
            initial = block.get("input")
            arguments = initial if type(initial) is dict and initial else None
            out.tool(key, str_of(block, "id"), str_of(block, "name"), arguments)
            out.tool_end(key)
    reason = str_of(message, "stop_reason")
    if reason:
        out.stop(reason)


def _block_key(payload: Any) -> int:
    """The content-block index of an event, as the tool-call key (cut to 32 bits, on both
    backends)."""
    return (u64_of(payload, "index") or 0) & 0xFFFFFFFF
