"""What a cassette must never hold: finding the secrets of an exchange and removing them.

Three sources of secrets, all replaced by :data:`REDACTED` wherever they occur in what is
written (URL, headers, request body, response headers and body bytes, error messages):

- request headers named like a credential (``Authorization``, ``x-api-key``, ``api-key``,
  ``x-goog-api-key``, ``Cookie``, ``x-amz-security-token``, ...), with the token part of an
  ``Authorization`` value;
- query parameters and JSON / form body members named like one (``key``, ``api_key``,
  ``access_token``, ``client_secret``, ``assertion``, ``X-Amz-Signature``, ``sig``, ...), and
  the tokens a token endpoint answers with (``access_token``, ``id_token``, ...);
- the values of environment variables named like a credential (``*KEY*``, ``*TOKEN*``,
  ``*SECRET*``, ``*PASSWORD*``, ``*CREDENTIAL*``) of 8 characters or more, so that a key the
  provider echoes in an error body is found even when it was sent some other way.

Nothing here imports httpx: the transports hand plain values in.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import (
    parse_qsl,
    quote,
    quote_plus,
    unquote,
    urlencode,
    urlsplit,
    urlunsplit,
)

__all__ = [
    "REDACTED",
    "Secrets",
    "is_secret_header",
    "is_secret_member",
    "is_secret_param",
]

REDACTED = "<redacted>"

# Shorter values are not searched for in the text (a 3-letter "key" would erase real data);
# fields named like a credential are redacted whatever their length.
_MIN_SECRET = 6
_MIN_ENV_SECRET = 8

_SECRET_HEADER = re.compile(
    r"auth|key|token|secret|password|credential|signature|cookie|session", re.IGNORECASE
)
_SECRET_PARAM = re.compile(
    r"^(key|sig|code)$|api[-_]?key|token|secret|password|credential|signature|assertion",
    re.IGNORECASE,
)
_SECRET_MEMBER = re.compile(
    r"^(key|token|secret|password|assertion|authorization|credentials?)$"
    r"|api[-_]?key|access[-_]?token|refresh[-_]?token|id[-_]?token|session[-_]?token"
    r"|client[-_]?secret|private[-_]?key|secret[-_]?access[-_]?key|access[-_]?key[-_]?id",
    re.IGNORECASE,
)
# What a response body may carry that must not be kept (a token endpoint's answer). Narrower
# than the request's names: a stream's ``"token"`` members (log-probabilities) are text.
_SECRET_ANSWER_MEMBER = re.compile(
    r"^(access_token|refresh_token|id_token|session_token|api_key|client_secret|"
    r"secret_access_key|SecretAccessKey|SessionToken|AccessKeyId)$",
    re.IGNORECASE,
)
_SECRET_ENV = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)


def is_secret_header(name: str) -> bool:
    """A request header whose value is a credential."""
    return bool(_SECRET_HEADER.search(name))


def is_secret_param(name: str) -> bool:
    """A query (or form) parameter whose value is a credential."""
    return bool(_SECRET_PARAM.search(name))


def is_secret_member(name: str) -> bool:
    """A JSON member of a request body whose value is a credential."""
    return bool(_SECRET_MEMBER.search(name))


def environment_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment's credential-like variables (8 characters or more)."""
    env = os.environ if environ is None else environ
    return [
        value
        for name, value in env.items()
        if _SECRET_ENV.search(name) and len(value) >= _MIN_ENV_SECRET
    ]


class Secrets:
    """The secrets known for one exchange, and the scrubbing of text and bytes with them."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        for value in known:
            self.add(value)

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) < _MIN_SECRET or value == REDACTED:
            return
        self._values.add(value)
        # The same value as a URL or a form carries it.
        for form in (quote(value, safe=""), quote_plus(value)):
            self._values.add(form)

    def values(self) -> set[str]:
        return set(self._values)

    def add_header(self, name: str, value: str) -> None:
        self.add(value)
        scheme, _, token = value.partition(" ")
        if token:
            self.add(token)
            if scheme.lower() == "aws4-hmac-sha256":
                for part in token.split(","):
                    self.add(part.strip().partition("=")[2])

    def _ordered(self) -> list[str]:
        # Longest first: a value that contains another is replaced whole.
        return sorted(self._values, key=len, reverse=True)

    def text(self, text: str) -> str:
        for value in self._ordered():
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def spans(self, data: bytes) -> list[tuple[int, int]]:
        """The byte ranges of ``data`` that hold a secret (sorted, merged)."""
        found: list[tuple[int, int]] = []
        for value in self._ordered():
            needle = value.encode()
            start = data.find(needle)
            while start != -1:
                found.append((start, start + len(needle)))
                start = data.find(needle, start + 1)
        found.sort()
        merged: list[tuple[int, int]] = []
        for start, end in found:
            if merged and start < merged[-1][1]:  # overlapping (touching ones stay two)
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def chunks(self, chunks: Sequence[bytes]) -> list[bytes]:
        """``chunks`` with every secret replaced, found across chunk boundaries too: a chunk
        boundary inside a secret moves to the end of its replacement."""
        data = b"".join(chunks)
        spans = self.spans(data)
        if not spans:
            return list(chunks)
        marker = REDACTED.encode()
        out = bytearray()
        bounds = []
        position = 0
        for chunk in chunks:
            bounds.append(position + len(chunk))
            position += len(chunk)
        # Map each original offset to the scrubbed one.
        new_bounds = []
        span_index = 0
        shift = 0
        for bound in bounds:
            while span_index < len(spans) and spans[span_index][1] <= bound:
                start, end = spans[span_index]
                shift += len(marker) - (end - start)
                span_index += 1
            inside = span_index < len(spans) and spans[span_index][0] < bound
            if inside:
                start, end = spans[span_index]
                new_bounds.append(start + shift + len(marker))
            else:
                new_bounds.append(bound + shift)
        last = 0
        for start, end in spans:
            out += data[last:start] + marker
            last = end
        out += data[last:]
        result = []
        previous = 0
        for new_bound in new_bounds:
            bound = max(new_bound, previous)
            result.append(bytes(out[previous:bound]))
            previous = bound
        if previous < len(out):
            result.append(bytes(out[previous:]))
        return [chunk for chunk in result if chunk] or [b""]

    def url(self, url: str) -> str:
        """``url`` without secret query parameters or user info."""
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            for part in userinfo.split(":"):
                self.add(part)
                self.add(unquote(part))
            netloc = f"{REDACTED}@{host}"
        query = parse_qsl(parts.query, keep_blank_values=True)
        for name, value in query:
            if is_secret_param(name):
                self.add(value)
        kept = [(name, REDACTED if is_secret_param(name) else value) for name, value in query]
        return self.text(urlunsplit(parts._replace(netloc=netloc, query=urlencode(kept))))

    def request_body(self, body: bytes, content_type: str) -> Any:
        """The request body as a cassette keeps it: JSON (secret members redacted), form
        fields, text or base64; every secret found is remembered first."""
        if not body:
            return {"text": ""}
        if "json" in content_type or body[:1] in (b"{", b"["):
            try:
                value = json.loads(body)
            except ValueError:
                pass
            else:
                return {"json": _redact_members(value, self, is_secret_member)}
        if "x-www-form-urlencoded" in content_type:
            try:
                fields = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError):
                pass
            else:
                for name, value in fields:
                    if is_secret_param(name):
                        self.add(value)
                return {
                    "form": [
                        [name, REDACTED if is_secret_param(name) else self.text(value)]
                        for name, value in fields
                    ]
                }
        try:
            return {"text": self.text(body.decode())}
        except UnicodeDecodeError:
            return {"base64": _b64(bytes(b"".join(self.chunks([body]))))}

    def learn_answer(self, body: bytes) -> None:
        """Remembers the tokens a JSON answer carries (a token endpoint's)."""
        if not body.lstrip().startswith(b"{") or len(body) > 1_000_000:
            return
        try:
            value = json.loads(body)
        except ValueError:
            return
        _redact_members(value, self, lambda name: bool(_SECRET_ANSWER_MEMBER.search(name)))


def _redact_members(value: Any, secrets: Secrets, secret_name: Any) -> Any:
    """A copy of JSON ``value`` whose members named like a credential read ``REDACTED``
    (their values remembered in ``secrets``), other strings scrubbed. Iterative: a body's
    depth is the caller's to choose."""
    root: list[Any] = [None]
    work: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    pending: list[tuple[Any, Any, Any]] = []
    # First pass: learn every secret, so that the second pass scrubs strings seen earlier.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for name, member in item.items():
                if isinstance(name, str) and secret_name(name) and isinstance(member, str):
                    secrets.add(member)
                else:
                    stack.append(member)
        elif isinstance(item, list):
            stack.extend(item)
    while work:
        item, parent, slot = work.pop()
        if isinstance(item, dict):
            copy: Any = {}
            for name, member in item.items():
                if isinstance(name, str) and secret_name(name) and isinstance(member, str):
                    copy[name] = REDACTED
                else:
                    copy[name] = None
                    pending.append((member, copy, name))
        elif isinstance(item, list):
            copy = [None] * len(item)
            pending.extend((member, copy, index) for index, member in enumerate(item))
        elif isinstance(item, str):
            copy = secrets.text(item)
        else:
            copy = item
        parent[slot] = copy
        work.extend(pending)
        pending.clear()
    return root[0]


def _b64(data: bytes) -> str:
    import base64  # noqa: PLC0415

    return base64.b64encode(data).decode()
