"""The HTTP client a ``Client`` (``AsyncClient``) makes for itself, made on first use.

Making an httpx2 client builds its TLS context and pool (and importing httpx2 takes a few tens
of milliseconds), so ``Client()`` only records that it will own one: the first request, or
``http_client``, or ``close()``, makes it (``close()`` makes it closed, so a request after
``close()`` still fails with ``ClientClosedError``).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Generic, TypeVar, overload

__all__ = ["OwnHttp"]

_LOCK = threading.Lock()

T = TypeVar("T")


class OwnHttp(Generic[T]):
    """A data descriptor: the instance's HTTP client, given (set) or made by ``_gate.<make>``
    on first access (setting ``None`` means "make it when needed")."""

    def __init__(self, make: str) -> None:
        self._make = make

    @overload
    def __get__(self, owner: None, cls: type | None = None) -> OwnHttp[T]: ...
    @overload
    def __get__(self, owner: object, cls: type | None = None) -> T: ...
    def __get__(self, owner: object, cls: type | None = None) -> OwnHttp[T] | T:
        if owner is None:
            return self
        http = owner.__dict__.get("_http_client")
        if http is None:
            with _LOCK:  # two threads' first requests make one client
                http = owner.__dict__.get("_http_client")
                if http is None:
                    gate = importlib.import_module("fluent_ai._gate")
                    http = owner.__dict__["_http_client"] = getattr(gate, self._make)()
        return http  # type: ignore[no-any-return]

    def __set__(self, owner: Any, value: T | None) -> None:
        owner.__dict__["_http_client"] = value
