"""A real HTTP server on 127.0.0.1 that plays provider endpoints in tests.

Reusable by every test that talks HTTP (catalog refresh now, the clients later): register
routes with canned answers or handler functions, check what arrived in ``server.requests``,
and inject faults (an error status with headers, a dropped connection, a stall). Only the
loopback address is ever bound or contacted, and every connection has a socket timeout, so a
broken test cannot hang the run.

    with LoopbackServer() as server:
        server.json("GET", "/v1/models", {"object": "list", "data": []},
                    require={"authorization": "Bearer sk-test"})
        server.fail("GET", "/v1/models", status=429, headers={"Retry-After": "2"})
        ... httpx.get(server.url + "/v1/models") ...
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Union
from urllib.parse import parse_qs, urlsplit

__all__ = ["LoopbackServer", "Request", "Response", "chunked", "json_response", "requiring"]

# Socket timeout of every connection, and the largest request body read.
_TIMEOUT = 10.0
_MAX_BODY = 16 * 1024 * 1024


@dataclass
class Request:
    """One request as the server received it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    # The request target exactly as received (path and raw query, nothing decoded), and every
    # header line in order with its original name (repeated headers included): what a
    # signature check (tests/sigv4_verify.py) needs.
    target: str = ""
    header_items: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Response:
    """What to answer. ``body`` bytes are sent with a Content-Length; a list of chunks is sent
    with chunked transfer encoding, ``delay`` seconds before each chunk (plus ``pauses[i]``
    seconds before chunk ``i``), and the connection is dropped after ``disconnect_after``
    chunks when that is set. ``stall`` waits before the status line; ``disconnect`` closes the
    connection without any response."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | list[bytes] = b""
    delay: float = 0.0
    stall: float = 0.0
    disconnect: bool = False
    disconnect_after: int | None = None
    pauses: dict[int, float] = field(default_factory=dict)


Handler = Callable[[Request], Response]
Answer = Union[Response, Handler]


def json_response(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response."""
    return Response(
        status,
        {"content-type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


class LoopbackServer:
    """A threaded HTTP/1.1 server on an ephemeral port of 127.0.0.1."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], Handler] = {}
        self._faults: dict[tuple[str, str], list[Response]] = {}
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self._server = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, path: str, answer: Answer) -> None:
        """Answers ``method path`` (query ignored) with a fixed response or a handler."""
        handler: Handler = answer if callable(answer) else (lambda _request, a=answer: a)
        with self._lock:
            self._routes[(method.upper(), path)] = handler

    def json(
        self,
        method: str,
        path: str,
        body: object,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        require: Mapping[str, str] | None = None,
    ) -> None:
        """A JSON route; ``require`` lists headers that must match, else 401."""
        response = json_response(body, status, headers)
        self.route(method, path, requiring(require, lambda _r: response))

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int = 500,
        headers: Mapping[str, str] | None = None,
        body: object = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests to ``method path`` get an error (before the route)."""
        payload = {"error": {"message": f"injected {status}", "type": "server_error"}}
        response = json_response(payload if body is None else body, status, headers)
        self._queue(method, path, response, times)

    def once(self, method: str, path: str, answer: Answer, *, times: int = 1) -> None:
        """The next ``times`` requests to ``method path`` get ``answer`` (before the route)."""
        self._queue(method, path, answer, times)

    def disconnect(self, method: str, path: str, *, times: int = 1) -> None:
        """The next ``times`` requests to ``method path`` are dropped without a response."""
        self._queue(method, path, Response(disconnect=True), times)

    def stall(self, method: str, path: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` requests wait ``seconds`` before the route answers."""
        with self._lock:
            handler = self._routes.get((method.upper(), path))

        def slow(request: Request) -> Response:
            time.sleep(seconds)
            return handler(request) if handler else Response(404)

        self._queue(method, path, slow, times)

    def count(self, path: str, method: str | None = None) -> int:
        """How many requests reached ``path``."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if r.path == path and (method is None or r.method == method)
            )

    def drop_faults(self) -> None:
        """Forgets the faults still queued (routes and the request log stay)."""
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forgets routes, faults and the request log."""
        with self._lock:
            self._routes.clear()
            self._faults.clear()
            self.requests.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _queue(self, method: str, path: str, answer: Answer, times: int) -> None:
        with self._lock:
            queue = self._faults.setdefault((method.upper(), path), [])
            queue.extend([answer] * times)  # type: ignore[list-item]

    def _answer(self, request: Request) -> Response:
        key = (request.method, request.path)
        with self._lock:
            self.requests.append(request)
            queue = self._faults.get(key)
            fault: Answer | None = queue.pop(0) if queue else None
            handler = self._routes.get(key)
        if fault is not None:
            return fault(request) if callable(fault) else fault
        if handler is None:
            return json_response({"error": {"message": f"no route {key}"}}, 404)
        return handler(request)


def requiring(headers: Mapping[str, str] | None, handler: Handler) -> Handler:
    """Wraps ``handler``: a request missing one of ``headers`` (exact value) gets a 401."""
    if not headers:
        return handler
    wanted = {k.lower(): v for k, v in headers.items()}

    def check(request: Request) -> Response:
        for name, value in wanted.items():
            if request.headers.get(name) != value:
                message = f"missing or wrong {name} header"
                return json_response({"error": {"message": message, "type": "auth"}}, 401)
        return handler(request)

    return check


def chunked(data: bytes, size: int) -> list[bytes]:
    """``data`` cut into pieces of ``size`` bytes (the last may be shorter)."""
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up early (a closed stream, a client-side timeout) are expected."""

    daemon_threads = True
    # Many clients at once (a pool of 100 connections opening together) must not find the
    # listen queue full: dropped connection attempts are retried only after a second.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def _make_handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = _TIMEOUT

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle's algorithm and
            # the client's delayed ACK hold each small response back for ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = min(int(self.headers.get("content-length") or 0), _MAX_BODY)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                target=self.path,
                header_items=list(self.headers.items()),
            )
            response = server._answer(request)
            if response.stall:
                time.sleep(response.stall)
            if response.disconnect:
                self.close_connection = True
                self.connection.close()
                return
            self._send(response)

        def _send(self, response: Response) -> None:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if isinstance(response.body, bytes):
                self.send_header("content-length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)
                return
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for index, chunk in enumerate(_chunks(response.body)):
                if response.disconnect_after is not None and index >= response.disconnect_after:
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.close()
                    return
                if response.delay or index in response.pauses:
                    time.sleep(response.delay + response.pauses.get(index, 0.0))
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    return _Handler


def _chunks(body: Iterable[bytes]) -> Iterable[bytes]:
    return (chunk for chunk in body if chunk)
