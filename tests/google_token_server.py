"""A Google OAuth2 token endpoint, played on the loopback server, that checks the JWT grant.

It verifies each request the way Google's endpoint does (../shared/spec/providers.md §5.7):
the form (``grant_type`` = JWT bearer, one ``assertion``), the RS256 signature with the test
key's public half, the header (``alg``, ``typ``, ``kid``) and the claims (``iss``, ``scope``,
``aud`` = this endpoint's URL, integer ``iat`` near the expected clock, ``exp`` = ``iat`` +
3600). A bad assertion gets Google's ``400 invalid_grant``; a good one a fresh numbered token.
Faults (500, disconnect, stall) come from the server's own ``fail``/``disconnect``/``stall``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any, Callable
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from loopback import LoopbackServer, Request, Response, json_response

__all__ = ["GRANT_TYPE", "SCOPE", "TokenEndpoint"]

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
# How far ``iat`` may be from the endpoint's clock (Google allows a little skew).
_SKEW = 5.0


class TokenEndpoint:
    """``POST <path>`` on ``server``, accepting assertions signed by ``public_key``.

    ``clock`` is what ``iat`` is checked against (a test's fake clock); ``delay`` holds every
    good answer back, which widens the window in race tests; ``answer`` replaces the success
    body (``expires_in`` left out, extra fields, ...). ``issued`` lists the tokens handed out
    and ``rejections`` why assertions were refused.
    """

    def __init__(
        self,
        server: LoopbackServer,
        public_key: rsa.RSAPublicKey,
        *,
        client_email: str,
        key_id: str | None,
        path: str = "/token",
        expires_in: int = 3600,
        clock: Callable[[], float] = time.time,
        token_prefix: str = "ya29.test",
    ) -> None:
        self.server = server
        self.public_key = public_key
        self.client_email = client_email
        self.key_id = key_id
        self.path = path
        self.expires_in = expires_in
        self.clock = clock
        self.token_prefix = token_prefix
        self.delay = 0.0
        self.answer: dict[str, Any] | None = None
        self.issued: list[str] = []
        self.rejections: list[str] = []
        self.assertions: list[str] = []
        self._lock = threading.Lock()
        server.route("POST", path, self._handle)

    @property
    def url(self) -> str:
        return self.server.url + self.path

    def exchanges(self) -> int:
        """How many requests reached the endpoint (good, refused or faulted)."""
        return self.server.count(self.path, "POST")

    def _handle(self, request: Request) -> Response:
        problem = self._check(request)
        if problem is not None:
            with self._lock:
                self.rejections.append(problem)
            return json_response({"error": "invalid_grant", "error_description": problem}, 400)
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            token = f"{self.token_prefix}-{len(self.issued) + 1}"
            self.issued.append(token)
        body = {"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"}
        if self.answer is not None:
            body = {**self.answer, "access_token": token}
        return json_response(body)

    def _check(self, request: Request) -> str | None:
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return f"wrong content-type {request.headers.get('content-type')!r}"
        form = parse_qs(request.body.decode("ascii"), keep_blank_values=True)
        if sorted(form) != ["assertion", "grant_type"] or any(len(v) != 1 for v in form.values()):
            return f"form fields {sorted(form)}"
        if form["grant_type"] != [GRANT_TYPE]:
            return "Invalid grant_type"
        assertion = form["assertion"][0]
        with self._lock:
            self.assertions.append(assertion)
        parts = assertion.split(".")
        if len(parts) != 3 or any("=" in part or not part for part in parts):
            return "Invalid JWT: not three unpadded base64url parts"
        try:
            header = json.loads(_unb64(parts[0]))
            claims = json.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except ValueError:
            return "Invalid JWT: undecodable part"
        try:
            self.public_key.verify(
                signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return "Invalid JWT Signature."
        expected_header = {"alg": "RS256", "typ": "JWT"}
        if self.key_id is not None:
            expected_header["kid"] = self.key_id
        if header != expected_header:
            return f"Invalid JWT header {header}"
        return self._check_claims(claims)

    def _check_claims(self, claims: Any) -> str | None:
        if not isinstance(claims, dict) or sorted(claims) != ["aud", "exp", "iat", "iss", "scope"]:
            return "Invalid JWT: claim set"
        if claims["iss"] != self.client_email:
            return "Invalid JWT: iss"
        if claims["scope"] != SCOPE:
            return "Invalid JWT: scope"
        if claims["aud"] != self.url:
            return f"Invalid JWT: aud {claims['aud']!r}"
        issued = claims["iat"]
        if type(issued) is not int or abs(issued - self.clock()) > _SKEW:
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe"
        if type(claims["exp"]) is not int or claims["exp"] != issued + 3600:
            return "Invalid JWT: exp must be iat + 3600"
        return None


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
