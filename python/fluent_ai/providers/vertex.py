"""Vertex AI (../shared/spec/providers.md §4.6, §5.1, §5.7): Gemini and Anthropic models of one
Google Cloud project, with OAuth2 access tokens from a service-account key.

``"vertex/gemini-2.5-pro"`` speaks the Gemini format (:class:`VertexGemini`) at
``{base}/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent``
(``:streamGenerateContent?alt=sse``); ``"vertex/claude-sonnet-4-5@20250929"`` speaks Anthropic
Messages (:class:`VertexAnthropic`) at ``.../publishers/anthropic/models/{model}:rawPredict``
(``:streamRawPredict``), the model moved from the body into the URL and ``anthropic_version``
(``vertex-2023-10-16`` unless the ``anthropic_version`` setting says otherwise) into the body.
A ``google/`` or ``anthropic/`` prefix names the family of a model that starts otherwise.

``base`` is the registry's (``https://{location}-aiplatform.googleapis.com/v1``, the ``global``,
``us`` and ``eu`` hosts of §4.6) or the ``base_url`` override, which replaces it whole.
Settings (``providers={"vertex": {...}}``): ``project`` and ``location`` (else
``GOOGLE_CLOUD_PROJECT`` / ``GOOGLE_CLOUD_LOCATION``, else the key file's ``project_id`` and
``us-central1``), ``credentials_file`` (else ``GOOGLE_APPLICATION_CREDENTIALS``) or
``credentials`` (the key's parsed JSON), ``token_uri`` (else the key file's), ``quota_project``
(``x-goog-user-project``), ``access_token`` (a token fetched elsewhere, used as is, no key
file), ``anthropic_version``, ``beta`` (``anthropic-beta``), ``default_max_tokens``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..auth.google import GoogleServiceAccountTokens, ServiceAccountKey, resolve_vertex_project
from ..errors import ConfigurationError
from .anthropic import Anthropic
from .base import Adapter, ApiKeyAuth, Auth, ChatParams, HttpRequest
from .gemini import Gemini
from .registry import ResolvedProvider

__all__ = [
    "DEFAULT_ANTHROPIC_VERSION",
    "GoogleOAuth",
    "Vertex",
    "VertexAnthropic",
    "VertexGemini",
]

#: The ``anthropic_version`` sent in Vertex bodies: the one Anthropic documents for Vertex.
#: anthropic-sdk-python 2.12 sends ``2026-10-21`` (providers.md §13); set it with
#: ``providers={"vertex": {"anthropic_version": "2026-10-21"}}``.
DEFAULT_ANTHROPIC_VERSION = "vertex-2023-10-16"

_FAMILIES = (("google", "gemini"), ("anthropic", "claude"))


class GoogleOAuth:
    """Signs with ``Authorization: Bearer <access token>`` from a service-account key (cached
    and refreshed by :class:`~fluent_ai.auth.google.GoogleServiceAccountTokens`); after a 401
    the refused token is dropped so the next attempt fetches a new one."""

    __slots__ = ("_headers", "_lock", "_seen", "tokens")

    def __init__(self, tokens: GoogleServiceAccountTokens, headers: Mapping[str, str]) -> None:
        self.tokens = tokens
        self._headers = dict(headers)
        self._lock = threading.Lock()
        self._seen: tuple[str, ...] = ()

    def sign(self, request: HttpRequest, http: Any) -> None:
        self._apply(request, self.tokens.token(http))

    async def asign(self, request: HttpRequest, http: Any) -> None:
        self._apply(request, await self.tokens.atoken(http))

    def refused(self, request: HttpRequest) -> bool:
        token = _bearer(request.headers)
        if token is None:
            return False
        self.tokens.invalidate(token)  # only if still the cached one: racing 401s refresh once
        return True

    def secrets(self) -> tuple[str, ...]:
        return (self.tokens.key.private_key, *self._seen)

    def _apply(self, request: HttpRequest, token: str) -> None:
        request.headers.update(self._headers)
        request.headers["authorization"] = f"Bearer {token}"
        if token not in self._seen:
            with self._lock:  # the last few tokens: an old one may still be echoed back
                self._seen = (token, *self._seen[:3])

    def __repr__(self) -> str:
        return f"GoogleOAuth({self.tokens.key.client_email})"


def _bearer(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "authorization" and value.startswith("Bearer "):
            return value[len("Bearer ") :]
    return None


class Vertex(Adapter):
    """The provider: its credentials, and per model the adapter of that model's family."""

    def __init__(self, provider: ResolvedProvider) -> None:
        super().__init__(provider)
        self._lock = threading.Lock()
        self._key: ServiceAccountKey | None = None

    def auth(self) -> Auth:
        params = self.provider.params
        headers = self.provider.request_headers()
        if params.get("quota_project"):
            headers["x-goog-user-project"] = str(params["quota_project"])
        token = params.get("access_token")
        if token:
            return ApiKeyAuth({**headers, "authorization": f"Bearer {token}"}, str(token))
        tokens = GoogleServiceAccountTokens(
            self._load_key(),
            token_uri=str(params["token_uri"]) if params.get("token_uri") else None,
            provider=self.provider.name,
        )
        return GoogleOAuth(tokens, headers)

    def for_model(self, model: str) -> Adapter:
        family, name = _family(model)
        params = self.provider.params
        key = None
        if not params.get("project") and not params.get("access_token"):
            key = self._load_key()  # its project_id is the last resort
        project, location = resolve_vertex_project(
            params.get("project") or None, params.get("location") or None, key=key
        )
        prefix = (
            f"/projects/{quote(project, safe='')}/locations/{quote(location, safe='')}"
            f"/publishers/{family}/models/{quote(name, safe='@')}"
        )
        if family == "google":
            return VertexGemini(self.provider, prefix)
        return VertexAnthropic(self.provider, prefix)

    def _load_key(self) -> ServiceAccountKey:
        with self._lock:
            if self._key is None:
                params = self.provider.params
                info = params.get("credentials")
                if info is not None:
                    source = "providers['vertex']['credentials']"
                    self._key = ServiceAccountKey.from_info(info, source=source)
                else:
                    self._key = ServiceAccountKey.from_file(params.get("credentials_file"))
            return self._key


def _family(model: str) -> tuple[str, str]:
    """``(publisher, model id)`` of a Vertex model name."""
    for publisher, stem in _FAMILIES:
        if model.startswith(publisher + "/"):
            return publisher, model[len(publisher) + 1 :]
        if model.startswith(stem):
            return publisher, model
    raise ConfigurationError(
        f"Vertex model {model!r}: fluent-ai speaks Gemini ('vertex/gemini-...') and Anthropic "
        "('vertex/claude-...') models there; name another Google or Anthropic model "
        "'vertex/google/<model>' or 'vertex/anthropic/<model>'"
    )


class VertexGemini(Gemini):
    """Gemini on Vertex: the Gemini body, the model's resource path under the project."""

    def __init__(self, provider: ResolvedProvider, prefix: str) -> None:
        super().__init__(provider)
        self._prefix = prefix

    def _path(self, model: str, method: str) -> str:
        return f"{self._prefix}:{method}"

    def metadata(self, metadata: Mapping[str, str], body: dict[str, Any]) -> None:
        """Vertex AI's ``labels`` (billing labels of the request) hold ``metadata``."""
        body["labels"] = dict(metadata)


class VertexAnthropic(Anthropic):
    """Anthropic Messages on Vertex: no ``model`` in the body, ``anthropic_version`` in it
    instead of the header, ``:rawPredict`` / ``:streamRawPredict``."""

    def __init__(self, provider: ResolvedProvider, prefix: str) -> None:
        super().__init__(provider)
        self._prefix = prefix

    def headers(self, *, stream: bool = False) -> dict[str, str]:
        headers = super().headers(stream=stream)
        beta = self.provider.params.get("beta")
        if beta:
            headers["anthropic-beta"] = beta if isinstance(beta, str) else ",".join(beta)
        return headers

    def chat_request(self, params: ChatParams) -> HttpRequest:
        body = {"anthropic_version": self.version(), **self.chat_body(params)}
        body.pop("model", None)
        method = "streamRawPredict" if params.stream else "rawPredict"
        return self.post(f"{self._prefix}:{method}", body, stream=params.stream)

    def version(self) -> str:
        return str(self.provider.params.get("anthropic_version") or DEFAULT_ANTHROPIC_VERSION)
