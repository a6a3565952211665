"""One connection pool per event loop for the ``httpx.AsyncClient`` that ``AsyncClient`` makes
for itself, each closed inside its own loop when that loop ends.

A pool's connections belong to the event loop that opened them: they cannot be used, nor
closed, from another loop (``asyncio.run`` once per call with one ``AsyncClient``). So each
loop (an asyncio loop, or a trio run) gets its own pool and gate, and with it an async
generator that the loop finalizes when it shuts down: ``asyncio.run`` (and
``loop.shutdown_asyncgens()``) and ``trio.run`` close the async generators still open at
their end, and that generator's ``finally`` closes the pool there, while its loop still runs.
The sockets are closed properly (no ``ResourceWarning``, nothing left to the garbage
collector) and the next loop starts with a fresh pool.

A loop that is closed without shutting its async generators down (``loop.close()`` straight
after ``run_until_complete``) cannot close anything any more: its pool is dropped when the next
loop's first request sees it closed, and the collector closes those sockets.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from ._http import httpx

__all__ = ["LoopPool", "LoopPools", "running_loop"]


def running_loop() -> object:
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


@dataclass
class LoopPool:
    """The pool and gate of one loop, and the generator that closes them at its end."""

    loop: object
    pool: httpx.AsyncBaseTransport
    gate: anyio.Semaphore
    closer: Any = field(default=None, repr=False)


class LoopPools:
    """The pools of every loop that made a request (see the module documentation)."""

    def __init__(self, make_pool: Callable[[], httpx.AsyncBaseTransport], connections: int):
        self._make_pool = make_pool
        self._connections = connections
        self._pools: dict[int, LoopPool] = {}

    async def current(self) -> LoopPool:
        """The running loop's pool, made (and its closer started) on the loop's first use."""
        loop = running_loop()
        entry = self._pools.get(id(loop))
        if entry is not None and entry.loop is loop:
            return entry
        self._forget_closed_loops()
        entry = LoopPool(loop, self._make_pool(), anyio.Semaphore(self._connections))
        self._pools[id(loop)] = entry
        # Started here, in a task of this loop, so that the loop's async-generator hooks know
        # it; the pools dict holds it (asyncio keeps only a weak reference).
        entry.closer = self._close_at_loop_end(entry)
        await entry.closer.asend(None)
        return entry

    async def aclose(self) -> None:
        """Close the running loop's pool now (``AsyncClient.aclose()``); drop those of loops
        that are closed."""
        loop = running_loop()
        entry = self._pools.get(id(loop))
        if entry is not None and entry.loop is loop:
            await entry.closer.aclose()
        self._forget_closed_loops()

    async def _close_at_loop_end(self, entry: LoopPool) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if self._pools.get(id(entry.loop)) is entry:
                del self._pools[id(entry.loop)]
            # Shielded: the loop's shutdown may be cancelling everything around it.
            with anyio.CancelScope(shield=True):
                await entry.pool.aclose()

    def _forget_closed_loops(self) -> None:
        # Called from inside a running loop, so asyncio is imported if any loop is asyncio's.
        asyncio = sys.modules.get("asyncio")
        for key, entry in list(self._pools.items()):
            loop = entry.loop
            if (
                asyncio is not None
                and isinstance(loop, asyncio.AbstractEventLoop)
                and loop.is_closed()
            ):
                del self._pools[key]
