"""The transports of the httpx clients that ``Client`` and ``AsyncClient`` make for themselves:
httpx's own, behind a gate that lets as many requests through as the pool has connections.

httpcore's pool looks at every waiting request and every connection each time a request
starts or ends, so with 1,000 requests waiting for 100 connections it spends minutes of CPU
in that bookkeeping, and requests time out in its queue. Requests wait at the gate instead (a
semaphore: O(1) per request), bounded by the pool timeout the client sets (``connect``,
within ``total``), and a request that gets through finds a free connection. A permit is given
back when the response is closed.

The blocking gate (``Client``) waits in short slices and runs the closes the garbage collector
deferred (``_release.reap``) between them: when every permit is held by streams the collector
ended, the waiting threads are the ones that give them back.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio

from ._http import httpx
from ._release import reap

__all__ = ["DEFAULT_LIMITS", "gated_client", "gated_sync_client"]

# httpx's default pool: 100 connections, 20 of them kept alive when idle.
_CONNECTIONS = 100
DEFAULT_LIMITS = httpx.Limits(max_connections=_CONNECTIONS, max_keepalive_connections=20)


# How long a blocked thread waits at the gate before it looks for deferred closes again.
_SLICE = 0.05


def gated_sync_client() -> httpx.Client:
    """An ``httpx.Client`` with the default pool behind a gate (500 threads sharing one
    ``Client`` would otherwise spend their time in httpcore's bookkeeping)."""
    inner = httpx.HTTPTransport(limits=DEFAULT_LIMITS)
    return httpx.Client(transport=SyncGatedTransport(inner, _CONNECTIONS))


def gated_client() -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the default pool behind a gate."""
    return httpx.AsyncClient(transport=GatedTransport(_new_pool, _CONNECTIONS))


def _new_pool() -> httpx.AsyncBaseTransport:
    return httpx.AsyncHTTPTransport(limits=DEFAULT_LIMITS)


def _event_loop() -> object:
    """The running event loop (asyncio) or run (trio), which a pool's connections belong to.
    Either is imported when it is running: neither is imported here (a sync program that
    never imports asyncio does not get it from fluent-ai)."""
    asyncio = sys.modules.get("asyncio")
    try:
        if asyncio is None:
            raise RuntimeError("no asyncio")
        return asyncio.get_running_loop()
    except RuntimeError:  # not asyncio: trio (imported, since it is running)
        trio = sys.modules.get("trio")
        try:
            return None if trio is None else trio.lowlevel.current_trio_token()
        except RuntimeError:
            return None


class GatedTransport(httpx.AsyncBaseTransport):
    """A pool made by ``make_pool`` with at most ``connections`` responses open at a time.

    A pool's connections belong to the event loop that opened them: used from another loop
    (``asyncio.run`` once per call with one ``AsyncClient``), they fail with "Event loop is
    closed". So a request from a new loop gets a new pool and gate; the old pool's connections
    are dropped with their loop.
    """

    def __init__(self, make_pool: Callable[[], httpx.AsyncBaseTransport], connections: int) -> None:
        self._make_pool = make_pool
        self._connections = connections
        self._inner = make_pool()
        self._gate = anyio.Semaphore(connections)
        self._loop: object = None

    def _in_this_loop(self) -> None:
        loop = _event_loop()
        if loop is not self._loop:
            if self._loop is not None:
                self._inner = self._make_pool()
                self._gate = anyio.Semaphore(self._connections)
            self._loop = loop

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._in_this_loop()
        timeout = request.extensions.get("timeout", {}).get("pool")
        with anyio.move_on_after(timeout) as scope:
            await self._gate.acquire()
        if scope.cancelled_caught:
            raise httpx.PoolTimeout("no connection of the pool became free", request=request)
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            self._gate.release()
            raise
        response.stream = _Releasing(response.stream, self._gate)
        return response

    async def aclose(self) -> None:
        self._in_this_loop()  # the pool of a loop that is gone cannot be closed in this one
        await self._inner.aclose()


class _Releasing(httpx.AsyncByteStream):
    """A response body that gives its permit back when it is closed (once)."""

    def __init__(self, stream: Any, gate: anyio.Semaphore) -> None:
        self._stream = stream
        self._gate: anyio.Semaphore | None = gate

    def __aiter__(self) -> AsyncIterator[bytes]:
        # The inner iterator itself: no generator of ours resumed per read.
        return self._stream.__aiter__()  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            gate, self._gate = self._gate, None
            if gate is not None:
                gate.release()


class SyncGatedTransport(httpx.BaseTransport):
    """``inner`` with at most ``connections`` responses open at a time (threads)."""

    def __init__(self, inner: httpx.BaseTransport, connections: int) -> None:
        self._inner = inner
        self._gate = threading.Semaphore(connections)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {}).get("pool")
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = _SLICE if end is None else min(_SLICE, max(0.0, end - time.monotonic()))
            if self._gate.acquire(timeout=wait):
                break
            reap()
            if end is not None and time.monotonic() >= end:
                raise httpx.PoolTimeout("no connection of the pool became free", request=request)
        try:
            response = self._inner.handle_request(request)
        except BaseException:
            self._gate.release()
            raise
        response.stream = _SyncReleasing(response.stream, self._gate)
        return response

    def close(self) -> None:
        self._inner.close()


class _SyncReleasing(httpx.SyncByteStream):
    """A response body that gives its permit back when it is closed (once)."""

    def __init__(self, stream: Any, gate: threading.Semaphore) -> None:
        self._stream = stream
        self._gate: threading.Semaphore | None = gate

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._stream)

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            gate, self._gate = self._gate, None
            if gate is not None:
                gate.release()
