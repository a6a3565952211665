"""Ollama's native chat stream (``POST /api/chat``, and ``/api/generate``'s, whose text and
thinking are top-level ``response`` and ``thinking``): NDJSON, one ``ChatResponse`` per line;
the line with ``"done": true`` is the last one and carries the stop reason and token counts
(mirrors ``rust/dialect/ollama.rs``)."""

from __future__ import annotations

from typing import Any

from ._frame import array_of, at, parse_frame, str_of, u64_of
from ._output import Output

__all__ = ["Ollama"]


class Ollama:
    """See the module documentation."""

    framing = "ndjson"
    end_marker = 'a line with "done": true'

    __slots__ = ("_calls",)

    def __init__(self) -> None:
        # Tool calls seen so far: Ollama sends each call whole, so every entry of
        # ``message.tool_calls`` is a call of its own, keyed by this counter.
        self._calls = 0

    def frame(self, frame: bytes, start: int, out: Output) -> None:
        chunk = parse_frame(frame, start, "ollama")
        if type(chunk) is not dict:
            return
        error = chunk.get("error")
        if error is not None:
            message = error if type(error) is str else str_of(error, "message")
            out.provider_error(None, message or "", frame.decode("utf-8", "replace"))
            return
        message = chunk.get("message")
        if message is not None:
            out.reasoning(str_of(message, "thinking"))
            out.add_text(str_of(message, "content"), 0)
            for call in array_of(message, "tool_calls"):
                self._tool_call(call, out)
        # `/api/generate` streams the same lines with `thinking` and the text (`response`) at
        # the top level.
        out.reasoning(str_of(chunk, "thinking"))
        out.add_text(str_of(chunk, "response"), 0)
        input_tokens = u64_of(chunk, "prompt_eval_count")
        output_tokens = u64_of(chunk, "eval_count")
        if input_tokens is not None or output_tokens is not None:
            out.add_usage(input_tokens=input_tokens, output_tokens=output_tokens)
        if chunk.get("done") is True:
            reason = str_of(chunk, "done_reason")
            if reason:
                out.stop(reason)
            out.end()

    def _tool_call(self, call: Any, out: Output) -> None:
        """A whole call: started, given its arguments and done within this line."""
        if type(call) is not dict:
            return
        key = self._calls
        self._calls += 1
        function = at(call, "function")
        arguments = at(function, "arguments")
        # A string is not Ollama's own format, but some compatible servers send the JSON text.
        if not isinstance(arguments, (str, dict, list)):
            arguments = None
        out.tool(key, str_of(call, "id"), str_of(function, "name"), arguments)
        out.tool_end(key)
