"""AWS Signature Version 4 (``AWS4-HMAC-SHA256``), header signing.

Written from the AWS specification and checked against both official test suites (see
tests/test_sigv4.py). The rules, in the order the canonical request is built:

- **method** as given (upper case).
- **canonical URI**: the URL path as it goes on the wire. With ``normalize_path`` (every
  service but S3) empty and ``.`` segments are dropped and ``..`` removes the previous one; a
  trailing ``/`` is kept when the path had one; an empty path is ``/``. Then every byte outside
  ``A-Z a-z 0-9 - . _ ~ /`` of the UTF-8 path is percent-encoded (upper-case hex). With
  ``double_encode_path`` (every service but S3) that includes ``%``, so a path already encoded
  for the wire is encoded a second time (Bedrock: ``...-v1%3A0`` signs as ``...-v1%253A0``);
  without it existing ``%XX`` escapes are kept as they are (hex upper-cased).
- **canonical query**: ``&``-separated pairs, empty pieces dropped, a pair without ``=`` has an
  empty value; names and values are percent-decoded (``+`` as a space, as botocore does), then
  encoded with RFC 3986 unreserved characters only, and sorted by name, then value.
- **canonical headers**: names lower-cased; values trimmed, inner runs of whitespace (including
  folded line breaks) collapsed to one space; repeated headers joined with ``,`` in the order
  given; sorted by name. ``host`` comes from the URL when the headers have none. Not signed:
  ``authorization``, ``user-agent``, ``expect``, ``x-amzn-trace-id`` and hop-by-hop headers
  (``connection``, ``keep-alive``, ``te``, ``trailer``, ``transfer-encoding``, ``upgrade``),
  which proxies and HTTP libraries may change. ``x-amz-date`` is always the signer's own;
  ``x-amz-security-token`` too when the credentials carry a token.
- **payload hash**: hex SHA-256 of the body (``payload_hash`` overrides it, for example
  ``UNSIGNED-PAYLOAD``); ``sign_payload`` also sends and signs it as ``x-amz-content-sha256``
  (S3 needs that; Bedrock does not).

String to sign: ``AWS4-HMAC-SHA256``, the time (``YYYYMMDDTHHMMSSZ``), the scope
``date/region/service/aws4_request`` and the hex SHA-256 of the canonical request, joined with
``\\n``. Signing key: HMAC-SHA256 chain ``"AWS4" + secret`` -> date -> region -> service ->
``aws4_request``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Union
from urllib.parse import unquote_to_bytes, urlsplit

from .. import _http
from ..errors import ConfigurationError
from .aws_credentials import AwsCredentials

if TYPE_CHECKING:
    from .._http import httpx

__all__ = [
    "ALGORITHM",
    "SigV4Headers",
    "canonical_query",
    "canonical_uri",
    "sign",
    "sign_request",
    "signing_key",
]

ALGORITHM = "AWS4-HMAC-SHA256"

HeadersLike = Union[Mapping[str, str], Iterable[tuple[str, str]]]
BodyLike = Union[bytes, bytearray, memoryview, str, None]

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# One entry per byte: the byte itself when unreserved, else %XX.
_ENCODED = tuple(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256))
_ENCODED_PATH = tuple("/" if b == 0x2F else _ENCODED[b] for b in range(256))
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")
_UNSIGNED = frozenset(
    {
        "authorization",
        "user-agent",
        "expect",
        "x-amzn-trace-id",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


class SigV4Headers(dict[str, str]):
    """The headers to add to the request: ``X-Amz-Date``, ``X-Amz-Security-Token`` with
    temporary credentials, ``x-amz-content-sha256`` with ``sign_payload``, ``Authorization``.

    A plain ``dict`` that also keeps what the signature was computed from:
    ``canonical_request``, ``string_to_sign``, ``signature`` and ``signed_headers``. ``repr``
    hides the session token (the canonical request holds it too: do not log that).
    """

    canonical_request: str
    string_to_sign: str
    signature: str
    signed_headers: str

    def __repr__(self) -> str:
        shown = {
            name: "<redacted>" if name.lower() == "x-amz-security-token" else value
            for name, value in self.items()
        }
        return f"SigV4Headers({shown!r})"

    __str__ = __repr__


def sign(
    method: str,
    url: str,
    headers: HeadersLike,
    body: BodyLike = b"",
    *,
    credentials: AwsCredentials,
    region: str,
    service: str,
    now: datetime | None = None,
    double_encode_path: bool = True,
    normalize_path: bool = True,
    sign_payload: bool = False,
    payload_hash: str | None = None,
    omit_session_token: bool = False,
) -> SigV4Headers:
    """The headers that sign this request (see :class:`SigV4Headers` and the module docs).

    ``url`` is the full URL with the path and query exactly as they are sent; ``headers`` a
    mapping, ``httpx.Headers`` or ``(name, value)`` pairs (repeated names allowed). ``now``
    defaults to the current time (a naive datetime is taken as UTC). ``omit_session_token``
    adds the token after signing instead of signing it (some services want that).
    """
    if not region or not service:
        raise ConfigurationError("SigV4 signing needs a region and a service name")
    moment = _utc(now)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    hashed = payload_hash or hashlib.sha256(_body_bytes(body)).hexdigest()
    parts = urlsplit(url)

    added: dict[str, str] = {"X-Amz-Date": amz_date}
    token = credentials.session_token
    if token:
        added["X-Amz-Security-Token"] = token
    if sign_payload:
        added["x-amz-content-sha256"] = hashed
    replaced = {name.lower() for name in added}
    signed: dict[str, list[str]] = {}
    for name, value in _header_items(headers):
        key = name.lower()
        if key not in _UNSIGNED and key not in replaced:
            signed.setdefault(key, []).append(value)
    for name, value in added.items():
        if not (omit_session_token and name == "X-Amz-Security-Token"):
            signed[name.lower()] = [value]
    if "host" not in signed:
        signed["host"] = [_host(parts.scheme, parts.netloc)]

    names = sorted(signed)
    header_block = "".join(f"{name}:{_header_value(signed[name])}\n" for name in names)
    signed_headers = ";".join(names)
    canonical = "\n".join(
        [
            method.upper(),
            canonical_uri(parts.path, double_encode=double_encode_path, normalize=normalize_path),
            canonical_query(parts.query),
            header_block,
            signed_headers,
            hashed,
        ]
    )
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    derived = signing_key(credentials.secret_access_key, amz_date[:8], region, service)
    signature = hmac.new(derived, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    added["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    result = SigV4Headers(added)
    result.canonical_request = canonical
    result.string_to_sign = string_to_sign
    result.signature = signature
    result.signed_headers = signed_headers
    return result


def sign_request(
    request: httpx.Request,
    credentials: AwsCredentials,
    region: str,
    service: str = "bedrock",
    *,
    now: datetime | None = None,
) -> httpx.Request:
    """Signs an ``httpx.Request`` whose body is already in memory, in place (and returns it).

    Signs the path and query exactly as httpx will send them, every header the request holds
    (apart from the unsigned ones listed in the module docs), and the body hash; adds
    ``X-Amz-Date``, ``X-Amz-Security-Token`` (temporary credentials) and ``Authorization``.
    Re-sign after changing anything (a retry needs a fresh ``X-Amz-Date`` anyway).
    """
    try:
        body = request.content
    except _http.ERRORS.request_not_read:
        body = None
    if body is None:
        raise ConfigurationError("SigV4 signing needs the request body in memory (not a stream)")
    url = request.url
    target = url.raw_path.decode("ascii")
    full_url = f"{url.scheme}://{url.netloc.decode('ascii')}{target}"
    for name, value in sign(
        request.method,
        full_url,
        request.headers.multi_items(),
        body,
        credentials=credentials,
        region=region,
        service=service,
        now=now,
    ).items():
        request.headers[name] = value
    return request


def canonical_uri(path: str, *, double_encode: bool = True, normalize: bool = True) -> str:
    """The canonical URI of a wire path (see the module docs)."""
    if normalize:
        path = _remove_dot_segments(path)
    if not path:
        return "/"
    if double_encode:
        return _encode(path, _ENCODED_PATH)
    # Single encoding: keep the escapes already there, encode what is not yet encoded.
    pieces: list[str] = []
    start = 0
    for match in _ESCAPE.finditer(path):
        pieces.append(_encode(path[start : match.start()], _ENCODED_PATH))
        pieces.append(match.group().upper())
        start = match.end()
    pieces.append(_encode(path[start:], _ENCODED_PATH))
    return "".join(pieces)


def canonical_query(query: str) -> str:
    """The canonical query string of a raw (wire) query (see the module docs)."""
    pairs: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((_requote(name), _requote(value)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """The derived key for one day, region and service (``date`` is ``YYYYMMDD``)."""
    key = ("AWS4" + secret_access_key).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _remove_dot_segments(path: str) -> str:
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    normalized = "/" + "/".join(segments)
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    return normalized


def _encode(text: str, table: tuple[str, ...]) -> str:
    return "".join(table[byte] for byte in text.encode("utf-8"))


def _requote(text: str) -> str:
    raw = unquote_to_bytes(text.replace("+", " "))
    return "".join(_ENCODED[byte] for byte in raw)


def _header_items(headers: HeadersLike) -> Iterable[tuple[str, str]]:
    multi = getattr(headers, "multi_items", None)
    if callable(multi):
        items: Iterable[tuple[str, str]] = multi()
        return items
    if isinstance(headers, Mapping):
        return headers.items()
    return headers


def _header_value(values: list[str]) -> str:
    return ",".join(_WHITESPACE.sub(" ", value).strip(" ") for value in values)


def _host(scheme: str, netloc: str) -> str:
    host = netloc.rpartition("@")[2]
    name, colon, port = host.rpartition(":")
    if colon and "]" not in port and _DEFAULT_PORTS.get(scheme.lower()) == port:
        return name
    return host


def _body_bytes(body: BodyLike) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        return now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)
