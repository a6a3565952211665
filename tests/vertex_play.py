"""Vertex AI played on the loopback server, next to the Google token endpoint of
``google_token_server`` (which verifies each JWT grant's RS256 signature).

The Vertex routes check what Vertex would (../shared/spec/providers.md §4.6, §5.1): the model's
resource path under the project and location, ``alt=sse`` on the Gemini stream method, a bearer
token the token endpoint issued and that has not expired (else Google's 401), no API key, and
the body of each model family (the Gemini rules of ``fake_providers.gemini_checks``; for
Anthropic models the Messages rules with ``anthropic_version`` in the body instead of the
header and no ``model``). A good request is answered with the family's stream chunks (settable
per test) or whole JSON answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_providers import (
    ANTHROPIC_TOOLS_WHOLE,
    GEMINI_TOOLS_WHOLE,
    anthropic_checks,
    gemini_checks,
    transcript,
)
from google_token_server import TokenEndpoint
from loopback import LoopbackServer, Request, Response, chunked, json_response

__all__ = [
    "CLAUDE",
    "EMAIL",
    "GEMINI",
    "KEY_PROJECT",
    "SIGNATURE",
    "VertexPlay",
    "events_split",
    "pem_of",
    "write_key",
]

EMAIL = "fluent-vertex@canary-project.iam.gserviceaccount.com"
KEY_ID = "fedcba9876543210fedcba9876543210fedcba98"
KEY_PROJECT = "canary-project"
TOKEN_PREFIX = "ya29.VERTEX-CANARY-5e0b"
GEMINI = "gemini-2.5-pro"
CLAUDE = "claude-sonnet-4-5@20250929"
SIGNATURE = "c3ludGhldGljLXRoaW5raW5nLXNpZ25hdHVyZS1mb3Itc3BlYy10cmFuc2NyaXB0LW5vdC1yZWFs"
SSE = {"content-type": "text/event-stream"}

_UNAUTHENTICATED = {
    "error": {
        "code": 401,
        "message": "Request had invalid authentication credentials. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential.",
        "status": "UNAUTHENTICATED",
    }
}


def pem_of(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def write_key(path: Path, pem: str, token_uri: str) -> Path:
    """A service-account key file whose token endpoint is ``token_uri``."""
    info = {
        "type": "service_account",
        "project_id": KEY_PROJECT,
        "private_key_id": KEY_ID,
        "private_key": pem,
        "client_email": EMAIL,
        "client_id": "1234567890",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def events_split(data: bytes) -> list[bytes]:
    """``data`` cut after each SSE event, whatever its line ends (Gemini's are CRLF)."""
    pieces: list[bytes] = []
    start = 0
    while start < len(data):
        ends = [i for i in (data.find(b"\r\n\r\n", start), data.find(b"\n\n", start)) if i >= 0]
        if not ends:
            pieces.append(data[start:])
            break
        end = min(ends)
        end += 4 if data.startswith(b"\r\n\r\n", end) else 2
        pieces.append(data[start:end])
        start = end
    return pieces


class VertexPlay:
    """The token endpoint and the Vertex routes of one project and location on ``server``."""

    def __init__(
        self,
        server: LoopbackServer,
        key: rsa.RSAPrivateKey,
        *,
        project: str,
        location: str,
        anthropic_version: str = "vertex-2023-10-16",
    ) -> None:
        self.server = server
        self.endpoint = TokenEndpoint(
            server, key.public_key(), client_email=EMAIL, key_id=KEY_ID, token_prefix=TOKEN_PREFIX
        )
        self.project = project
        self.location = location
        self.anthropic_version = anthropic_version
        #: Chunks of each family's streamed answer.
        self.streams: dict[str, list[bytes]] = {
            "google": chunked(transcript("gemini_text_and_function_call.txt"), 37),
            "anthropic": chunked(transcript("anthropic_tool_use.txt"), 37),
        }
        self.whole: dict[str, object] = {
            "google": GEMINI_TOOLS_WHOLE,
            "anthropic": ANTHROPIC_TOOLS_WHOLE,
        }
        #: Tokens that have expired (Vertex answers 401); ``expire_next`` more expire on use.
        self.expired: set[str] = set()
        self.expire_next = 0
        #: Tokens accepted besides the issued ones (fetched elsewhere).
        self.accepted: set[str] = set()
        #: The bearer token each request to a Vertex route carried, in order.
        self.tokens: list[str] = []
        self._lock = threading.Lock()
        for family, model in (("google", GEMINI), ("anthropic", CLAUDE)):
            for streaming in (True, False):
                path = self.path(family, model, streaming)
                server.route("POST", path, self._handler(family, streaming))

    def path(self, family: str, model: str, streaming: bool) -> str:
        methods = {
            "google": ("streamGenerateContent", "generateContent"),
            "anthropic": ("streamRawPredict", "rawPredict"),
        }
        method = methods[family][0 if streaming else 1]
        return (
            f"/v1/projects/{self.project}/locations/{self.location}"
            f"/publishers/{family}/models/{model}:{method}"
        )

    def requests(self) -> list[Request]:
        """The requests that reached a Vertex route (faults included)."""
        return [r for r in self.server.requests if "/publishers/" in r.path]

    def _handler(self, family: str, streaming: bool) -> Any:
        def handle(request: Request) -> Response:
            token = _bearer(request.headers)
            with self._lock:
                self.tokens.append(token)
                if self.expire_next:
                    self.expire_next -= 1
                    self.expired.add(token)
            valid = token in self.endpoint.issued or token in self.accepted
            if not valid or token in self.expired:
                return json_response(_UNAUTHENTICATED, 401)
            problems = self._problems(request, family, streaming)
            if problems:
                error = {"code": 400, "message": "; ".join(problems), "status": "INVALID_ARGUMENT"}
                return json_response({"error": error}, 400)
            if streaming:
                return Response(200, dict(SSE), list(self.streams[family]))
            return json_response(self.whole[family])

        return handle

    def _problems(self, request: Request, family: str, streaming: bool) -> list[str]:
        problems = []
        if "x-goog-api-key" in request.headers or "key" in request.query:
            problems.append("an API key was sent")
        if family == "google":
            wanted_query = {"alt": ["sse"]} if streaming else {}
            if request.query != wanted_query:
                problems.append(f"query {request.query!r}, expected {wanted_query!r}")
            return problems + gemini_checks(request)
        if request.query:
            problems.append(f"query {request.query!r}")
        if "anthropic-version" in request.headers:
            problems.append("anthropic-version header (Vertex takes it in the body)")
        # The Messages rules, less the two that Vertex moves: the version and the model.
        moved = ("anthropic-version is not", "model missing")
        problems += [p for p in anthropic_checks()(request) if not p.startswith(moved)]
        body = request.json()
        if "model" in body:
            problems.append("model in the body (it belongs in the path)")
        if body.get("anthropic_version") != self.anthropic_version:
            problems.append(f"anthropic_version {body.get('anthropic_version')!r}")
        if streaming != ("stream" in body):
            problems.append("stream in the body does not match the method")
        return problems


def _bearer(headers: Mapping[str, str]) -> str:
    value = headers.get("authorization", "")
    return value[len("Bearer ") :] if value.startswith("Bearer ") else ""
