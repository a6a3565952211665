"""A raw-socket HTTP test server on 127.0.0.1: one thread accepts, one thread per connection
serves it (``_serve``, written by each subclass), so a test controls every byte and every cut."""

from __future__ import annotations

import socket
import threading
from typing import TypeVar

_Self = TypeVar("_Self", bound="SocketServer")


class SocketServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=2048)
        self._listener.settimeout(0.2)
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def close(self) -> None:
        self._closed = True
        self._thread.join(timeout=5)
        self._listener.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            self._accepted()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _accepted(self) -> None:
        """Called once per accepted connection, before it is served."""

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError
