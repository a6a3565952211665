"""A raw HTTP/1.1 server on 127.0.0.1 that can end a response at any byte, for the fault tests
of the clients.

Each request is answered by ``server.answer(request, attempt)`` (``attempt`` counts the
requests of the same trial from 0; the trial is the ``"trial"`` field of the JSON body, which
the tests send with ``extra=``). The answer is a :class:`Plan`: status, headers, body and its
framing (``length``, ``chunked`` or ``close``-delimited), and optionally the byte of the whole
response (status line and headers included) where the connection ends, with a FIN or an RST.
The server counts what it did per trial: every request, and every answer whose body went out
whole (what a provider would bill). Only the loopback address is bound, and every socket has
a timeout, so a broken test cannot hang the run.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from socket_server import SocketServer

__all__ = ["CutServer", "Plan", "wire"]

_TIMEOUT = 30.0


@dataclass
class Plan:
    """One answer. ``cut``: the connection ends after this many bytes of the response (``None``:
    the whole response goes out); ``rst``: it ends with a reset instead of a FIN. ``pause``:
    seconds between the headers and the body, ``step``/``delay``: the body goes out in pieces
    of ``step`` bytes with ``delay`` seconds before each."""

    status: int = 200
    content_type: str = "text/event-stream"
    body: bytes = b""
    framing: str = "chunked"
    cut: int | None = None
    rst: bool = False
    pause: float = 0.0
    step: int = 0
    delay: float = 0.0


def wire(plan: Plan) -> tuple[bytes, int]:
    """The response's bytes, and the offset where its body content ends (an answer is billed
    when its connection lasts that far)."""
    head = [f"HTTP/1.1 {plan.status} X", f"content-type: {plan.content_type}"]
    if plan.framing == "length":
        head.append(f"content-length: {len(plan.body)}")
    elif plan.framing == "chunked":
        head.append("transfer-encoding: chunked")
    else:
        head.append("connection: close")
    start = ("\r\n".join(head) + "\r\n\r\n").encode()
    if plan.framing != "chunked":
        return start + plan.body, len(start) + len(plan.body)
    if not plan.body:
        return start + b"0\r\n\r\n", len(start)
    size = f"{len(plan.body):x}\r\n".encode()
    data = start + size + plan.body + b"\r\n0\r\n\r\n"
    return data, len(start) + len(size) + len(plan.body)


@dataclass
class Trial:
    """What the server did for one trial."""

    requests: int = 0
    billed: int = 0
    cuts: list[int | None] = field(default_factory=list)


class CutServer(SocketServer):
    def __init__(self, answer: Callable[[dict[str, Any], int], Plan]) -> None:
        self.answer = answer
        self.trials: dict[Any, Trial] = defaultdict(Trial)
        super().__init__()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(_TIMEOUT)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        try:
            while True:
                request, pending = _read_request(conn, pending)
                if request is None:
                    return
                if not self._respond(conn, request):
                    return
        except OSError:
            pass
        finally:
            conn.close()

    def _respond(self, conn: socket.socket, body: bytes) -> bool:
        """Answers one request; false when the connection is over."""
        try:
            fields = json.loads(body) if body else {}
        except ValueError:
            fields = {}
        trial_key = fields.get("trial") if isinstance(fields, dict) else None
        with self._lock:
            trial = self.trials[trial_key]
            attempt = trial.requests
            trial.requests += 1
        plan = self.answer(fields, attempt)
        data, billed_at = wire(plan)
        end = len(data) if plan.cut is None else min(plan.cut, len(data))
        with self._lock:
            trial.cuts.append(plan.cut)
            if plan.body and end >= billed_at and plan.status < 300:
                trial.billed += 1
        head_end = data.index(b"\r\n\r\n") + 4
        _send(conn, data[: min(end, head_end)])
        if end > head_end:
            if plan.pause:
                time.sleep(plan.pause)
            step = plan.step or end
            for start in range(head_end, end, step):
                if plan.delay:
                    time.sleep(plan.delay)
                _send(conn, data[start : min(start + step, end)])
        if plan.cut is not None:
            if plan.rst:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                conn.shutdown(socket.SHUT_WR)
            return False
        return plan.framing != "close"


def _send(conn: socket.socket, data: bytes) -> None:
    if data:
        conn.sendall(data)


def _read_request(conn: socket.socket, pending: bytes) -> tuple[bytes | None, bytes]:
    """The body of the next request on ``conn`` (``None`` when the client closed)."""
    while b"\r\n\r\n" not in pending:
        data = conn.recv(65536)
        if not data:
            return None, b""
        pending += data
    head, _, rest = pending.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None, b""
        rest += data
    return rest[:length], rest[length:]
