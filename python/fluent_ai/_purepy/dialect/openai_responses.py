"""OpenAI Responses API streams (``/v1/responses`` with ``stream: true``): SSE events whose
``type`` names what they carry; the stream ends with ``response.completed``,
``response.incomplete``, ``response.failed`` or an ``error`` event (there is no ``[DONE]``)
(mirrors ``rust/dialect/openai_responses.rs``).

Text comes from ``response.output_text.delta`` (and ``response.refusal.delta``), reasoning
from ``response.reasoning_summary_text.delta`` and ``response.reasoning_text.delta``. A
function call is an output item: ``response.output_item.added`` carries its ``call_id`` (the
id a client sends back, so the id of the events) and name,
``response.function_call_arguments.delta`` the argument fragments and
``response.function_call_arguments.done`` the explicit end of the call. Calls are keyed by
``output_index``; a frame without one is matched by its item id, else to the latest call.
"""

from __future__ import annotations

from typing import Any

from ..sse import SseEvent
from ._error_fields import error_event, error_fields
from ._frame import as_u64, at, parse_frame, str_of, u64_of
from ._output import Output

__all__ = ["OpenAiResponses"]

_INDEX_MASK = 0x7FFFFFFFFFFFFFFF


class _Item:
    """A function-call output item seen so far."""

    __slots__ = ("has_arguments", "item_id", "key")

    def __init__(self, key: int, item_id: str | None) -> None:
        self.key = key
        self.item_id = item_id
        # Whether argument text has arrived (fragments, or the whole text on a done frame).
        self.has_arguments = False


class OpenAiResponses:
    """See the module documentation."""

    framing = "sse"
    end_marker = "response.completed, response.incomplete, response.failed or error"

    __slots__ = ("_items", "_unindexed")

    def __init__(self) -> None:
        self._items: list[_Item] = []
        # Keys handed to items without an ``output_index`` (negative: never an index).
        self._unindexed = 0

    def frame(self, frame: SseEvent, start: int, out: Output) -> None:
        data = frame.data
        # Not this API's end marker; a stream that only has it is reported as truncated.
        if data.strip() == "[DONE]":
            return
        chunk = parse_frame(data.encode("utf-8", "surrogatepass"), start, "openai-responses")
        kind = str_of(chunk, "type")
        if kind is None:
            kind = frame.event
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            out.add_text(str_of(chunk, "delta"), 0)
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            out.reasoning(str_of(chunk, "delta"))
        elif kind == "response.output_item.added":
            self._item(chunk, False, out)
        elif kind == "response.output_item.done":
            self._item(chunk, True, out)
        elif kind == "response.function_call_arguments.delta":
            key = self._key_of(chunk, str_of(chunk, "item_id"))
            self._arguments(key, None, None, str_of(chunk, "delta"), out)
        elif kind == "response.function_call_arguments.done":
            key = self._key_of(chunk, str_of(chunk, "item_id"))
            self._late_arguments(key, None, None, str_of(chunk, "arguments"), out)
            out.tool_end(key)
        elif kind == "response.completed":
            _finished(chunk, "completed", out)
        elif kind == "response.incomplete":
            reason = at(chunk, "response", "incomplete_details", "reason")
            _finished(chunk, reason if type(reason) is str and reason else "incomplete", out)
        elif kind == "response.failed":
            _usage(chunk, out)
            error_type, message = error_fields(at(chunk, "response", "error"))
            out.provider_error(error_type, message, data)
        elif kind == "error":
            error_type, message = error_event(chunk)
            out.provider_error(error_type, message, data)

    def _item(self, chunk: Any, done: bool, out: Output) -> None:
        """``response.output_item.added`` / ``.done``: only function calls matter (message
        text and reasoning were streamed). ``done`` is the last word on the call: it supplies
        arguments that never came as fragments, and ends the call."""
        item = at(chunk, "item")
        if str_of(item, "type") != "function_call":
            return
        item_id = str_of(item, "id")
        key = self._key_of(chunk, item_id) if done else self._new_key(chunk, item_id)
        id = str_of(item, "call_id")
        if id is None:
            id = item_id
        name = str_of(item, "name")
        arguments = str_of(item, "arguments")
        if done:
            self._late_arguments(key, id, name, arguments, out)
            out.tool_end(key)
        else:
            self._arguments(key, id, name, arguments, out)

    def _arguments(
        self, key: int, id: str | None, name: str | None, text: str | None, out: Output
    ) -> None:
        """Argument text for the call ``key`` (starting it when it is new)."""
        item = self._item_of(key)
        if text:
            item.has_arguments = True
        out.tool(key, id, name, text)

    def _late_arguments(
        self, key: int, id: str | None, name: str | None, text: str | None, out: Output
    ) -> None:
        """The whole argument text on a frame that ends the call: used only when no fragment
        came (a server that skips the deltas), so nothing is counted twice."""
        if not self._item_of(key).has_arguments:
            self._arguments(key, id, name, text, out)

    def _new_key(self, chunk: Any, item_id: str | None) -> int:
        """The key of a new item: its ``output_index``, else a fresh negative key."""
        index = u64_of(chunk, "output_index")
        if index is not None:
            key = index & _INDEX_MASK
        else:
            self._unindexed += 1
            key = -self._unindexed
        self._items.append(_Item(key, item_id))
        return key

    def _key_of(self, chunk: Any, item_id: str | None) -> int:
        """The key of the item a frame is about: its ``output_index``, else the item with its
        item id, else the latest item (else a new one)."""
        index = u64_of(chunk, "output_index")
        if index is not None:
            return index & _INDEX_MASK
        if item_id is not None:
            for item in reversed(self._items):
                if item.item_id == item_id:
                    return item.key
        if self._items:
            return self._items[-1].key
        return self._new_key(chunk, item_id)

    def _item_of(self, key: int) -> _Item:
        for item in reversed(self._items):
            if item.key == key:
                return item
        item = _Item(key, None)
        self._items.append(item)
        return item


def _finished(chunk: Any, raw_reason: str, out: Output) -> None:
    """``response.completed`` / ``response.incomplete``: the stop word, the usage, then
    ``Finish``."""
    out.stop(raw_reason)
    _usage(chunk, out)
    out.end()


def _usage(chunk: Any, out: Output) -> None:
    """``response.usage`` (``input_tokens`` already counts the cached ones)."""
    usage = at(chunk, "response", "usage")
    if usage is None:
        return
    out.add_usage(
        input_tokens=u64_of(usage, "input_tokens"),
        output_tokens=u64_of(usage, "output_tokens"),
        total_tokens=u64_of(usage, "total_tokens"),
        cache_read_tokens=as_u64(at(usage, "input_tokens_details", "cached_tokens")),
        reasoning_tokens=as_u64(at(usage, "output_tokens_details", "reasoning_tokens")),
    )
