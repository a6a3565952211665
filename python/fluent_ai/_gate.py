"""The transport of the ``httpx.AsyncClient`` that ``AsyncClient`` makes for itself: httpx's
own, behind a gate that lets as many requests through as the pool has connections.

httpcore's pool looks at every waiting request and every connection each time a request
starts or ends, so with 1,000 requests waiting for 100 connections it spends minutes of CPU
in that bookkeeping, and requests time out in its queue. Requests wait at the gate instead (a
semaphore: O(1) per request), bounded by the pool timeout the client sets (``connect``,
within ``total``), and a request that gets through finds a free connection. A permit is given
back when the response is closed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx

__all__ = ["DEFAULT_LIMITS", "gated_client"]

# httpx's default pool: 100 connections, 20 of them kept alive when idle.
_CONNECTIONS = 100
DEFAULT_LIMITS = httpx.Limits(max_connections=_CONNECTIONS, max_keepalive_connections=20)


def gated_client() -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the default pool behind a gate."""
    inner = httpx.AsyncHTTPTransport(limits=DEFAULT_LIMITS)
    return httpx.AsyncClient(transport=GatedTransport(inner, _CONNECTIONS))


class GatedTransport(httpx.AsyncBaseTransport):
    """``inner`` with at most ``connections`` responses open at a time."""

    def __init__(self, inner: httpx.AsyncBaseTransport, connections: int) -> None:
        self._inner = inner
        self._gate = anyio.Semaphore(connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
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
        await self._inner.aclose()


class _Releasing(httpx.AsyncByteStream):
    """A response body that gives its permit back when it is closed (once)."""

    def __init__(self, stream: Any, gate: anyio.Semaphore) -> None:
        self._stream = stream
        self._gate: anyio.Semaphore | None = gate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            gate, self._gate = self._gate, None
            if gate is not None:
                gate.release()
