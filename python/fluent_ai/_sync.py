"""The blocking I/O of ``Client``: attempts with retries, reads bounded by the watchdog, and
``ChatStream``.

httpx fixes a response's read timeout when its body starts, so the phase limits of a stream
(``first_event``, then ``idle`` between events) are enforced by an ``Alarm`` of
:mod:`fluent_ai.resilience` that shuts the socket down when the next event is late; httpx's own
read timeout is only the backstop (for transports that expose no socket).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from . import _http
from ._answers import chat_object
from ._calls import Answer, Call, Failure, is_json, whole_answer
from ._http import body_reads
from ._release import Lease, reap, shutdown, when_safe
from ._streaming import StreamHandle, StreamState
from .errors import APIError, ClientClosedError
from .providers.base import HttpRequest
from .resilience import WATCHDOG, Alarm
from .types import ChatResponse

if TYPE_CHECKING:
    from ._core import Event
    from ._http import httpx

__all__ = ["ChatStream", "request_json"]


def request_json(call: Call, http: httpx.Client, request: HttpRequest) -> tuple[Any, Answer]:
    """Sends ``request`` until a JSON answer arrives (retrying what may be retried); returns
    the decoded body and the answer."""
    while True:
        try:
            return _attempt_json(call, http, request)
        except Failure as failure:
            delay = call.retry_delay(failure)
            if delay is None:
                failure.raise_error()
            time.sleep(delay)


def _attempt_json(call: Call, http: httpx.Client, request: HttpRequest) -> tuple[Any, Answer]:
    response = _send(call, http, request)
    try:
        answer = Answer(response.status_code, response.headers, _read_all(call, response))
    finally:
        response.close()
    if answer.status_code >= 400:
        raise call.response_failure(answer)
    body = call.json_body(answer)
    call.succeeded(answer.status_code)
    return body, answer


def _send(call: Call, http: httpx.Client, request: HttpRequest) -> httpx.Response:
    """One attempt up to the response headers: breaker, rate limit, signing, sending."""
    reap()  # a safe point: what the garbage collector left to close is closed here
    if http.is_closed:
        raise ClientClosedError("the client is closed (close() ran, or its with block ended)")
    wait = call.before_attempt()
    if wait:
        time.sleep(wait)
    call.start_attempt()
    signed = call.prepare(request)
    try:
        call.auth.sign(signed, http)
    except APIError as error:  # the hook's own request (a token endpoint) failed
        raise call.auth_failure(error) from None
    try:
        response = http.send(call.build(signed, http), stream=True)
    except _http.ERRORS.request as error:  # also a corrupt gzip body
        raise call.transport_failure(error, stream=request.stream) from None
    call.answered(response.status_code)
    return response


def _read_all(call: Call, response: httpx.Response) -> bytes:
    """The whole body, within the call's total time."""
    alarm = _alarm(response)
    alarm.set(call.deadline.end, "total")
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
    except _http.ERRORS.request as error:  # also a corrupt gzip body
        if alarm.fired:
            raise Failure(call.timeout_error("total"), False, error) from None
        if not whole_answer(response, body):
            raise call.transport_failure(error) from None
    finally:
        alarm.cancel()
    return bytes(body)


def _alarm(response: httpx.Response) -> Alarm:
    # Shutting the socket down ends a blocked read of ``response`` from the watchdog thread.
    return WATCHDOG.alarm(partial(shutdown, response))


class ChatStream(StreamHandle):
    """The events of one streamed chat, as the streaming core emits them.

    Iterate it (``for event in stream``); use it as a context manager, or call :meth:`close`,
    to close the connection early. The request is sent when the iteration starts. After the
    last event :attr:`response` is the whole ``ChatResponse`` (what ``chat()`` returns).
    Retries happen only before the first event reaches the caller; a failure after that raises
    ``StreamInterrupted`` with what was received. A stream dropped without closing (a ``for``
    loop left early, an exception in its body) closes its connection when its last reference
    goes (see ``_release``).
    """

    def __init__(
        self, call: Call, http: httpx.Client, request: HttpRequest, model: str, metrics: Any
    ) -> None:
        super().__init__(call, http, request, model, metrics)
        self._events: Iterator[Event] | None = None

    def __iter__(self) -> Iterator[Event]:
        if self._events is None:
            # The generator gets the parts, not the stream: a reference back to the stream
            # would make a cycle that only the garbage collector ends.
            self._events = _stream_events(self._call, self._http, self._request, self._state)
        return self._events

    def __next__(self) -> Event:
        return next(iter(self))

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connection (the stream ends; a finished stream keeps its response).
        Called from another thread while one reads the stream, it ends that thread's read
        at the socket, and that thread's loop ends as after the last event."""
        if self._events is None:
            self._events = iter(())
            self._call.finish("closed")
        elif hasattr(self._events, "close"):
            try:
                self._events.close()
            except ValueError:  # "generator already executing": another thread reads it
                self._state.cancelled = True
                lease = self._state.lease
                if lease is not None:
                    shutdown(lease.response)
                return
        reap()

    def collect(self) -> ChatResponse:
        """Reads the remaining events and returns :attr:`response`."""
        for _ in self:
            pass
        return self.response


class _Cancelled(Exception):
    """The caller closed the stream from another thread (see ``ChatStream.close``)."""


def _stream_events(
    call: Call, http: httpx.Client, request: HttpRequest, state: StreamState
) -> Iterator[Any]:
    outcome = "ok"
    try:
        while True:
            try:
                yield from _stream_attempt(call, http, request, state)
                return
            except Failure as failure:
                if state.cancelled:
                    outcome = "closed"
                    return
                time.sleep(state.fail(failure))
    except _Cancelled:
        outcome = "closed"
    except GeneratorExit:
        outcome = "closed"
        raise
    except BaseException as error:
        outcome = type(error).__name__
        raise
    finally:
        when_safe(partial(call.finish, outcome))


def _stream_attempt(
    call: Call, http: httpx.Client, request: HttpRequest, state: StreamState
) -> Iterator[Any]:
    response = _send(call, http, request)
    state.lease = lease = Lease(response)
    try:
        state.begin_attempt()
        if response.status_code >= 400:
            raise call.response_failure(
                Answer(response.status_code, response.headers, _read_all(call, response))
            )
        if is_json(response):
            # An error object, or a whole answer from a server that ignored "stream".
            answer = Answer(response.status_code, response.headers, _read_all(call, response))
            yield from _events_of(
                call,
                state,
                iter([call.adapter.replay(chat_object(call.json_body(answer), call.name))]),
            )
        else:
            yield from _read(call, state, response, lease)
        call.succeeded(response.status_code)
    finally:
        lease.release()


def _read(call: Call, state: StreamState, response: httpx.Response, lease: Lease) -> Iterator[Any]:
    call.widen_read_timeout(response)
    alarm = _alarm(response)
    lease.chunks = chunks = body_reads(response)
    try:
        yield from _events_of(call, state, chunks, alarm)
    finally:
        alarm.cancel()


def _events_of(
    call: Call, state: StreamState, chunks: Iterator[bytes], alarm: Alarm | None = None
) -> Iterator[Any]:
    # Bound once: this loop runs once per network read (often one event each).
    feed, deliver, pending, read_deadline = (
        state.feed,
        state.deliver,
        state.pending,
        state.read_deadline,
    )
    while True:
        if state.cancelled:
            raise _Cancelled
        if alarm is not None:
            alarm.set(*read_deadline())
        try:
            chunk = next(chunks, None)
        except _http.ERRORS.request as error:  # also a corrupt gzip body
            if state.cancelled:
                raise _Cancelled from None
            if alarm is not None and alarm.fired:
                raise Failure(call.timeout_error(alarm.reason), False, error) from None
            if isinstance(error, _http.ERRORS.read_timeout):  # httpx's backstop
                reason = state.read_deadline()[1]
                raise Failure(call.timeout_error(reason), False, error) from None
            events = state.broken(call.transport_failure(error))
            chunk = None
        else:
            if chunk is None:
                if alarm is not None and alarm.fired:
                    raise Failure(call.timeout_error(alarm.reason), False)
                events = state.end()
            else:
                events = feed(chunk)
        if events:
            if alarm is not None:
                alarm.clear()
            deliver(events)
            yield from events
        pending()
        if chunk is None:
            state.build()
            return
