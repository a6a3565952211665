"""The asynchronous I/O of ``AsyncClient``: attempts with retries, bounded reads, and
``AsyncChatStream`` (anyio, so asyncio and trio both work).

The phase limits of a stream (``first_event``, then ``idle``) are enforced like the blocking
client's: one ``Alarm`` of the watchdog thread per attempt, moved (not re-created) before each
read, shuts the socket down when the next event is late, so the read ends with an error and the
stream reports the limit. Moving it costs an attribute write unless the deadline comes earlier
than the one already scheduled: no cancel scope or timer per read. A response whose transport
exposes no socket gets a cancel scope per read instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio

from . import _http
from ._answers import chat_object
from ._calls import Answer, Call, Failure, is_json, whole_answer
from ._http import abody_reads
from ._release import shutdown, socket_of
from ._streaming import StreamHandle, StreamState
from .errors import APIError, ClientClosedError
from .providers.base import HttpRequest
from .resilience import WATCHDOG, Alarm
from .types import ChatResponse

if TYPE_CHECKING:
    from ._core import Event
    from ._http import httpx

__all__ = ["AsyncChatStream", "request_json"]


async def request_json(
    call: Call, http: httpx.AsyncClient, request: HttpRequest
) -> tuple[Any, Answer]:
    """See ``_sync.request_json``."""
    while True:
        try:
            return await _attempt_json(call, http, request)
        except Failure as failure:
            delay = call.retry_delay(failure)
            if delay is None:
                failure.raise_error()
            await anyio.sleep(delay)


async def _attempt_json(
    call: Call, http: httpx.AsyncClient, request: HttpRequest
) -> tuple[Any, Answer]:
    response = await _send(call, http, request)
    try:
        answer = Answer(response.status_code, response.headers, await _read_all(call, response))
    finally:
        await response.aclose()
    if answer.status_code >= 400:
        raise call.response_failure(answer)
    body = call.json_body(answer)
    call.succeeded(answer.status_code)
    return body, answer


async def _send(call: Call, http: httpx.AsyncClient, request: HttpRequest) -> httpx.Response:
    if http.is_closed:
        raise ClientClosedError("the client is closed (aclose() ran, or its with block ended)")
    wait = call.before_attempt()
    if wait:
        await anyio.sleep(wait)
    call.start_attempt()
    signed = call.prepare(request)
    try:
        await call.auth.asign(signed, http)
    except APIError as error:  # the hook's own request (a token endpoint) failed
        raise call.auth_failure(error) from None
    try:
        response = await http.send(call.build(signed, http), stream=True)
    except _http.ERRORS.request as error:  # also a corrupt gzip body
        raise call.transport_failure(error, stream=request.stream) from None
    call.answered(response.status_code)
    return response


async def _read_all(call: Call, response: httpx.Response) -> bytes:
    body = bytearray()
    with anyio.move_on_after(call.deadline.remaining()):
        try:
            async for chunk in response.aiter_bytes():
                body += chunk
        except _http.ERRORS.request as error:  # also a corrupt gzip body
            if not whole_answer(response, body):
                raise call.transport_failure(error) from None
        return bytes(body)
    raise Failure(call.timeout_error("total"), False)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


class AsyncChatStream(StreamHandle):
    """The events of one streamed chat on ``AsyncClient`` (see ``ChatStream``): ``async for``
    over it, ``async with`` or :meth:`aclose` to close the connection early, :attr:`response`
    after the last event. A stream dropped without closing is closed by the event loop's
    async-generator finalizer (a task of its own, so no lock of the dropping code is held)."""

    def __init__(
        self, call: Call, http: httpx.AsyncClient, request: HttpRequest, model: str, metrics: Any
    ) -> None:
        super().__init__(call, http, request, model, metrics)
        self._events: AsyncIterator[Any] | None = None

    def __aiter__(self) -> AsyncIterator[Event]:
        if self._events is None:
            # The parts, not the stream: see ``ChatStream.__iter__``.
            self._events = _stream_events(self._call, self._http, self._request, self._state)
        return self._events

    async def __anext__(self) -> Event:
        return await self.__aiter__().__anext__()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the connection (a finished stream keeps its response). Called from another
        task while one reads the stream, it cancels that task's read, and that task's loop
        ends as after the last event."""
        if self._events is None:
            self._events = _one(b"")
            self._call.finish("closed")
            return
        try:
            await self._events.aclose()  # type: ignore[attr-defined]
        except RuntimeError:  # "asynchronous generator is already running": another task
            self._state.cancelled = True
            lease = self._state.lease  # a cancel scope, or what shuts the socket down
            if lease is not None:
                lease.cancel()

    async def collect(self) -> ChatResponse:
        """Reads the remaining events and returns :attr:`response`."""
        async for _ in self:
            pass
        return self.response


class _Cancelled(Exception):
    """The caller closed the stream from another task (see ``AsyncChatStream.aclose``)."""


async def _stream_events(
    call: Call, http: httpx.AsyncClient, request: HttpRequest, state: StreamState
) -> AsyncIterator[Any]:
    outcome = "ok"
    try:
        while True:
            try:
                response = await _send(call, http, request)
            except Failure as failure:
                await anyio.sleep(state.fail(failure))
                continue
            alarm = None
            try:
                state.begin_attempt()
                chunks, alarm = await _chunks(call, state, response)
                while True:
                    if alarm is None:
                        chunk, events = await _next(call, state, chunks)
                    else:
                        # _next_alarmed's work, inline: no coroutine made per read.
                        if state.cancelled:
                            raise _Cancelled
                        limit, reason = state.read_deadline()
                        if limit != math.inf and limit <= time.monotonic():
                            raise Failure(call.timeout_error(reason), False)
                        alarm.set(limit, reason)
                        try:
                            chunk = await chunks.__anext__()
                        except Exception as error:
                            chunk, events = _failed_read(call, state, alarm, reason, error)
                        else:
                            events = state.feed(chunk)
                            if events:
                                alarm.clear()
                    if events:
                        state.deliver(events)
                        for event in events:
                            yield event
                    state.pending()
                    if chunk is None:
                        break
                call.succeeded(response.status_code)
                state.build()
                return
            except Failure as failure:
                if state.cancelled:
                    raise _Cancelled from None
                delay = state.fail(failure)
            finally:
                if alarm is not None:
                    alarm.cancel()
                await response.aclose()
            await anyio.sleep(delay)
    except _Cancelled:
        outcome = "closed"
    except GeneratorExit:
        outcome = "closed"
        raise
    except BaseException as error:
        outcome = type(error).__name__
        raise
    finally:
        call.finish(outcome)


async def _chunks(
    call: Call, state: StreamState, response: httpx.Response
) -> tuple[AsyncIterator[bytes], Alarm | None]:
    """The body's reads, and the alarm that bounds them (``None``: no socket to shut down)."""
    if response.status_code >= 400:
        answer = Answer(response.status_code, response.headers, await _read_all(call, response))
        raise call.response_failure(answer)
    if is_json(response):
        # An error object, or a whole answer from a server that ignored "stream".
        answer = Answer(response.status_code, response.headers, await _read_all(call, response))
        return _one(call.adapter.replay(chat_object(call.json_body(answer), call.name))), None
    call.widen_read_timeout(response)
    if socket_of(response) is None:
        return abody_reads(response), None
    interrupt = partial(shutdown, response)
    state.lease = _Interrupt(interrupt)
    return abody_reads(response), WATCHDOG.alarm(interrupt)


class _Interrupt:
    """The lease of an alarmed read: ``cancel()`` (``aclose`` from another task) ends the read
    at the socket, and the reading task's loop ends as after the last event."""

    __slots__ = ("cancel",)

    def __init__(self, interrupt: Callable[[], None]) -> None:
        self.cancel = interrupt


def _failed_read(
    call: Call, state: StreamState, alarm: Alarm, reason: str, error: Exception
) -> tuple[None, list[Any]]:
    """What a read bounded by ``alarm`` (which shuts the socket down when the read's limit
    passes) that raised ``error`` means: the body's end and its last events, or ``Failure``;
    anything else is raised again."""
    if isinstance(error, StopAsyncIteration):
        if alarm.fired:
            raise Failure(call.timeout_error(alarm.reason), False) from None
        return None, state.end()
    if isinstance(error, _http.ERRORS.read_timeout):  # httpx's backstop
        raise Failure(call.timeout_error(reason), False, error) from None
    if isinstance(error, _http.ERRORS.request):  # also a corrupt gzip body
        if state.cancelled:
            raise _Cancelled from None
        if alarm.fired:
            raise Failure(call.timeout_error(alarm.reason), False, error) from None
        return None, state.broken(call.transport_failure(error))
    raise error


async def _next(
    call: Call, state: StreamState, chunks: AsyncIterator[bytes]
) -> tuple[bytes | None, list[Any]]:
    """The next read and its events (``None``: the body ended), within the read's limit."""
    if state.cancelled:
        raise _Cancelled
    limit, reason = state.read_deadline()
    wait = None if limit == math.inf else limit - time.monotonic()
    if wait is not None and wait <= 0:
        raise Failure(call.timeout_error(reason), False)
    with anyio.move_on_after(wait) as scope:
        state.lease = scope
        try:
            chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return None, state.end()
        except _http.ERRORS.read_timeout as error:  # httpx's backstop
            raise Failure(call.timeout_error(reason), False, error) from None
        except _http.ERRORS.request as error:  # also a corrupt gzip body
            return None, state.broken(call.transport_failure(error))
        return chunk, state.feed(chunk)
    if state.cancelled:
        raise _Cancelled
    raise Failure(call.timeout_error(reason), False)
