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

import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio

from ._http import httpx
from ._loop_pools import LoopPools
from ._release import collect_abandoned, reap

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


class GatedTransport(httpx.AsyncBaseTransport):
    """A pool made by ``make_pool`` with at most ``connections`` responses open at a time, one
    pool and gate per event loop, each closed when its loop ends (``_loop_pools``)."""

    def __init__(self, make_pool: Callable[[], httpx.AsyncBaseTransport], connections: int) -> None:
        self._pools = LoopPools(make_pool, connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        current = await self._pools.current()
        gate = current.gate
        timeout = request.extensions.get("timeout", {}).get("pool")
        with anyio.move_on_after(timeout) as scope:
            await gate.acquire()
        if scope.cancelled_caught:
            raise httpx.PoolTimeout("no connection of the pool became free", request=request)
        try:
            response = await current.pool.handle_async_request(request)
        except BaseException:
            gate.release()
            raise
        response.stream = _Releasing(response.stream, gate)
        return response

    async def aclose(self) -> None:
        await self._pools.aclose()


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
        collected = False
        while True:
            wait = _SLICE if end is None else min(_SLICE, max(0.0, end - time.monotonic()))
            if self._gate.acquire(timeout=wait):
                break
            if not collected:
                # Every permit is held: perhaps by streams dropped in cycles the collector has
                # not found yet (once per waiting request: a collection is not free).
                collected = True
                collect_abandoned()
            else:
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
