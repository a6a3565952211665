"""One call's structured output as it streams: the answer's text goes through ONE incremental
JSON parse (the core's ``JsonStream``), which gives an ``OutputPartial`` after each network
read that changed the value, and the final value, validated, as ``ChatResponse.parsed``.

No text is parsed twice: the final value is the parser's own (``JsonStream.finish()``), not a
``json.loads`` of the whole text. Each ``partial()`` builds the value so far from the parser's
state (no re-scan of the text), which costs the size of that value.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .._backend import core
from ..errors import StreamDecodeError, StructuredOutputError
from ._events import OutputPartial
from ._format import OutputFormat

__all__ = ["MAX_DEPTH", "OutputStream"]

#: The deepest nesting of a structured output: deeper is ``StructuredOutputError``. Providers
#: constrain far less (OpenAI strict mode: 10 levels); the bound keeps validation and the
#: building of nested classes, which recurse once per level, within any thread's stack.
MAX_DEPTH = 64


class OutputStream:
    """The structured output of one attempt (a retry starts a new one)."""

    __slots__ = ("_failure", "_format", "_last", "_parser", "_text_delta")

    def __init__(self, output: OutputFormat, text_delta: Any, json_stream: Any = None) -> None:
        self._format = output
        self._text_delta = text_delta
        # The active backend's parser (a test passes either backend's).
        self._parser = (json_stream or core.JsonStream)(max_depth=MAX_DEPTH)
        self._failure: str | None = None
        self._last: Any = None

    def add_partials(self, events: list[Any]) -> None:
        """Feeds the text of ``events`` to the parser and puts an ``OutputPartial`` after the
        last text event when the value changed (``events`` is changed in place)."""
        if self._failure is not None:
            return
        last = -1
        event: Any
        for position, event in enumerate(events):
            if type(event) is self._text_delta and event.index == 0 and event.text:
                last = position
                try:
                    self._parser.feed(event.text)
                except StreamDecodeError as error:
                    # Not JSON: no more partials; the end says what was wrong.
                    self._failure = str(error)
                    return
        if last < 0:
            return
        value = self._parser.partial()
        if value is not None and value != self._last:
            self._last = value
            events.insert(last + 1, OutputPartial(value))

    def finish(self, response: Any) -> Any:
        """``response`` with ``parsed`` set, or ``StructuredOutputError`` (carrying the
        response) when its text is not one JSON value or fails validation. An answer with
        tool calls keeps ``parsed=None`` and raises nothing: the model asked for tools first,
        and the structured answer comes in the turn after their results."""
        text = response.text
        if response.tool_calls:
            return response
        try:
            if self._failure is not None:
                raise StructuredOutputError(f"the output is not JSON: {self._failure}", text=text)
            try:
                value = self._parser.finish()
            except StreamDecodeError as error:
                why = (
                    " (finish_reason 'length': raise max_tokens)"
                    if response.finish_reason == "length"
                    else ""
                )
                raise StructuredOutputError(
                    f"the output is not one whole JSON value{why}: {error}", text=text
                ) from None
            parsed = self._format.validate(value, text)
        except StructuredOutputError as error:
            error.response = response
            raise
        return dataclasses.replace(response, parsed=parsed)
