"""The HTTP library the clients run on: ``httpx2``, or ``httpx`` where httpx2 cannot install.

Why httpx2: it is the maintained continuation of httpx (Pydantic Services, with httpx's author;
httpx has had no stable release since 0.28.1), with httpx's API under another import name, and
the openai (>= 3.0) and anthropic (>= 1.0) SDKs depend on it. On httpx2 an agent that uses
fluent-ai next to those SDKs carries one HTTP stack, and one ``httpx2.Client`` (one pool) can
serve all three. httpx2 needs CPython >= 3.11; on 3.9 and 3.10 fluent-ai runs on httpx >= 0.27,
whose API is the same.

A client of the other library (an ``httpx.Client`` on a fluent-ai that runs on httpx2) is
accepted too: :func:`library_of` finds its library among those already imported (a caller
holding one imported it), and :data:`ERRORS` from then on also catches that library's
exceptions, so its failures map to fluent-ai's errors like ours.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2 as httpx

__all__ = ["ERRORS", "abody_reads", "body_reads", "httpx", "library_of"]

# The import names of the libraries whose clients are accepted (httpx2's alias_httpx() may
# make both names one module).
_LIBRARIES = ("httpx2", "httpx")


class _Errors:
    """The exception classes of every HTTP library in use, as tuples for ``except``.

    Each attribute is replaced (never mutated) when a library is added, so a reader sees an
    old or a new tuple, both complete for the clients it can have been given."""

    def __init__(self, library: ModuleType) -> None:
        self._libraries: list[ModuleType] = []
        self._lock = threading.Lock()
        self.http: tuple[type[Exception], ...] = ()
        self.request: tuple[type[Exception], ...] = ()
        self.read_timeout: tuple[type[Exception], ...] = ()
        self.pool_timeout: tuple[type[Exception], ...] = ()
        self.request_not_read: tuple[type[Exception], ...] = ()
        # Worth another attempt: nothing was answered, or the answer broke off (or came
        # corrupt: a compressed body that does not decompress). A read timeout is not among
        # them: it is one of the caller's own limits running out.
        self.retryable: tuple[type[Exception], ...] = ()
        self.async_clients: tuple[type, ...] = ()
        self.add(library)

    def add(self, library: ModuleType) -> None:
        with self._lock:
            if library in self._libraries:
                return
            self._libraries.append(library)
            self.http += (library.HTTPError,)
            self.request += (library.RequestError,)
            self.read_timeout += (library.ReadTimeout,)
            self.pool_timeout += (library.PoolTimeout,)
            self.request_not_read += (library.RequestNotRead,)
            self.retryable += (
                library.NetworkError,
                library.DecodingError,
                library.RemoteProtocolError,
                library.ConnectTimeout,
                library.WriteTimeout,
                library.PoolTimeout,
            )
            self.async_clients += (library.AsyncClient,)


if TYPE_CHECKING:
    ERRORS: _Errors
else:
    # ``httpx`` and ``ERRORS`` are made on first use: importing fluent_ai (or making a client)
    # does not pay for the HTTP library until a request is sent.

    def __getattr__(name: str) -> Any:
        if name in ("httpx", "ERRORS"):
            return _load()[name]
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_LOAD_LOCK = threading.Lock()


def _load() -> dict[str, Any]:
    names = globals()
    with _LOAD_LOCK:
        if "ERRORS" not in names:
            try:
                library = importlib.import_module("httpx2")
            except ImportError:  # CPython 3.9 and 3.10: httpx2 needs 3.11
                library = importlib.import_module("httpx")
            names["httpx"] = library
            names["ERRORS"] = _Errors(library)
    return names


def library_of(client: object, *, asynchronous: bool) -> ModuleType | None:
    """The HTTP library (httpx2 or httpx) whose ``Client`` (or ``AsyncClient``) ``client`` is,
    added to :data:`ERRORS`; ``None`` when it is neither."""
    for name in _LIBRARIES:
        library = sys.modules.get(name)
        if library is None:
            continue
        cls = library.AsyncClient if asynchronous else library.Client
        if isinstance(client, cls):
            _load()["ERRORS"].add(library)
            return library
    return None


def body_reads(response: httpx.Response) -> Iterator[bytes]:
    """The reads of a streamed response's body, as ``response.iter_bytes()`` gives them.

    A body without a content encoding is read from the transport's stream itself, without
    iter_bytes' layers (two generators, a decoder and two chunkers per read, about 0.7 µs of an
    8 µs read of one HTTP chunk); errors are the transport's, without their ``request``."""
    if response.headers.get("content-encoding", "identity") != "identity":
        return response.iter_bytes()
    response.is_stream_consumed = True
    return iter(response.stream)  # type: ignore[arg-type]


def abody_reads(response: httpx.Response) -> AsyncIterator[bytes]:
    """:func:`body_reads` of an ``AsyncClient``'s response."""
    if response.headers.get("content-encoding", "identity") != "identity":
        return response.aiter_bytes()
    response.is_stream_consumed = True
    return response.stream.__aiter__()  # type: ignore[union-attr]
