"""Server-side AWS SigV4 check, for the loopback server (the way an AWS endpoint checks).

Written independently of ``fluent_ai.auth.sigv4`` (standard-library quoting and query parsing,
its own header folding), so a test that signs with the package and verifies here compares two
implementations. Reusable by the client tests:

    server.route("POST", path, sigv4_required(handler, secrets={"AKID": "secret"},
                                              region="us-east-1", service="bedrock"))

A rejected request gets 403 with a Bedrock-style ``InvalidSignatureException`` body.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote

from loopback import Handler, Request, Response, json_response

__all__ = ["Verdict", "sigv4_required", "verify", "verify_request"]

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/,]+)/(?P<date>\d{8})/(?P<region>[^/,]+)/"
    r"(?P<service>[^/,]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;._-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Verdict:
    """The outcome: ``ok``, else ``reason``; ``canonical_request`` as the server built it."""

    ok: bool
    reason: str = ""
    canonical_request: str = ""


def verify(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    secrets: Mapping[str, str],
    region: str,
    service: str,
    session_token: str | None = None,
    now: datetime | None = None,
    max_skew_seconds: float | None = 300.0,
) -> Verdict:
    """Checks the ``Authorization`` header of one request as received on the wire.

    ``secrets`` maps access key ids to secret keys; ``session_token``, when given, must be sent
    as a signed ``X-Amz-Security-Token`` (and no token may be sent otherwise).
    """
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    authorization = grouped.get("authorization", [""])[0]
    match = _AUTH.match(authorization)
    if match is None:
        return Verdict(False, "malformed or missing Authorization header")
    amz_date = grouped.get("x-amz-date", [""])[0]
    try:
        sent_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return Verdict(False, "missing or malformed X-Amz-Date")
    if max_skew_seconds is not None:
        clock = now or datetime.now(timezone.utc)
        if abs((clock - sent_at).total_seconds()) > max_skew_seconds:
            return Verdict(False, "X-Amz-Date too far from the server clock")
    if match["date"] != amz_date[:8]:
        return Verdict(False, "credential scope date differs from X-Amz-Date")
    if (match["region"], match["service"]) != (region, service):
        return Verdict(False, f"wrong scope {match['region']}/{match['service']}")
    secret = secrets.get(match["key"])
    if secret is None:
        return Verdict(False, "unknown access key id")

    signed = match["signed"].split(";")
    if signed != sorted(set(signed)):
        return Verdict(False, "SignedHeaders not sorted or repeated")
    for required in ("host", "x-amz-date"):
        if required not in signed:
            return Verdict(False, f"{required} is not signed")
    missing = [name for name in signed if name not in grouped]
    if missing:
        return Verdict(False, f"signed headers not sent: {missing}")
    token = grouped.get("x-amz-security-token")
    if session_token is not None:
        if token != [session_token] or "x-amz-security-token" not in signed:
            return Verdict(False, "session token missing, wrong or unsigned")
    elif token is not None:
        return Verdict(False, "unexpected session token")

    payload = hashlib.sha256(body).hexdigest()
    claimed = grouped.get("x-amz-content-sha256")
    if claimed is not None and claimed != [payload]:
        return Verdict(False, "x-amz-content-sha256 does not match the body")

    path, _, query = target.partition("?")
    canonical = "\n".join(
        [
            method,
            _uri(path),
            _query(query),
            "".join(f"{name}:{_fold(grouped[name])}\n" for name in signed),
            ";".join(signed),
            payload,
        ]
    )
    scope = f"{match['date']}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = b"AWS4" + secret.encode()
    for part in (match["date"], region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    expected = hmac.new(key, to_sign.encode(), "sha256").hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        return Verdict(False, "signature mismatch", canonical)
    return Verdict(True, "", canonical)


def verify_request(request: Request, **options: Any) -> Verdict:
    """:func:`verify` (same keyword options) for a request the loopback server received."""
    return verify(request.method, request.target, request.header_items, request.body, **options)


def sigv4_required(
    handler: Handler,
    *,
    secrets: Mapping[str, str],
    region: str,
    service: str = "bedrock",
    session_token: str | None = None,
) -> Handler:
    """Wraps a loopback handler: requests whose signature does not verify get a 403."""

    def check(request: Request) -> Response:
        verdict = verify_request(
            request, secrets=secrets, region=region, service=service, session_token=session_token
        )
        if not verdict.ok:
            message = f"The request signature we calculated does not match: {verdict.reason}"
            return json_response(
                {"message": message},
                403,
                {"x-amzn-errortype": "InvalidSignatureException:http://internal.amazon.com/"},
            )
        return handler(request)

    return check


def _uri(path: str) -> str:
    # AWS services other than S3 normalize the path, then encode the wire path once more.
    if path and path != "/":
        normalized = posixpath.normpath(path)
        if normalized.startswith("//"):
            normalized = "/" + normalized.lstrip("/")
        if path.endswith("/") and normalized != "/":
            normalized += "/"
        path = normalized
    return quote(path or "/", safe="/~")


def _query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def _fold(values: list[str]) -> str:
    return ",".join(" ".join(value.split()) for value in values)
