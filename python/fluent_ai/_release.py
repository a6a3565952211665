"""Releasing the connection of a blocking stream, also when the garbage collector ends it.

A ``ChatStream`` reads its response in a generator. The generator ends when the caller closes
the stream, reads it to the end, leaves a ``for`` loop early (its last reference goes), or when
the garbage collector finalizes it. The collector may run at any point of any thread, also
while that thread holds httpcore's connection-pool lock, which is not reentrant; closing an
httpx response takes that lock, so a close run by the collector would wait for ever.

So a release that happens during a collection is deferred: the socket is shut down at once (a
system call: no lock, the server sees the end of the connection), and the rest (returning the
connection to the pool, recording the call's outcome) runs at the next safe point, which is
the start of the next request of any ``Client``, or ``Client.close()``. Every response a stream
is reading is also kept in a registry of this module, so that the collector never finalizes
httpx's own body generators, whose ``finally`` clauses take the same lock.
"""

from __future__ import annotations

import contextlib
import gc
import socket
from collections import deque
from typing import Any, Callable

__all__ = ["Lease", "collect_abandoned", "collecting", "reap", "shutdown", "socket_of", "when_safe"]

_collecting = False


def _phase(phase: str, _info: dict[str, Any]) -> None:
    global _collecting
    _collecting = phase == "start"


gc.callbacks.append(_phase)

# Responses being read (a set only touched outside collections), and what waits for a safe
# point (a deque: appending takes no lock).
_OPEN: set[Lease] = set()
_DEFERRED: deque[Callable[[], None]] = deque()


def collecting() -> bool:
    """Whether the garbage collector is running (its finalizers are running now)."""
    return _collecting


def when_safe(action: Callable[[], None]) -> None:
    """Runs ``action`` now, or at the next safe point when called during a collection."""
    if _collecting:
        _DEFERRED.append(action)
    else:
        action()


def reap() -> None:
    """Runs what collections deferred. Called where no lock of ours or httpx's is held."""
    while _DEFERRED and not _collecting:
        try:
            action = _DEFERRED.popleft()
        except IndexError:  # another thread took the last one
            return
        # A connection that fails to close is gone anyway; the next request must still go.
        with contextlib.suppress(Exception):
            action()


def collect_abandoned() -> None:
    """A pool found no free connection in time: streams the caller dropped inside reference
    cycles (``stream.me = stream``; a frame of a traceback kept) may hold them until the
    collector finds those cycles, which may be never if little is allocated. Collect now and
    run the closes it defers, so that the next attempt finds them back in the pool (also for an
    ``http_client`` the caller gave, which has no gate of ours). Called where no lock is held."""
    gc.collect()
    reap()


class Lease:
    """One attempt's response while a stream reads it (see the module documentation)."""

    __slots__ = ("__weakref__", "chunks", "response")

    def __init__(self, response: Any) -> None:
        self.response = response
        self.chunks: Any = None  # the body iterator, once reading starts
        _OPEN.add(self)

    def release(self) -> None:
        """Closes the response now, or shuts its socket down and closes it at a safe point."""
        if _collecting:
            shutdown(self.response)
            _DEFERRED.append(self._close)
        else:
            self._close()

    def _close(self) -> None:
        try:
            self.response.close()
            close = getattr(self.chunks, "close", None)  # a generator (a plain iterator: none)
            if close is not None:
                close()
        finally:
            _OPEN.discard(self)


def shutdown(response: Any) -> None:
    """Ends the connection of ``response`` at the socket (any thread, no lock taken)."""
    sock = socket_of(response)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def socket_of(response: Any) -> Any:
    """The socket ``response`` is read from (asyncio gives a ``TransportSocket``, which
    forwards ``shutdown``), or ``None`` when its transport exposes none."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket) or type(sock).__name__ == "TransportSocket":
        return sock
    return None
