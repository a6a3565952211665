"""The loopback server of the end-to-end benchmark, in a process of its own (so that its CPU is
not the clients'): ``python -m benches.e2e_server`` prints its port and serves until stdin
closes.

``POST /<body>/<events>/<framing>/v1/chat/completions`` answers with the prebuilt response of
:mod:`benches.e2e_bodies` (one ``sendall``: each HTTP chunk still costs the client one parse),
on keep-alive HTTP/1.1 connections, one thread per connection.
"""

from __future__ import annotations

import functools
import socket
import subprocess
import sys
import threading
from pathlib import Path

from . import e2e_bodies


@functools.lru_cache(maxsize=64)
def _response(body: str, events: int, framing: str) -> bytes:
    return e2e_bodies.http_response(e2e_bodies.answer(body, events), framing)


def _serve_connection(conn: socket.socket) -> None:
    buffer = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            while len(buffer) < length:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            buffer = buffer[length:]
            path = lines[0].split(" ")[1]
            if path.startswith("/hold/"):
                _hold(conn, path)
                return
            try:
                body, events, framing = path.strip("/").split("/")[:3]
                response = _response(body, int(events), framing)
            except (ValueError, IndexError):
                response = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
            conn.sendall(response)


def _hold(conn: socket.socket, path: str) -> None:
    """``/hold/<body>/...``: the headers and the first two events (role, text) of a chunked
    answer, then nothing until the client goes (an open stream, for the memory benchmark)."""
    answer = e2e_bodies.answer(path.split("/")[2], 100)
    event = "".join(f"data: {data}\n\n" for data in answer.data[:2]).encode()
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    conn.sendall(head + b"transfer-encoding: chunked\r\n\r\n%x\r\n%s\r\n" % (len(event), event))
    while conn.recv(65536):
        pass


def serve(listener: socket.socket) -> None:
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_serve_connection, args=(conn,), daemon=True).start()


def main() -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=2048)
    print(listener.getsockname()[1], flush=True)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    sys.stdin.read()  # the parent closes stdin (or dies): the server ends


class Server:
    """The server process, started and stopped by the benchmark (a context manager)."""

    def __init__(self) -> None:
        root = Path(__file__).resolve().parent.parent
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benches.e2e_server"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())

    def hold_url(self) -> str:
        """A base URL whose answers stay open after their first event."""
        return f"http://127.0.0.1:{self.port}/hold/text/v1"

    def base_url(self, body: str, events: int, framing: str) -> str:
        return f"http://127.0.0.1:{self.port}/{body}/{events}/{framing}/v1"

    def close(self) -> None:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()
        self._process.stdout.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    main()
