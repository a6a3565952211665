"""Assembles parallel tool calls from argument fragments (mirrors ``rust/toolcall.rs``).

Each call's fragments go through its own incremental ``JsonStream``, so the call is reported
done the moment its JSON value closes. Calls are keyed by the provider's identifier and
numbered 0, 1, ... in order of first appearance.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

from .._json_text import arguments_json, compact_json, compact_json_of_frame_value
from .._validation import argument_error, check_limit, describe
from ..errors import LimitExceeded, StreamDecodeError
from .events import PartialToolCall, ToolCallDelta, ToolCallDone, ToolCallInvalid, ToolCallStart
from .json import JsonStream
from .json._messages import is_too_deep

__all__ = ["ToolCallAssembler", "compact_json"]

DEFAULT_MAX_CALLS = 64
# The arguments' nesting limit: JsonStream's default max_depth.
MAX_ARGUMENT_DEPTH = 256
DEFAULT_MAX_ARGUMENT_BYTES = 8 * 1024 * 1024
_NO_BYTE_LIMIT = 2**64 - 1
_JSON_WHITESPACE = " \t\n\r"

_ids = itertools.count(1)


def synthesized_id() -> str:
    """A process-wide unique id for a call whose provider sent none (Gemini, older Ollama)."""
    return f"call_fai_{next(_ids)}"


_OPEN, _FAILED, _OVER = 0, 1, 2


class _Call:
    __slots__ = (
        "error",
        "id",
        "index",
        "key",
        "name",
        "provided_id",
        "raw",
        "size",
        "state",
        "stream",
    )

    def __init__(self, key: int, index: int, id: str | None, name: str) -> None:
        self.key = key
        self.index = index
        # Only a provider's id makes another id under the same key a new call.
        self.provided_id = bool(id)
        self.id = id or synthesized_id()
        self.name = name
        self.raw: list[str] = []
        self.size = 0  # UTF-8 bytes of the arguments so far
        self.stream = JsonStream(max_depth=MAX_ARGUMENT_DEPTH, max_bytes=_NO_BYTE_LIMIT)
        self.state = _OPEN
        self.error = ""

    def text(self) -> str:
        if len(self.raw) > 1:
            self.raw[:] = ["".join(self.raw)]
        return self.raw[0] if self.raw else ""

    def done(self, arguments: Any) -> ToolCallDone:
        self.state = _OVER
        return ToolCallDone._of(self.index, self.id, self.name, arguments, self.text())

    def invalid(self, error: str) -> ToolCallInvalid:
        return ToolCallInvalid._of(self.index, self.id, self.name, self.text(), error)


def _describe(error: StreamDecodeError) -> str:
    return f"{error.message} (byte {error.position} of the arguments)"


class ToolCallAssembler:
    """Assembles tool calls from argument fragments (or whole argument objects) into events."""

    __slots__ = ("_calls", "_max_argument_bytes", "_max_calls")

    def __init__(
        self,
        max_calls: int = DEFAULT_MAX_CALLS,
        max_argument_bytes: int = DEFAULT_MAX_ARGUMENT_BYTES,
    ) -> None:
        self._max_calls = check_limit("max_calls", max_calls)
        self._max_argument_bytes = check_limit("max_argument_bytes", max_argument_bytes)
        self._calls: list[_Call] = []

    def add(
        self,
        index: int,
        id: str | None = None,
        name: str | None = None,
        arguments: object = None,
    ) -> list[object]:
        """Add what one chunk says of the call ``index``; return the events it completes."""
        _check_add(index, id, name, arguments)
        events: list[object] = []
        try:
            self._add(index, id, name, arguments, events, dumps=arguments_json)
        except StreamDecodeError as error:
            error.completed = events
            raise
        return events

    def finish(self) -> list[object]:
        """Every call is over: report those still open (``ToolCallDone``/``ToolCallInvalid``)."""
        events: list[object] = []
        for call in self._calls:
            _close(call, events)
        return events

    def __repr__(self) -> str:
        return f"ToolCallAssembler(calls={len(self._calls)})"

    # The interface the stream decoders use (events go to ``out``).

    def count(self) -> int:
        return len(self._calls)

    def _add(
        self,
        key: int,
        id: str | None,
        name: str | None,
        arguments: object,
        out: list[object],
        *,
        dumps: Callable[[object], str] = compact_json_of_frame_value,
    ) -> None:
        """``dumps`` writes arguments that come as an object: the decoders' come from a frame
        (bounded depth), the caller's may nest any depth."""
        call = self._find(key)
        if call is None:
            call = self._start(key, id, name, out)
        elif id and id != call.id:
            if call.provided_id:
                # Another call under the same key (some servers reuse index 0): the old one
                # is over.
                _close(call, out)
                call = self._start(key, id, name, out)
            else:
                # The id came in a later fragment than the call's first: it is this call's.
                call.id = id
                call.provided_id = True
        if not call.name and name:
            call.name = name
        if arguments is None:
            return
        if isinstance(arguments, str):
            self._append(call, arguments, out)
            return
        self._append(call, dumps(arguments), out)
        if call.state == _OPEN:
            _close(call, out)

    def end(self, key: int, out: list[object]) -> None:
        """The provider's explicit end of the call ``key``."""
        call = self._find(key)
        if call is not None:
            _close(call, out)

    def finish_into(self, out: list[object]) -> None:
        for call in self._calls:
            _close(call, out)

    def unfinished(self) -> list[PartialToolCall]:
        return [
            PartialToolCall._of(c.index, c.id, c.name, c.text(), c.stream.partial())
            for c in self._calls
            if c.state != _OVER
        ]

    def _find(self, key: int) -> _Call | None:
        for call in reversed(self._calls):
            if call.key == key:
                return call
        return None

    def _start(self, key: int, id: str | None, name: str | None, out: list[object]) -> _Call:
        open_calls = sum(1 for c in self._calls if c.state != _OVER)
        if open_calls >= self._max_calls:
            raise LimitExceeded(
                f"more than max_calls={self._max_calls} unfinished tool calls",
                position=0,
                limit=self._max_calls,
            )
        call = _Call(key, len(self._calls), id, name or "")
        out.append(ToolCallStart._of(call.index, call.id, call.name))
        self._calls.append(call)
        return call

    def _append(self, call: _Call, fragment: str, out: list[object]) -> None:
        if not fragment:
            return
        size = call.size + len(fragment.encode("utf-8", "surrogatepass"))
        if size > self._max_argument_bytes:
            raise LimitExceeded(
                f"tool call {call.index} arguments longer than "
                f"max_argument_bytes={self._max_argument_bytes}",
                position=self._max_argument_bytes,
                limit=self._max_argument_bytes,
            )
        # Parsed before the fragment is reported: nesting beyond the depth limit refuses the
        # fragment, as the byte limit does (other errors only make the call invalid).
        state = call.state
        error: StreamDecodeError | None = None
        complete = False
        # After the value closed, only whitespace may follow: that text is parsed too.
        if state == _OPEN or (state == _OVER and call.stream.complete):
            try:
                complete = call.stream.feed(fragment)
            except StreamDecodeError as failure:
                if is_too_deep(failure.message):
                    call.state = _FAILED
                    call.error = _describe(failure)
                    raise _too_deep(call.index, failure) from None
                error = failure
        call.size = size
        call.raw.append(fragment)
        out.append(ToolCallDelta._of(call.index, fragment))
        if state == _OPEN:
            if error is not None:
                call.state = _FAILED
                call.error = _describe(error)
            elif complete:
                out.append(call.done(call.stream.finish()))
        elif error is not None:
            out.append(call.invalid(_describe(error)))


def _too_deep(index: int, error: StreamDecodeError) -> LimitExceeded:
    """The error for arguments nested deeper than ``MAX_ARGUMENT_DEPTH``; its position is in
    the arguments, as for the byte limit."""
    return LimitExceeded(
        f"tool call {index} arguments nested deeper than max_depth={MAX_ARGUMENT_DEPTH} "
        f"(byte {error.position} of the arguments)",
        position=error.position,
        excerpt=error.excerpt,
        limit=MAX_ARGUMENT_DEPTH,
    )


def _close(call: _Call, out: list[object]) -> None:
    """The call is over: report its value, or why it has none."""
    state = call.state
    call.state = _OVER
    if state == _OVER:
        return
    if state == _FAILED:
        out.append(call.invalid(call.error))
    elif not call.text().strip(_JSON_WHITESPACE):
        call.stream = JsonStream(max_depth=MAX_ARGUMENT_DEPTH, max_bytes=_NO_BYTE_LIMIT)
        out.append(ToolCallDone._of(call.index, call.id, call.name, {}, call.text()))
    else:
        try:
            value = call.stream.finish()
        except StreamDecodeError as error:
            out.append(call.invalid(_describe(error)))
        else:
            call.state = _OPEN
            out.append(call.done(value))


def _check_add(index: object, id: object, name: object, arguments: object) -> None:
    """``add()``'s arguments, checked as the native binding checks them (same messages)."""
    if not isinstance(index, int) or isinstance(index, bool):
        raise argument_error(
            f"index must be an int, not {describe(index)}", "index", wrong_type=True
        )
    if not -(1 << 63) <= index < (1 << 63):
        raise argument_error("index must be an int in the signed 64-bit range", "index")
    for argument, value in (("id", id), ("name", name)):
        if value is not None and not isinstance(value, str):
            message = f"{argument} must be a str or None, not {describe(value)}"
            raise argument_error(message, argument, wrong_type=True)
        if value is not None and not value.isascii() and not _is_utf8(value):
            raise argument_error(_surrogate_message(argument), argument)
    # A fragment of the arguments' JSON text, or the whole arguments as an object or array.
    if arguments is not None and not isinstance(arguments, (str, dict, list)):
        message = f"arguments must be a str, a dict, a list or None, not {describe(arguments)}"
        raise argument_error(message, "arguments", wrong_type=True)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _surrogate_message(argument: str) -> str:
    """The native binding words it the same (``rust/python/toolcall.rs``)."""
    return f"{argument} must be text without lone surrogates (valid UTF-8)"
