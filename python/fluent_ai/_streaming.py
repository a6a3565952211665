"""The state of one streamed chat, without I/O: decoding, what reached the caller, the
deadlines of the next read, what a failure becomes, and the final ``ChatResponse``.

The same object also turns a whole (non-stream) chat response into a ``ChatResponse``: the
adapter replays it in the stream format, and one ``StreamDecoder`` normalizes both.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from typing import Any

from ._answers import chat_object
from ._backend import core
from ._calls import Call, Failure
from ._http_errors import is_context_overflow
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectionError,
    ContextWindowExceededError,
    LimitExceeded,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamDecodeError,
    StreamInterrupted,
    stream_interrupted,
)
from .structured import OutputStream
from .types import ChatResponse

__all__ = ["StreamHandle", "StreamState", "whole_response"]

# How far into a stream its model name is looked for.
_SNIFF_LIMIT = 64 * 1024

# Mid-stream error types -> the class of a pre-stream HTTP error of the same kind.
_SERVER_WORDS = ("overload", "server", "internal", "api_error", "unavail", "timeout")
_ERROR_KINDS: tuple[tuple[tuple[str, ...], type[APIError]], ...] = (
    (("context", "too_long", "too long"), ContextWindowExceededError),
    (("rate", "throttl", "quota", "too_many", "exhausted"), RateLimitError),
    ((*_SERVER_WORDS, "deadline", "modelstream"), ServerError),
    (("auth",), AuthenticationError),
    (("permission", "forbidden"), PermissionDeniedError),
    (("not_found", "notfound"), NotFoundError),
    (("invalid", "validation", "bad_request"), BadRequestError),
)

TextDelta = core.TextDelta
ReasoningDelta = core.ReasoningDelta
ToolCallInvalid = core.ToolCallInvalid
Finish = core.Finish
ProviderErrorEvent = core.ProviderErrorEvent
ToolCallStart = core.ToolCallStart
ToolCallDelta = core.ToolCallDelta
ToolCallDone = core.ToolCallDone


class StreamState:
    """One streamed chat across its attempts."""

    def __init__(self, call: Call, requested_model: str, *, metrics: Any = None) -> None:
        self.call = call
        self.requested_model = requested_model
        self._metrics = metrics
        self.delivered = False
        self._waiting_since: float | None = None
        self.response: ChatResponse | None = None
        self.received = Received()
        # What is being read (a blocking stream's ``Lease``, an async stream's cancel scope),
        # and whether the caller closed the stream from another thread (or task) meanwhile.
        self.lease: Any = None
        self.cancelled = False
        self._begin()

    def _begin(self) -> None:
        self.decoder = core.StreamDecoder(self.call.adapter.dialect, metrics=self._metrics)
        self._pending: Failure | None = None
        self.model: str | None = None
        self._head = b""
        self._reasoning: list[str] = []
        # The answer is choice 0's: a server that sends other choices unasked (``n`` > 1 is
        # refused before sending) does not get their text joined into it.
        self._text: list[str] = []
        self._invalid: list[Any] = []
        self._finish: Any = None
        self._error: Any = None
        output = self.call.output
        self._output = None if output is None else OutputStream(output, TextDelta)

    def begin_attempt(self) -> None:
        """A new attempt: nothing has reached the caller yet, so start over with a new decoder
        and new accounting (the last attempt's decoder may have seen a whole answer, or its
        end)."""
        self._begin()

    # Reading --------------------------------------------------------------------------------------

    def read_deadline(self) -> tuple[float, str]:
        """When the next read must have produced an event, and which limit that is."""
        timeout = self.call.timeout
        if self.delivered:
            # The idle clock starts when the caller asks for more, and keep-alive bytes that
            # bring no event do not restart it (no clock read without an idle limit).
            idle = timeout.idle
            if idle is None:
                limit = math.inf
            else:
                if self._waiting_since is None:
                    self._waiting_since = time.monotonic()
                limit = self._waiting_since + idle
            reason = "idle"
        else:
            # From the moment the request was on the wire, not from the wait for a connection.
            first = timeout.first_event
            limit = math.inf if first is None else self.call.sent_at + first
            reason = "first_event"
        end = self.call.deadline.end
        return (limit, reason) if limit <= end else (end, "total")

    def feed(self, chunk: bytes) -> list[Any]:
        """The events one network read completes. A malformed stream raises ``Failure`` after
        the events completed before the fault were delivered (see :meth:`pending`)."""
        if self.model is None and len(self._head) < _SNIFF_LIMIT:
            self._sniff(chunk)
        if self.call.observer is not None and self.call.observer.head_open:
            self.call.observer.head(chunk)
        try:
            events: list[Any] = self.decoder.feed(chunk)
        except StreamDecodeError as error:
            events = list(error.completed)
            self._pending = Failure(error, False)
        else:
            self._pending = None
        if events:
            self._scan(events)
        return events

    def end(self) -> list[Any]:
        """The response's bytes ended: the last events, or ``Failure`` for a stream cut off
        before its end marker (retryable while nothing reached the caller). A last frame that
        the end cut in two is part of the cut: it is a ``ConnectionError``, not a decode error
        (only a limit exceeded stays what it is)."""
        try:
            events: list[Any] = self.decoder.finish()
        except LimitExceeded as error:
            raise Failure(error, False) from None
        except StreamDecodeError as error:
            if self.decoder.position == 0:
                text = "the answer's body was empty"
            else:
                text = f"the stream ended before its end marker: {error}"
            failure = ConnectionError(text, provider=self.call.name)
            raise Failure(failure, True, error) from None
        self._pending = None
        if events:
            self._scan(events)
        return events

    def broken(self, failure: Failure) -> list[Any]:
        """The connection failed mid-body: if the end marker had already arrived the stream is
        complete (its last events are returned); otherwise ``failure`` is raised."""
        try:
            # Not a clean end: only the end marker makes the answer whole (openai-chat's
            # finished-choices rule is for a body that ended as it should).
            events: list[Any] = self.decoder.finish(clean=False)
        except StreamDecodeError:
            raise failure from None
        if events:
            self._scan(events)
        return events

    def pending(self) -> None:
        """Raises what :meth:`feed` held back until its events were delivered: a malformed
        frame, or an error event the provider sent after the first events."""
        if self._pending is not None:
            raise self._pending
        if self._error is not None and self.delivered:
            self.build()
            raise Failure(self._provider_error(), False)

    def _scan(self, events: list[Any]) -> None:
        for position, event in enumerate(events):
            kind = type(event)
            if kind is TextDelta:
                if not event.index:
                    self._text.append(event.text)
                continue
            if kind is ReasoningDelta:
                self._reasoning.append(event.text)
            elif kind is ToolCallInvalid:
                self._invalid.append(event)
            elif kind is Finish:
                self._finish = event
            elif kind is ProviderErrorEvent:
                # A provider that echoes the key in an error must not put it in our hands.
                redact = self.call.redact
                clean = ProviderErrorEvent(event.type, redact(event.message), redact(event.raw))
                events[position] = self._error = clean
        if self._error is not None and not self.delivered and type(events[0]) is ProviderErrorEvent:
            # The provider failed before any event reached the caller: like an HTTP error.
            error = self._provider_error()
            raise Failure(error, isinstance(error, (ServerError, RateLimitError)))
        if self._output is not None:
            self._output.add_partials(events)  # OutputPartial events (structured output)

    def _provider_error(self) -> APIError:
        event = self._error
        kind = event.type or ""
        cls: type[APIError] = APIError
        for words, candidate in _ERROR_KINDS:
            if any(word in kind.lower() for word in words):
                cls = candidate
                break
        message = f"{kind}: {event.message}" if kind else event.message
        if cls is BadRequestError and is_context_overflow(message):
            cls = ContextWindowExceededError  # Bedrock: validationException "Input is too long"
        return cls(
            self.call.redact(message or "error event in the stream"), provider=self.call.name
        )

    def _sniff(self, chunk: bytes) -> None:
        self._head += chunk
        match = self.call.adapter.stream_model.search(self._head)
        if match:
            try:
                name = json.loads(b'"' + match.group(1) + b'"')
            except ValueError:
                return
            if name:
                self.model = name

    # Failures -----------------------------------------------------------------------------------

    def deliver(self, events: list[Any]) -> None:
        """``events`` are about to reach the caller: from now on nothing is retried."""
        self.received.add(events)
        self._waiting_since = None
        if self.call.observer is not None:
            self.call.observer.chunk()
        if not self.delivered:
            self.delivered = True
            self.call.settings.metrics.observe(
                "fluent_ai_stream_first_event_seconds",
                self.call.deadline.elapsed(),
                provider=self.call.name,
            )

    def fail(self, failure: Failure) -> float:
        """What a failed attempt becomes: the wait before the next attempt, or an exception
        (raised here). After the first event reached the caller nothing is retried: the
        error comes as ``StreamInterrupted`` with what was received."""
        if self.delivered:
            self.call.retry_delay(Failure(failure.error, False))
            if failure.cause is not None:
                failure.error.__cause__ = failure.cause
            raise self.interrupted(failure.error) from failure.error
        delay = self.call.retry_delay(failure)
        if delay is None:
            failure.raise_error()
        return delay

    def interrupted(self, error: Exception) -> StreamInterrupted:
        cls = stream_interrupted(type(error))
        api = error if isinstance(error, APIError) else None
        return cls(
            f"the stream broke off after its first events: {error}",
            provider=self.call.name,
            status_code=api.status_code if api else None,
            request_id=api.request_id if api else None,
            retry_after=api.retry_after if api else None,
            partial_text=self.received.text,
            tool_calls=list(self.received.done),
            partial_tool_calls=self.received.open_calls(),
        )

    # The answer ----------------------------------------------------------------------------------

    def build(
        self, *, raw: Any = None, model: str | None = None, request_id: str | None = None
    ) -> ChatResponse:
        finish = self._finish
        self.response = ChatResponse(
            text="".join(self._text),
            tool_calls=tuple(self.decoder.tool_calls),
            usage=self.decoder.usage,
            finish_reason=self.decoder.finish_reason,
            model=model or self.model or self.requested_model,
            provider=self.call.name,
            reasoning="".join(self._reasoning),
            invalid_tool_calls=tuple(self._invalid),
            raw_finish_reason=finish.raw_reason if finish is not None else None,
            raw=raw,
            request_id=request_id,
        )
        if self.call.observer is not None:
            self.call.observer.chat_response(self.response, raw)
        if self._output is not None and self._error is None:
            # ``parsed``, or StructuredOutputError with the response (set first, unparsed).
            self.response = self._output.finish(self.response)
        return self.response


def whole_response(
    call: Call, requested_model: str, body: Any, request_id: str | None
) -> ChatResponse:
    """A non-stream chat answer, normalized by the stream decoder (see the module doc)."""
    state = StreamState(call, requested_model)
    chat_object(body, call.name)
    try:
        state.feed(call.adapter.replay(body))
        state.pending()
        state.end()
    except Failure as failure:
        raise failure.error from None
    return state.build(raw=body, model=call.adapter.response_model(body), request_id=request_id)


class Received:
    """What reached the caller: the text, the finished tool calls, and the argument text of
    the calls still open. ``StreamInterrupted`` reports this and nothing else: the decoder also
    holds what an unterminated last frame would add, which the caller never got."""

    __slots__ = ("_open", "_text", "done")

    def __init__(self) -> None:
        self._text: list[str] = []
        self.done: list[Any] = []
        self._open: dict[int, tuple[Any, list[str]]] = {}

    def add(self, events: list[Any]) -> None:
        for event in events:
            kind = type(event)
            if kind is TextDelta:
                self._text.append(event.text)
            elif kind is ToolCallDelta:
                call = self._open.get(event.index)
                if call is not None:
                    call[1].append(event.fragment)
            elif kind is ToolCallStart:
                self._open[event.index] = (event, [])
            elif kind is ToolCallDone:
                self.done.append(event)
                self._open.pop(event.index, None)
            elif kind is ToolCallInvalid:
                self._open.pop(event.index, None)

    @property
    def text(self) -> str:
        return "".join(self._text)

    def open_calls(self) -> list[Any]:
        """A ``PartialToolCall`` for each call started but not finished, in order, with its
        arguments as if the text so far were closed."""
        calls = []
        for index, (start, fragments) in sorted(self._open.items()):
            raw = "".join(fragments)
            calls.append(core.PartialToolCall(index, start.id, start.name, raw, _partial(raw)))
        return calls


def _partial(raw: str) -> Any:
    parser = core.JsonStream()
    with contextlib.suppress(StreamDecodeError):
        parser.feed(raw)  # past a fault: the value up to it
    try:
        return parser.partial()
    except StreamDecodeError:
        return None


class StreamHandle:
    """What ``ChatStream`` and ``AsyncChatStream`` share: the call, its request, its state."""

    def __init__(self, call: Call, http: Any, request: Any, model: str, metrics: Any) -> None:
        self._call = call
        self._http = http
        self._request = request
        self._state = StreamState(call, model, metrics=metrics)

    @property
    def response(self) -> ChatResponse:
        """The whole answer; available once the last event has been read."""
        if self._state.response is None:
            raise RuntimeError("the stream has not finished: read all its events first")
        return self._state.response

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._call.name}/{self._state.requested_model}>"
