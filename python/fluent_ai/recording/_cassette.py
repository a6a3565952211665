"""The cassette: a directory of exchanges, one JSON file each, and the rule that matches a
request to one of them.

A file ``NNNN.json`` (numbered from 0001 in the order the responses ended) holds::

    {"fluent_ai_cassette": 1,
     "match": "POST /v1/chat/completions sha256:…",
     "request": {"method", "url", "headers", "body"},       # secrets redacted
     "response": {"status", "http_version", "headers", "chunks", "complete"} | null,
     "error": {"type", "message", "after_chunks"} | null}

``chunks`` is the exact body as it came off the connection (before content decoding), one
item per read: ``{"at": seconds since the request was sent, "text": ...}`` when the piece is
UTF-8, ``{"at": ..., "base64": ...}`` otherwise. ``error`` is a transport failure (the
connection refused, or dropped after ``after_chunks`` pieces), replayed as the same failure.

The match rule (:func:`match_key`): the method, the URL path, the query parameters (sorted,
credentials left out) and the SHA-256 of the request body, of its canonical JSON (keys
sorted, no spaces) when it is JSON; credentials are redacted before hashing, so a replay with
another key matches. The host is not part of it (a loopback server's port changes between
runs). Requests with the same key are answered in the order they were recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..errors import UnrecordedRequestError
from ._redact import REDACTED, Secrets, environment_secrets, is_secret_header

__all__ = ["Cassette", "Exchange", "match_key", "read_exchange"]

FORMAT = 1
_NAME = re.compile(r"^(\d{4,})\.json$")


def match_key(method: str, url: str, body: Any) -> str:
    """``METHOD /path?sorted-query sha256:<hex>`` for a redacted URL and a cassette body."""
    parts = urlsplit(url)
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if value != REDACTED
    )
    target = parts.path or "/"
    if query:
        target += "?" + urlencode(query)
    if "json" in body:
        canonical = json.dumps(
            body["json"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    elif "form" in body:
        canonical = urlencode(sorted(map(tuple, body["form"]))).encode()
    elif "base64" in body:
        canonical = base64.b64decode(body["base64"])
    else:
        canonical = body.get("text", "").encode()
    return f"{method.upper()} {target} sha256:{hashlib.sha256(canonical).hexdigest()}"


@dataclass
class Exchange:
    """One recorded exchange, as read from its file."""

    number: int
    match: str
    request: dict[str, Any]
    status: int | None
    http_version: str
    headers: list[tuple[str, str]]
    chunks: list[tuple[float, bytes]]
    complete: bool
    error: dict[str, Any] | None
    path: Path


@dataclass
class _Pending:
    """An exchange being recorded: filled by the transport, written when it ends."""

    request: dict[str, Any]
    match: str
    secrets: Secrets
    status: int | None = None
    http_version: str = "HTTP/1.1"
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    complete: bool = False
    error: dict[str, Any] | None = None


class Cassette:
    """A cassette directory, for recording into or replaying from.

    ``timing``: ``"none"`` (default) serves replayed chunks at once; ``"recorded"`` waits
    between them as long as the recording did. Pass a ``Cassette`` as ``record=`` or
    ``replay=`` to choose it; a path is ``Cassette(path)``.
    """

    def __init__(self, path: str | os.PathLike[str], *, timing: str = "none") -> None:
        if not isinstance(path, (str, os.PathLike)):
            from .._validation import fail_type  # noqa: PLC0415

            fail_type("cassette", "a directory path (str or os.PathLike)", path)
        if timing not in ("none", "recorded"):
            from ..errors import InvalidArgumentError  # noqa: PLC0415

            raise InvalidArgumentError(
                f"timing must be 'none' or 'recorded', not {timing!r}",
                argument="timing",
                expected="'none' or 'recorded'",
            )
        self.path = Path(path)
        self.timing = timing
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Exchange]] | None = None
        self._served: dict[str, int] = {}
        self._known: set[str] = set()

    def __repr__(self) -> str:
        return f"Cassette({str(self.path)!r}, timing={self.timing!r})"

    # Recording ------------------------------------------------------------------------------

    def begin(
        self, method: str, url: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> _Pending:
        """The redacted summary and match key of a request about to be sent."""
        secrets = Secrets(environment_secrets())
        for name, value in headers:
            if is_secret_header(name):
                secrets.add_header(name, value)
        content_type = next(
            (value for name, value in headers if name.lower() == "content-type"), ""
        )
        clean_url = secrets.url(url)
        summary_body = secrets.request_body(body, content_type)
        clean_headers = {
            name.lower(): REDACTED if is_secret_header(name) else secrets.text(value)
            for name, value in headers
        }
        request = {
            "method": method.upper(),
            "url": clean_url,
            "headers": clean_headers,
            "body": summary_body,
        }
        return _Pending(request, match_key(method, request["url"], summary_body), secrets)

    def write(self, pending: _Pending) -> Path:
        """Writes ``pending`` as the next numbered file (safe across threads and processes:
        the name is taken with an exclusive create)."""
        secrets = pending.secrets
        with self._lock:  # every credential this cassette has seen is searched for
            self._known |= secrets.values()
            for value in self._known:
                secrets.add(value)
        headers = list(pending.headers)
        pieces, times = list(pending.chunks), list(pending.times)
        body = b"".join(pieces)
        decoded = _decoded(headers, body)
        if decoded is not None:
            secrets.learn_answer(decoded)
            if decoded is not body and secrets.spans(decoded):
                # The compressed bytes hide a credential: the body is kept decoded instead.
                headers = [
                    (name, value)
                    for name, value in headers
                    if name.lower() not in ("content-encoding", "content-length")
                ]
                pieces, times = [decoded], times[-1:] or [0.0]
        chunks = secrets.chunks(pieces) if pieces else []
        while len(times) < len(chunks):  # a boundary moved past the end by a replacement
            times.append(times[-1] if times else 0.0)
        error = None
        if pending.error is not None:
            error = dict(pending.error, message=secrets.text(pending.error["message"]))
        record = {
            "fluent_ai_cassette": FORMAT,
            "match": pending.match,
            "request": pending.request,
            "response": None
            if pending.status is None
            else {
                "status": pending.status,
                "http_version": pending.http_version,
                "headers": [
                    [name, REDACTED if name.lower() == "set-cookie" else secrets.text(value)]
                    for name, value in headers
                ],
                "chunks": [
                    _chunk(at, data) for at, data in zip(times, chunks) if data or len(chunks) == 1
                ],
                "complete": pending.complete,
            },
            "error": error,
        }
        text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
        # A last pass over everything written, with every secret learned by now (one found
        # in the body is also removed from the URL and the headers summarized before it).
        text = secrets.text(text)
        self.path.mkdir(parents=True, exist_ok=True)
        number = _next_number(self.path)
        while True:
            target = self.path / f"{number:04d}.json"
            try:
                with open(target, "x", encoding="utf-8") as file:
                    file.write(text)
                return target
            except FileExistsError:
                number += 1

    # Replaying ------------------------------------------------------------------------------

    def exchanges(self) -> list[Exchange]:
        """Every exchange of the directory, in recorded order (empty when it does not exist)."""
        if not self.path.is_dir():
            return []
        found = []
        for entry in self.path.iterdir():
            name = _NAME.match(entry.name)
            if name:
                found.append((int(name.group(1)), entry))
        return [_read(number, path) for number, path in sorted(found)]

    def take(
        self, method: str, url: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> Exchange:
        """The next recorded exchange for this request, or ``UnrecordedRequestError``."""
        key = self.begin(method, url, headers, body).match
        with self._lock:
            if self._queues is None:
                self._queues = {}
                for exchange in self.exchanges():
                    self._queues.setdefault(exchange.match, deque()).append(exchange)
            queue = self._queues.get(key)
            if queue:
                self._served[key] = self._served.get(key, 0) + 1
                return queue.popleft()
            served = self._served.get(key, 0)
            recorded = sorted(self._queues)
        if not self.path.is_dir():
            why = f"the cassette directory {str(self.path)!r} does not exist"
        elif served:
            why = (
                f"it was recorded {served} time(s) in {str(self.path)!r} and every recording "
                "was already served"
            )
        else:
            why = f"no exchange of {str(self.path)!r} has this request"
        close = [known for known in recorded if known.split(" ")[:2] == key.split(" ")[:2]]
        hint = ""
        if close:
            hint = (
                " (recorded with the same method and path, other bodies: "
                + ", ".join(known.rsplit(" ", 1)[1][:19] for known in close[:3])
                + ")"
            )
        raise UnrecordedRequestError(
            f"no recorded answer for {key}: {why}{hint}; record it again (Client(record=...), "
            "or pytest --fluent-ai-record)",
            request=key,
            cassette=str(self.path),
        )


def _decoded(headers: Sequence[tuple[str, str]], body: bytes) -> bytes | None:
    """The body with its content encodings undone (gzip, deflate; br and zstd when their
    modules are installed, as httpx needs them to ask for those); ``body`` when it has none;
    ``None`` when it cannot be decoded."""
    codings = [
        coding.strip().lower()
        for name, value in headers
        if name.lower() == "content-encoding"
        for coding in value.split(",")
        if coding.strip().lower() not in ("", "identity")
    ]
    if not codings:
        return body
    data = body
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                data = zlib.decompress(data, zlib.MAX_WBITS | 32)
            elif coding == "deflate":
                try:
                    data = zlib.decompress(data)
                except zlib.error:
                    data = zlib.decompress(data, -zlib.MAX_WBITS)
            elif coding == "br":
                import brotli  # type: ignore[import-not-found]  # noqa: PLC0415

                data = brotli.decompress(data)
            elif coding == "zstd":
                import zstandard  # type: ignore[import-not-found]  # noqa: PLC0415

                data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
            else:
                return None
    except Exception:  # a cut or corrupt body, or no module: keep the bytes as they came
        return None
    return data


def _chunk(at: float, data: bytes) -> dict[str, Any]:
    try:
        return {"at": round(at, 6), "text": data.decode()}
    except UnicodeDecodeError:
        return {"at": round(at, 6), "base64": base64.b64encode(data).decode()}


def _next_number(path: Path) -> int:
    numbers = [int(m.group(1)) for m in map(_NAME.match, os.listdir(path)) if m]
    return max(numbers, default=0) + 1


def read_exchange(path: Path) -> Exchange:
    """One exchange file (``CassetteError`` when it is not one)."""
    match = _NAME.match(path.name)
    return _read(int(match.group(1)) if match else 0, path)


def _read(number: int, path: Path) -> Exchange:
    from ..errors import CassetteError  # noqa: PLC0415

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("fluent_ai_cassette") != FORMAT:
            raise ValueError(f"format {record.get('fluent_ai_cassette')!r} is not {FORMAT}")
        response = record["response"]
        chunks: list[tuple[float, bytes]] = []
        headers: list[tuple[str, str]] = []
        if response is not None:
            for item in response["chunks"]:
                data = (
                    item["text"].encode()
                    if "text" in item
                    else base64.b64decode(item["base64"], validate=True)
                )
                chunks.append((float(item["at"]), data))
            headers = [(str(name), str(value)) for name, value in response["headers"]]
        return Exchange(
            number=number,
            match=str(record["match"]),
            request=record["request"],
            status=None if response is None else int(response["status"]),
            http_version=str(response.get("http_version", "HTTP/1.1")) if response else "",
            headers=headers,
            chunks=chunks,
            complete=bool(response["complete"]) if response else False,
            error=record.get("error"),
            path=path,
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CassetteError(f"cannot read the cassette file {str(path)!r}: {error}") from None
