"""Google Gemini API and Vertex AI streams (``streamGenerateContent?alt=sse``): every SSE
event is a whole ``GenerateContentResponse``; there is no ``[DONE]``, the chunk carrying a
``finishReason`` is the last one (mirrors ``rust/dialect/gemini.rs``)."""

from __future__ import annotations

from typing import Any

from ..sse import SseEvent
from ._frame import array_of, as_u64, at, parse_frame, str_of, u64_of
from ._gemini_partial import PartialArguments
from ._output import Output

__all__ = ["Gemini"]


class _BareObject:
    """Collects the lines of bare JSON objects until their braces balance (as Google's SDK
    does): an error sent without ``data:``, or the JSON-array stream (no ``alt=sse``), whose
    ``[``, ``,`` and ``]`` between the objects are skipped; mirrors ``BareObject`` in
    ``rust/dialect/gemini.rs``."""

    __slots__ = ("depth", "start", "text")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.start = 0
        self.depth = 0

    def line(self, line: str, start: int) -> list[tuple[str, int]]:
        """Add a stray line; each object's text and offset once its braces balance."""
        whole: list[tuple[str, int]] = []
        pos = 0
        while True:
            if not self.text:
                # Between objects: array punctuation, then an object or an unknown field.
                pos = _skip_array_punctuation(line, pos)
                if pos == len(line) or line[pos] != "{":
                    return whole
                self.start = start + len(line[:pos].encode("utf-8", "surrogatepass"))
            end = self._scan(line, pos)
            if end is None:
                self.text.append(line[pos:] + "\n")
                return whole
            self.text.append(line[pos:end])
            whole.append(("".join(self.text), self.start))
            self.text = []
            pos = end

    def _scan(self, line: str, pos: int) -> int | None:
        """Count brackets from ``pos``; the index just past the object's closing brace, or
        None when the line ends inside the object."""
        in_string = escaped = False
        # A string cannot span lines in JSON: each line starts outside one.
        for index in range(pos, len(line)):
            char = line[index]
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char in "{[":
                self.depth += 1
            elif char in "}]":
                self.depth = max(self.depth - 1, 0)
                if self.depth == 0:
                    return index + 1
        return None


def _skip_array_punctuation(line: str, pos: int) -> int:
    while pos < len(line) and line[pos] in " \t[],":
        pos += 1
    return pos


class _Streamed:
    """A call whose arguments stream as ``partialArgs``, open until its closing part."""

    __slots__ = ("arguments", "id", "key", "name")

    def __init__(self, key: int, name: str | None, id: str | None) -> None:
        self.key = key
        self.name = name
        self.id = id
        self.arguments = PartialArguments()

    def continued_by(self, name: str | None, id: str | None) -> bool:
        """Whether a part with this name, id and no ``args`` goes on with this call: a part
        that repeats the call's name or id (or gives none) does, another name or id does
        not."""
        return (name is None or self.name is None or name == self.name) and (
            id is None or self.id is None or id == self.id
        )


class Gemini:
    """See the module documentation."""

    framing = "sse"
    end_marker = "a chunk with finishReason"

    __slots__ = ("_bare", "_calls", "_finished", "_open", "_streamed")

    def __init__(self) -> None:
        # Function calls seen so far: each ``functionCall`` part is a call of its own (Gemini
        # sends calls whole and usually without an id), keyed by this counter.
        self._calls = 0
        # The call whose arguments are streaming as ``partialArgs`` (Vertex AI).
        self._streamed: _Streamed | None = None
        # A bare JSON object arriving as stray SSE lines (an error sent without `data:`).
        self._bare = _BareObject()
        # Candidate indexes seen without a ``finishReason`` yet, and those that got one: the
        # stream ends when a finish leaves none open (``candidateCount`` > 1 may finish the
        # candidates in different chunks).
        self._open: set[int] = set()
        self._finished: set[int] = set()

    def stray(self, line: str, start: int, out: Output) -> None:
        """A line of the stream that is no SSE field (see ``_BareObject``)."""
        for text, offset in self._bare.line(line, start):
            chunk = parse_frame(text.encode("utf-8", "surrogatepass"), offset, "gemini")
            if self._chunk(chunk, text.rstrip(), offset, out):
                return

    def frame(self, frame: SseEvent, start: int, out: Output) -> None:
        data = frame.data
        payload = parse_frame(data.encode("utf-8", "surrogatepass"), start, "gemini")
        # An error body may come wrapped in a one-element array (the JSON-array stream mode).
        if type(payload) is list:
            for chunk in payload:
                if self._chunk(chunk, data, start, out):
                    break
        else:
            self._chunk(payload, data, start, out)

    def _chunk(self, chunk: Any, raw: str, start: int, out: Output) -> bool:
        """One ``GenerateContentResponse``; True when it ended the stream."""
        if type(chunk) is not dict:
            return False
        error = chunk.get("error")
        if error is not None:
            self._cut_streamed(out)
            _report_error(error, raw, out)
            return True
        candidates = array_of(chunk, "candidates")
        finish = False
        for candidate in candidates:
            finish = self._candidate(candidate, start, out) or finish
        finished = finish and not self._open
        usage = chunk.get("usageMetadata")
        if type(usage) is dict:
            _gemini_usage(usage, out)
        # A blocked prompt gets no candidates, only ``promptFeedback.blockReason``.
        blocked = str_of(chunk.get("promptFeedback"), "blockReason")
        if not candidates and blocked:
            out.stop_as("content_filter", blocked)
            finished = True
        if finished:
            out.end()
        return finished

    def _candidate(self, candidate: Any, start: int, out: Output) -> bool:
        """One candidate's parts; True when it carries a ``finishReason``."""
        # Indexes are 32-bit (a bigger one is cut to its low 32 bits, on both backends);
        # proto3 JSON leaves out an index of 0.
        index = (u64_of(candidate, "index") or 0) & 0xFFFFFFFF
        for part in array_of(at(candidate, "content"), "parts"):
            text = str_of(part, "text")
            if text is not None:
                if part.get("thought") is True:
                    out.reasoning(text)
                else:
                    out.add_text(text, index)
            call = at(part, "functionCall")
            if type(call) is dict:
                self._function_call(call, start, out)
        reason = str_of(candidate, "finishReason")
        if reason:
            # A streamed call still open (no closing part came) ends with the turn.
            self._end_streamed(out)
            out.stop(reason)
            self._open.discard(index)
            self._finished.add(index)
            return True
        if index not in self._finished:
            self._open.add(index)
        return False

    def _function_call(self, call: dict[str, Any], start: int, out: Output) -> None:
        """A ``functionCall`` part: a whole call, or a piece of a streamed one (see
        ``_gemini_partial``)."""
        partial = call.get("partialArgs")
        if type(partial) is not list:
            partial = None
        continues = call.get("willContinue") is True
        name = str_of(call, "name") or None
        id = str_of(call, "id") or None
        has_args = "args" in call
        named = name is not None or has_args
        open_call = self._streamed
        goes_on = not has_args and open_call is not None and open_call.continued_by(name, id)
        if named and not goes_on:
            # Another call ends the streamed one.
            self._end_streamed(out)
        streams = (partial is not None or continues) and not has_args
        if self._streamed is None and streams:
            key = self._calls
            self._calls += 1
            out.tool(key, id, name, None)
            self._streamed = _Streamed(key, name, id)
        if self._streamed is not None:
            arguments = self._streamed.arguments
            for entry in partial or ():
                arguments.apply(entry, start)
            if not continues:
                self._end_streamed(out)
            return
        if not named:
            # An empty ``functionCall: {}`` with no streamed call open closes nothing.
            return
        self._whole_call(call, out)

    def end_of_input(self, out: Output) -> None:
        """The input ended before a chunk with ``finishReason``."""
        self._cut_streamed(out)

    def _cut_streamed(self, out: Output) -> None:
        """A streamed call cut off before its closing part: the arguments received so far,
        as unfinished JSON, so that the call is reported unfinished (``ToolCallInvalid``
        when the stream ends with an error, a ``PartialToolCall`` when it is truncated)."""
        open_call = self._streamed
        if open_call is not None:
            self._streamed = None
            text = open_call.arguments.open_text()
            if text is not None:
                out.tool(open_call.key, None, None, text)

    def _end_streamed(self, out: Output) -> None:
        """The streamed call, if one is open: its assembled arguments, then its end."""
        open_call = self._streamed
        if open_call is not None:
            self._streamed = None
            text = open_call.arguments.text()
            if text is not None:
                out.tool(open_call.key, None, None, text)
            out.tool_end(open_call.key)

    def _whole_call(self, call: dict[str, Any], out: Output) -> None:
        """A whole call: started, given its arguments and done within this part."""
        key = self._calls
        self._calls += 1
        arguments = call.get("args")
        if not isinstance(arguments, (str, dict, list)):
            arguments = None
        out.tool(key, str_of(call, "id"), str_of(call, "name"), arguments)
        # Without arguments (a function that takes none) the call is over all the same.
        out.tool_end(key)


def _report_error(error: Any, raw: str, out: Output) -> None:
    """A ``google.rpc.Status`` error object: its ``status`` word (or numeric ``code``) is
    the type."""
    error_type = str_of(error, "status") or None
    if error_type is None and type(error) is dict:
        code = error.get("code")
        if type(code) is str:
            error_type = code
        else:
            # A number in decimal (only whole ones: float text could differ by backend).
            number = as_u64(code)
            error_type = None if number is None else str(number)
    message = str_of(error, "message")
    if message is None:
        message = error if type(error) is str else ""
    out.provider_error(error_type, message, raw)


def _gemini_usage(usage: dict[str, Any], out: Output) -> None:
    """``usageMetadata`` (running totals on every chunk): ``promptTokenCount`` already
    includes the cached tokens; ``candidatesTokenCount`` leaves out the thinking tokens,
    counted apart."""
    out.add_usage(
        input_tokens=u64_of(usage, "promptTokenCount"),
        output_tokens=u64_of(usage, "candidatesTokenCount"),
        total_tokens=u64_of(usage, "totalTokenCount"),
        cache_read_tokens=u64_of(usage, "cachedContentTokenCount"),
        reasoning_tokens=u64_of(usage, "thoughtsTokenCount"),
    )
