"""The HTTP side of record and replay: httpx transports (the only httpx-specific code here).

``RecordingTransport(cassette, inner)`` sends through ``inner`` and writes each exchange when
its response is closed; ``ReplayTransport(cassette)`` answers from the cassette and never
opens a connection. The async twins take and give ``httpx.AsyncBaseTransport``s. The response
a replay gives has the recorded status, headers and body pieces, so httpx's content decoding,
the stream decoders and the error mapping all run exactly as they did when it was recorded.
"""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Union

import anyio

from .._gate import DEFAULT_LIMITS, GatedTransport, SyncGatedTransport
from .._http import httpx
from ..errors import InvalidArgumentError
from ._cassette import Cassette, Exchange, _Pending

__all__ = [
    "AsyncRecordingTransport",
    "AsyncReplayTransport",
    "RecordingTransport",
    "ReplayTransport",
    "async_http_client",
    "sync_http_client",
]

CassetteLike = Union[str, "os.PathLike[str]", Cassette]


def as_cassette(value: object, argument: str) -> Cassette:
    if isinstance(value, Cassette):
        return value
    if isinstance(value, (str, os.PathLike)) and str(value):
        return Cassette(value)
    from .._validation import fail_type  # noqa: PLC0415

    fail_type(
        argument, "a directory path (str or os.PathLike) or a fluent_ai.recording.Cassette", value
    )


def _summary(request: httpx.Request) -> tuple[str, str, list[tuple[str, str]], bytes]:
    body = request.read()
    return request.method, str(request.url), list(request.headers.multi_items()), body


def _version(response: httpx.Response) -> str:
    version = response.extensions.get("http_version", b"HTTP/1.1")
    return version.decode("ascii", "replace") if isinstance(version, bytes) else str(version)


def _failure(pending: _Pending, error: BaseException) -> None:
    pending.error = {
        "type": type(error).__name__,
        "message": str(error),
        "after_chunks": len(pending.chunks) if pending.status is not None else None,
    }


def _whole(pending: _Pending, content: bytes, started: float) -> None:
    # ``content`` is decoded already: the headers must not say it is compressed.
    pending.headers = [
        (name, value)
        for name, value in pending.headers
        if name.lower() not in ("content-encoding", "content-length")
    ]
    pending.chunks.append(content)
    pending.times.append(time.monotonic() - started)
    pending.complete = True


def _replayed_error(error: dict[str, Any] | None, request: httpx.Request) -> httpx.TransportError:
    if error is None:
        return httpx.RemoteProtocolError(
            "the recording ends here (the recorded client closed the response before its end)",
            request=request,
        )
    kind = getattr(httpx, str(error.get("type")), None)
    if not (isinstance(kind, type) and issubclass(kind, httpx.TransportError)):
        kind = httpx.ReadError
    return kind(f"(replayed) {error.get('message', '')}", request=request)


def _replayed_response(
    exchange: Exchange, stream: Any, extensions: dict[str, Any] | None = None
) -> httpx.Response:
    assert exchange.status is not None
    return httpx.Response(
        exchange.status,
        headers=exchange.headers,
        stream=stream,
        extensions={
            "http_version": exchange.http_version.encode(),
            "fluent_ai_replay": True,
            **(extensions or {}),
        },
    )


class _Pause:
    """The recorded pauses of a blocking replay, cut short the way a socket read is: the
    client's watchdog shuts down ``socket`` (given as the response's ``network_stream``) when
    a phase limit runs out, and the waiting read then fails as a cut connection would."""

    def __init__(self) -> None:
        self.socket, self._other = socket.socketpair()

    def get_extra_info(self, name: str) -> Any:
        return self.socket if name == "socket" else None

    def wait(self, seconds: float) -> bool:
        """Waits ``seconds``; false when the socket was shut down meanwhile."""
        readable, _, _ = select.select([self.socket], [], [], max(0.0, seconds))
        return not readable

    def close(self) -> None:
        self.socket.close()
        self._other.close()


# Blocking -------------------------------------------------------------------------------------


class RecordingTransport(httpx.BaseTransport):
    """Sends through ``inner`` and records every exchange into ``cassette``."""

    def __init__(self, cassette: CassetteLike, inner: httpx.BaseTransport) -> None:
        self.cassette = as_cassette(cassette, "cassette")
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        pending = self.cassette.begin(*_summary(request))
        started = time.monotonic()
        try:
            response = self._inner.handle_request(request)
        except httpx.TransportError as error:
            _failure(pending, error)
            self.cassette.write(pending)
            raise
        pending.status = response.status_code
        pending.http_version = _version(response)
        pending.headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.headers.raw
        ]
        if response.is_stream_consumed:  # a transport that read the body itself (a mock)
            _whole(pending, response.content, started)
            self.cassette.write(pending)
            return response
        response.stream = _RecordingStream(response.stream, pending, started, self.cassette)
        return response

    def close(self) -> None:
        self._inner.close()


class _RecordingStream(httpx.SyncByteStream):
    def __init__(self, inner: Any, pending: _Pending, started: float, cassette: Cassette) -> None:
        self._inner = inner
        self._pending: _Pending | None = pending
        self._started = started
        self._cassette = cassette

    def __iter__(self) -> Iterator[bytes]:
        pending = self._pending
        try:
            for chunk in self._inner:
                if pending is not None:
                    pending.times.append(time.monotonic() - self._started)
                    pending.chunks.append(bytes(chunk))
                yield chunk
        except httpx.TransportError as error:
            if pending is not None:
                _failure(pending, error)
            raise
        if pending is not None:
            pending.complete = True

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            pending, self._pending = self._pending, None
            if pending is not None:
                self._cassette.write(pending)


class ReplayTransport(httpx.BaseTransport):
    """Answers every request from ``cassette`` (see ``Cassette.take`` for the match rule);
    raises ``UnrecordedRequestError`` for a request it does not hold."""

    def __init__(self, cassette: CassetteLike) -> None:
        self.cassette = as_cassette(cassette, "cassette")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        exchange = self.cassette.take(*_summary(request))
        if exchange.status is None:
            raise _replayed_error(exchange.error, request)
        if self.cassette.timing != "recorded":
            return _replayed_response(exchange, _ReplayStream(exchange, None, request))
        pause = _Pause()
        stream = _ReplayStream(exchange, pause, request)
        return _replayed_response(exchange, stream, {"network_stream": pause})


class _ReplayStream(httpx.SyncByteStream):
    def __init__(self, exchange: Exchange, pause: _Pause | None, request: httpx.Request) -> None:
        self._exchange = exchange
        self._pause = pause
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        started = time.monotonic()
        for at, data in self._exchange.chunks:
            if self._pause is not None and not self._pause.wait(started + at - time.monotonic()):
                raise httpx.ReadError("the read was cut (replayed pause)", request=self._request)
            yield data
        if not self._exchange.complete:
            raise _replayed_error(self._exchange.error, self._request)

    def close(self) -> None:
        if self._pause is not None:
            self._pause.close()


# Async ----------------------------------------------------------------------------------------


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """``RecordingTransport`` for ``httpx.AsyncClient``."""

    def __init__(self, cassette: CassetteLike, inner: httpx.AsyncBaseTransport) -> None:
        self.cassette = as_cassette(cassette, "cassette")
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        pending = self.cassette.begin(
            request.method, str(request.url), list(request.headers.multi_items()), body
        )
        started = time.monotonic()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError as error:
            _failure(pending, error)
            self.cassette.write(pending)
            raise
        pending.status = response.status_code
        pending.http_version = _version(response)
        pending.headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.headers.raw
        ]
        if response.is_stream_consumed:  # a transport that read the body itself (a mock)
            _whole(pending, response.content, started)
            self.cassette.write(pending)
            return response
        response.stream = _AsyncRecordingStream(response.stream, pending, started, self.cassette)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _AsyncRecordingStream(httpx.AsyncByteStream):
    def __init__(self, inner: Any, pending: _Pending, started: float, cassette: Cassette) -> None:
        self._inner = inner
        self._pending: _Pending | None = pending
        self._started = started
        self._cassette = cassette

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pending = self._pending
        try:
            async for chunk in self._inner:
                if pending is not None:
                    pending.times.append(time.monotonic() - self._started)
                    pending.chunks.append(bytes(chunk))
                yield chunk
        except httpx.TransportError as error:
            if pending is not None:
                _failure(pending, error)
            raise
        if pending is not None:
            pending.complete = True

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            pending, self._pending = self._pending, None
            if pending is not None:
                self._cassette.write(pending)


class AsyncReplayTransport(httpx.AsyncBaseTransport):
    """``ReplayTransport`` for ``httpx.AsyncClient``."""

    def __init__(self, cassette: CassetteLike) -> None:
        self.cassette = as_cassette(cassette, "cassette")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        exchange = self.cassette.take(
            request.method, str(request.url), list(request.headers.multi_items()), body
        )
        if exchange.status is None:
            raise _replayed_error(exchange.error, request)
        stream = _AsyncReplayStream(exchange, self.cassette.timing, request)
        return _replayed_response(exchange, stream)


class _AsyncReplayStream(httpx.AsyncByteStream):
    def __init__(self, exchange: Exchange, timing: str, request: httpx.Request) -> None:
        self._exchange = exchange
        self._timed = timing == "recorded"
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        started = time.monotonic()
        for at, data in self._exchange.chunks:
            if self._timed:
                wait = started + at - time.monotonic()
                if wait > 0:
                    await anyio.sleep(wait)
            yield data
        if not self._exchange.complete:
            raise _replayed_error(self._exchange.error, self._request)


# The clients' hook ----------------------------------------------------------------------------


def _check_hook(http_client: object, record: object, replay: object) -> None:
    if record is not None and replay is not None:
        raise InvalidArgumentError(
            "record and replay cannot both be set (record one run, replay it in another)",
            argument="replay",
            expected="None when record is set",
        )
    if http_client is not None:
        raise InvalidArgumentError(
            "record/replay wrap the client's own HTTP pool; with an http_client of your own, "
            "give it the transport instead: httpx.Client(transport=fluent_ai.recording."
            "RecordingTransport(dir, httpx.HTTPTransport())) or ReplayTransport(dir)",
            argument="http_client",
            expected="None when record or replay is set",
        )


def sync_http_client(http_client: object, record: object, replay: object) -> httpx.Client:
    """The ``httpx.Client`` of a ``Client(record=...)`` or ``Client(replay=...)``."""
    _check_hook(http_client, record, replay)
    if replay is not None:
        return httpx.Client(transport=ReplayTransport(as_cassette(replay, "replay")))
    pool = SyncGatedTransport(
        httpx.HTTPTransport(limits=DEFAULT_LIMITS), DEFAULT_LIMITS.max_connections or 100
    )
    return httpx.Client(transport=RecordingTransport(as_cassette(record, "record"), pool))


def async_http_client(http_client: object, record: object, replay: object) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` of an ``AsyncClient(record=...)`` or ``(replay=...)``."""
    _check_hook(http_client, record, replay)
    if replay is not None:
        return httpx.AsyncClient(transport=AsyncReplayTransport(as_cassette(replay, "replay")))
    pool = GatedTransport(
        lambda: httpx.AsyncHTTPTransport(limits=DEFAULT_LIMITS),
        DEFAULT_LIMITS.max_connections or 100,
    )
    return httpx.AsyncClient(transport=AsyncRecordingTransport(as_cassette(record, "record"), pool))
