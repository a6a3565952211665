"""``StreamDecoder``: provider response bytes -> framer -> JSON per frame -> normalized
events (mirrors ``rust/dialect/``), one module per stream dialect."""

from __future__ import annotations

from typing import Any, Callable

from ..._validation import argument_error, describe, fail_type
from ...errors import StreamDecodeError, StreamTruncated
from ..events import ToolCallDone
from ..eventstream import EventStreamDecoder
from ..ndjson import NdjsonDecoder
from ..sse import SseDecoder
from ._output import Output
from ._recorder import Recorder
from .anthropic import Anthropic
from .bedrock import Bedrock
from .cohere import Cohere
from .gemini import Gemini
from .ollama import Ollama
from .openai_chat import OpenAiChat
from .openai_responses import OpenAiResponses

__all__ = ["DIALECTS", "StreamDecoder"]

# Dialect name -> handler class; the order is the one error messages list.
_HANDLERS: dict[str, Callable[[], Any]] = {
    "openai-chat": OpenAiChat,
    "openai-responses": OpenAiResponses,
    "anthropic": Anthropic,
    "gemini": Gemini,
    "bedrock": Bedrock,
    "cohere": Cohere,
    "ollama": Ollama,
}
DIALECTS = tuple(_HANDLERS)


class StreamDecoder:
    """Decodes one streamed response of one provider dialect into normalized events."""

    __slots__ = (
        "_dialect",
        "_error",
        "_framer",
        "_frames",
        "_handler",
        "_out",
        "_recorder",
        "_tool_calls",
        "_wants_strays",
    )

    def __init__(self, dialect: str, metrics: object = None) -> None:
        expected = "one of: " + ", ".join(DIALECTS)
        if not isinstance(dialect, str):
            raise argument_error(
                f"dialect must be a str ({expected}), not {describe(dialect)}",
                "dialect",
                expected,
                wrong_type=True,
            )
        handler = _HANDLERS.get(dialect)
        if handler is None:
            raise argument_error(
                f"unknown stream dialect {dialect!r}; expected {expected}", "dialect", expected
            )
        self._dialect = dialect
        self._handler = handler()
        # Gemini reads SSE lines that are no field (mirrors `sse_with_stray_lines` in Rust).
        self._wants_strays = hasattr(self._handler, "stray")
        self._framer = _framer(self._handler.framing)
        self._out = Output()
        self._tool_calls: list[object] = []
        self._error: StreamDecodeError | None = None
        self._frames = 0
        self._recorder = None if metrics is None else Recorder(metrics, dialect)

    def feed(self, data: bytes) -> list[object]:
        """Consume one network read; return the events it completes."""
        if not isinstance(data, bytes):
            message = f"StreamDecoder.feed() argument must be bytes, not {type(data).__name__}"
            raise argument_error(message, "data", wrong_type=True)
        if self._error is not None:
            raise _again(self._error)
        frames = self._frames
        try:
            self._run(data)
        except StreamDecodeError as error:
            raise self._fail(error, len(data), frames) from None
        return self._take(len(data), frames)

    def finish(self, *, clean: bool = True) -> list[object]:
        """Signal the end of the response; raises ``StreamTruncated`` if it ended early.

        ``clean=False`` says the connection broke: then only the dialect's end marker completes
        the stream (openai-chat's clean-end rule does not apply)."""
        if type(clean) is not bool:
            fail_type("clean", "a bool", clean)
        if self._error is not None:
            raise _again(self._error)
        frames = self._frames
        try:
            framer = self._framer
            if isinstance(framer, SseDecoder) and framer.pending_bytes:
                # A final block cut off by the end of the stream (often `data: [DONE]`).
                self._run(b"\n\n")
            elif isinstance(framer, NdjsonDecoder):
                # A last line without its line end.
                starts: list[int] = []
                lines = framer._finish_lines(starts)
                self._frames += len(lines)
                self._deliver(lines, starts, None)
            elif isinstance(framer, EventStreamDecoder):
                # A message cut off by the end of the stream is an error.
                framer.finish()
            out = self._out
            if not out.reached_end:
                ends_cleanly = getattr(self._handler, "ends_cleanly", None)
                end_of_input = getattr(self._handler, "end_of_input", None)
                if clean and ends_cleanly is not None and ends_cleanly():
                    out.end()
                elif end_of_input is not None:
                    # What the dialect still holds back is reported as unfinished.
                    end_of_input(out)
            out.close()
            if not out.reached_end:
                position = self.position
                raise StreamTruncated(
                    f"the {self._dialect} stream ended after {position} bytes without its "
                    f"end marker ({self._handler.end_marker})",
                    position=position,
                    partial_text="".join(out.text),
                    partial_tool_calls=out.tools.unfinished(),
                )
        except StreamDecodeError as error:
            raise self._fail(error, 0, frames) from None
        return self._take(0, frames)

    @property
    def dialect(self) -> str:
        """The dialect's name."""
        return self._dialect

    @property
    def text(self) -> str:
        """The text of every ``TextDelta`` so far."""
        return "".join(self._out.text)

    @property
    def tool_calls(self) -> list[object]:
        """The ``ToolCallDone`` events so far."""
        return list(self._tool_calls)

    @property
    def usage(self) -> object:
        """The latest ``Usage`` event, if any."""
        return self._out.usage

    @property
    def finish_reason(self) -> str | None:
        """The normalized reason of the ``Finish`` event, once emitted."""
        return self._out.finish_reason

    @property
    def position(self) -> int:
        """Bytes consumed so far."""
        return self._framer.position  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"StreamDecoder('{self._dialect}', position={self.position})"

    def _run(self, data: bytes) -> None:
        framer = self._framer
        starts: list[int] = []
        strays: list[tuple[int, int, str]] | None = [] if self._wants_strays else None
        try:
            if isinstance(framer, NdjsonDecoder):
                frames: list[Any] = framer._feed_lines(data, starts)
            elif isinstance(framer, EventStreamDecoder):
                frames = framer._feed_messages(data, starts)
            else:
                frames = framer._feed_blocks(data, starts, strays)
        except StreamDecodeError as error:
            # The frames completed before a framing error still reach the dialect.
            self._frames += len(error.completed)
            self._deliver(error.completed, starts, strays)
            error.completed = []
            raise
        self._frames += len(frames)
        self._deliver(frames, starts, strays)

    def _deliver(
        self, frames: list[Any], starts: list[int], strays: list[tuple[int, int, str]] | None
    ) -> None:
        """Frames, and stray SSE lines (only a dialect with ``stray`` asks) in stream order:
        a stray line numbered ``n`` came after ``n`` of the frames."""
        handler = self._handler
        out = self._out
        pending = iter(strays or ())
        stray = next(pending, None)
        for number, (frame, start) in enumerate(zip(frames, starts)):
            while stray is not None and stray[0] <= number:
                if out.has_ended:
                    return
                handler.stray(stray[2], stray[1], out)
                stray = next(pending, None)
            if out.has_ended:
                return
            handler.frame(frame, start, out)
        while stray is not None:
            if out.has_ended:
                return
            handler.stray(stray[2], stray[1], out)
            stray = next(pending, None)

    def _take(self, nbytes: int, frames_before: int) -> list[object]:
        """Hand out the call's events, after recording the call (``nbytes`` fed, and the
        frame count before it)."""
        events = self._out.events
        self._out.events = []
        for event in events:
            if type(event) is ToolCallDone:
                self._tool_calls.append(event)
        if self._recorder is not None:
            self._recorder.record(nbytes, self._frames - frames_before, events)
        return events

    def _fail(self, error: StreamDecodeError, nbytes: int, frames_before: int) -> StreamDecodeError:
        error.completed = self._take(nbytes, frames_before)
        self._error = error
        return error


def _again(error: StreamDecodeError) -> StreamDecodeError:
    """A fresh copy of a stored failure, with nothing completed."""
    copy = type(error).__new__(type(error))
    copy.__dict__.update(error.__dict__)
    copy.completed = []
    copy.args = error.args
    return copy


def _framer(framing: str) -> Any:
    if framing == "sse":
        return SseDecoder()
    if framing == "ndjson":
        return NdjsonDecoder()
    if framing == "eventstream":
        return EventStreamDecoder()
    raise AssertionError(framing)
