"""A raw HTTP/1.x server on 127.0.0.1 whose every answer is a script of socket actions, for the
adversarial client tests: exact bytes (any framing: HTTP/1.0 close-delimited, chunked with
trailers, gzip cut mid-way, wrong content types), pauses, and an end with a FIN or a reset.

``answer(request)`` returns the script: a list of ``bytes`` (sent as they are), ``float``
(seconds of sleep), ``"rst"`` (the connection ends with a reset), ``"fin"`` (it ends with a
FIN) or ``"keep"`` (the connection stays open for the next request). A script that ends
without one of the three ends with a FIN. Only the loopback address is bound and every socket
has a timeout, so a broken test cannot hang the run.
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any, Callable, Union

from socket_server import SocketServer

__all__ = ["HostileServer", "Seen", "chunked_body", "gzip_bytes", "response"]

Action = Union[bytes, float, str]
_TIMEOUT = 20.0


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def response(
    status: int,
    body: bytes,
    content_type: str = "application/json",
    *,
    framing: str = "length",
    version: str = "HTTP/1.1",
    headers: dict[str, str] | None = None,
    trailers: bytes = b"",
) -> bytes:
    """The bytes of a whole response: ``framing`` is ``length``, ``chunked`` or ``close``."""
    head = [f"{version} {status} X", f"content-type: {content_type}"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if framing == "length":
        head.append(f"content-length: {len(body)}")
    elif framing == "chunked":
        head.append("transfer-encoding: chunked")
    else:
        head.append("connection: close")
    start = ("\r\n".join(head) + "\r\n\r\n").encode()
    if framing == "chunked":
        return start + chunked_body(body, trailers=trailers)
    return start + body


def chunked_body(body: bytes, size: int = 7, trailers: bytes = b"") -> bytes:
    out = b""
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n" + trailers + b"\r\n"


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


class HostileServer(SocketServer):
    def __init__(self, answer: Callable[[Seen], list[Action]]) -> None:
        self.answer = answer
        self.seen: list[Seen] = []
        self.connections = 0
        super().__init__()

    def _accepted(self) -> None:
        with self._lock:
            self.connections += 1

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(_TIMEOUT)
        pending = b""
        try:
            while True:
                seen, pending = _read_request(conn, pending)
                if seen is None:
                    return
                with self._lock:
                    self.seen.append(seen)
                if not self._play(conn, self.answer(seen)):
                    return
        except OSError:
            pass
        finally:
            conn.close()

    def _play(self, conn: socket.socket, script: list[Action]) -> bool:
        for action in script:
            if isinstance(action, bytes):
                if action:
                    conn.sendall(action)
            elif isinstance(action, float):
                time.sleep(action)
            elif action == "rst":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return False
            elif action == "keep":
                return True
            else:
                conn.shutdown(socket.SHUT_WR)
                return False
        conn.shutdown(socket.SHUT_WR)
        return False


def _read_request(conn: socket.socket, pending: bytes) -> tuple[Seen | None, bytes]:
    while b"\r\n\r\n" not in pending:
        data = conn.recv(65536)
        if not data:
            return None, b""
        pending += data
    head, _, rest = pending.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None, b""
        rest += data
    raw = head + b"\r\n\r\n" + rest[:length]
    return Seen(method, path, headers, rest[:length], raw), rest[length:]
