"""Google service-account OAuth2 for Vertex AI, written here (no google-auth).

The flow of ../shared/spec/providers.md §5.7: a service-account JSON key file names the account
(``client_email``), holds its RSA private key and the token endpoint (``token_uri``); an
RS256-signed JWT (the *assertion*) is exchanged there with the JWT-bearer grant (RFC 7523) for
an access token, which Vertex requests carry as ``Authorization: Bearer <token>``.

Signing needs the optional ``cryptography`` package (``pip install "fluent-ai[vertex]"``);
loading a key file and resolving the project work without it.

    tokens = GoogleServiceAccountTokens.from_file()  # GOOGLE_APPLICATION_CREDENTIALS
    with httpx.Client() as http:
        headers = {"authorization": f"Bearer {tokens.token(http)}"}

The private key, the signed assertion and the access token never appear in a repr, str,
exception message or log record.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Union
from urllib.parse import urlencode

from .. import _http, errors
from .._http_errors import error_from_response, error_from_transport, redact

if TYPE_CHECKING:
    import asyncio

    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    from .._http import httpx

__all__ = [
    "ASSERTION_LIFETIME",
    "CLOUD_PLATFORM_SCOPE",
    "DEFAULT_LOCATION",
    "DEFAULT_TOKEN_URI",
    "REFRESH_MARGIN",
    "GoogleServiceAccountTokens",
    "MissingDependencyError",
    "ServiceAccountKey",
    "VertexProject",
    "resolve_vertex_project",
]

CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
LOCATION_ENV = "GOOGLE_CLOUD_LOCATION"
# The registry's default for the vertex provider (providers/registry.py).
DEFAULT_LOCATION = "us-central1"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Seconds an assertion is valid: Google's maximum, and what google-auth asks for.
ASSERTION_LIFETIME = 3600
# A cached token is replaced this many seconds before it expires (at most half its lifetime),
# so a request never leaves with a token that dies on the way.
REFRESH_MARGIN = 300.0
# Assumed lifetime when the endpoint sends no usable ``expires_in`` (Google's is one hour).
_DEFAULT_EXPIRES_IN = 3600.0
# OAuth2 error codes (RFC 6749 §5.2) that mean the credentials themselves were rejected.
_CREDENTIAL_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
_MAX_MESSAGE = 1000
_INSTALL_HINT = 'pip install "fluent-ai[vertex]"'

_log = logging.getLogger("fluent_ai.auth")

StrPath = Union[str, "os.PathLike[str]"]


class MissingDependencyError(errors.ConfigurationError, ImportError):
    """An optional dependency is not installed (also an :class:`ImportError`)."""


@dataclass(frozen=True)
class ServiceAccountKey:
    """The fields of a service-account JSON key that the token exchange uses.

    ``private_key`` (PEM) is left out of the repr. ``private_key_id`` becomes the JWT ``kid``;
    ``token_uri`` defaults to Google's endpoint when the file has none.
    """

    client_email: str
    private_key: str = field(repr=False)
    private_key_id: str | None = None
    token_uri: str = DEFAULT_TOKEN_URI
    project_id: str | None = None

    @classmethod
    def from_file(
        cls, path: StrPath | None = None, *, environ: Mapping[str, str] | None = None
    ) -> ServiceAccountKey:
        """Reads the key file at ``path``, or at ``$GOOGLE_APPLICATION_CREDENTIALS``.

        Raises :class:`~fluent_ai.errors.ConfigurationError` when neither is given, or the file
        is missing, unreadable, not JSON or not a service-account key.
        """
        env = os.environ if environ is None else environ
        if path is None:
            path = env.get(CREDENTIALS_ENV) or None
            if path is None:
                raise errors.ConfigurationError(
                    "no Google service-account key: pass the key file's path or set "
                    f"{CREDENTIALS_ENV} to it"
                )
        name = os.fspath(path)
        source = f"the service-account key file {name!r}"
        problem: str | None = None
        info: object = None
        try:
            text = Path(name).expanduser().read_text(encoding="utf-8")
        except FileNotFoundError:
            problem = f"{source} does not exist"
        except OSError as error:
            problem = f"cannot read {source}: {error.strerror or type(error).__name__}"
        except UnicodeDecodeError:
            problem = f"{source} is not UTF-8 text"
        else:
            try:
                info = json.loads(text)
            except json.JSONDecodeError as error:
                # Only the position: the exception's ``doc`` is the file, private key included.
                problem = (
                    f"{source} is not valid JSON ({error.msg} at line {error.lineno}, "
                    f"column {error.colno})"
                )
        if problem is not None:
            # Raised outside the except blocks so no exception holding the file is chained.
            raise errors.ConfigurationError(problem)
        return cls.from_info(info, source=source)

    @classmethod
    def from_info(
        cls, info: object, *, source: str = "the service-account key"
    ) -> ServiceAccountKey:
        """Builds the key from the parsed JSON object (for keys kept in a secret store).

        ``type`` must be ``"service_account"`` when present; ``client_email`` and
        ``private_key`` are required. Messages name fields, never their values.
        """
        if not isinstance(info, Mapping):
            raise errors.ConfigurationError(f"{source} is not a JSON object")
        kind = info.get("type", "service_account")
        if kind != "service_account":
            shown = repr(kind) if isinstance(kind, str) and len(kind) <= 40 else "another type"
            raise errors.ConfigurationError(
                f"{source} has type {shown}, not 'service_account' (user credentials from "
                "`gcloud auth application-default login` are not supported; create a "
                "service-account key)"
            )
        missing = [name for name in ("client_email", "private_key") if not info.get(name)]
        if missing:
            raise errors.ConfigurationError(f"{source} has no {' or '.join(missing)}")
        values: dict[str, Any] = {}
        for name in ("client_email", "private_key", "private_key_id", "token_uri", "project_id"):
            value = info.get(name)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise errors.ConfigurationError(f"{source}: {name} is not a string")
            values[name] = value
        return cls(**values)


class VertexProject(NamedTuple):
    """Where Vertex requests go: the Google Cloud project and the location (region)."""

    project: str
    location: str


def resolve_vertex_project(
    project: str | None = None,
    location: str | None = None,
    *,
    key: ServiceAccountKey | None = None,
    environ: Mapping[str, str] | None = None,
) -> VertexProject:
    """The Vertex project and location, first found wins.

    - project: ``project``, then ``$GOOGLE_CLOUD_PROJECT``, then the key file's ``project_id``;
      none of them raises :class:`~fluent_ai.errors.ConfigurationError`.
    - location: ``location``, then ``$GOOGLE_CLOUD_LOCATION``, then ``us-central1``.

    Empty strings count as unset.
    """
    env = os.environ if environ is None else environ
    found = project or env.get(PROJECT_ENV) or (key.project_id if key else None)
    if not found:
        raise errors.ConfigurationError(
            "no Google Cloud project for Vertex AI: pass providers={'vertex': {'project': ...}}, "
            f"set {PROJECT_ENV}, or use a service-account key file that has a project_id"
        )
    return VertexProject(found, location or env.get(LOCATION_ENV) or DEFAULT_LOCATION)


class _RS256Signer:
    """RSASSA-PKCS1-v1_5 with SHA-256, through the optional ``cryptography`` package."""

    def __init__(self, pem: str) -> None:
        try:
            from cryptography.exceptions import UnsupportedAlgorithm  # noqa: PLC0415
            from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
            from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: PLC0415
        except ImportError as error:
            raise MissingDependencyError(
                "Google service-account auth (Vertex AI) signs with the 'cryptography' "
                f"package, which is not installed: {_INSTALL_HINT}"
            ) from error
        key: object = None
        # A parse failure is reported below, without the parser's exception attached.
        with contextlib.suppress(ValueError, TypeError, UnsupportedAlgorithm):
            key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            what = "is not an RSA key" if key is not None else "could not be read as PEM"
            raise errors.ConfigurationError(
                f"the service-account private_key {what} (RS256 needs an unencrypted RSA key)"
            )
        self._key: RSAPrivateKey = key
        self._padding = padding.PKCS1v15()
        self._hash = hashes.SHA256()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, self._padding, self._hash)

    def __repr__(self) -> str:
        return "_RS256Signer(...)"


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)
    refresh_at: float


class GoogleServiceAccountTokens:
    """OAuth2 access tokens for a service account, fetched and cached.

    :meth:`token` (with an ``httpx.Client``) and :meth:`atoken` (with an ``httpx.AsyncClient``)
    return a cached token while it has more than ``refresh_margin`` seconds (5 minutes, at most
    half its lifetime) left, and otherwise exchange a new signed assertion at the token
    endpoint. Callers that race for an expired token wait for ONE exchange: a thread lock
    serializes the sync refresh, an asyncio lock per event loop the async one.

    ``token_uri`` overrides the key file's endpoint (the JWT ``aud`` follows it); ``clock``
    (epoch seconds, default :func:`time.time`) sets ``iat`` and decides expiry; ``provider``
    names the provider in exceptions. Failures raise the :mod:`fluent_ai.errors` classes of
    ``_http_errors`` (a rejected key, OAuth ``invalid_grant``/``invalid_client``, is an
    :class:`~fluent_ai.errors.AuthenticationError`). Construction raises
    :class:`MissingDependencyError` without ``cryptography`` and
    :class:`~fluent_ai.errors.ConfigurationError` for an unusable private key.
    """

    def __init__(
        self,
        key: ServiceAccountKey,
        *,
        token_uri: str | None = None,
        scopes: Sequence[str] = (CLOUD_PLATFORM_SCOPE,),
        refresh_margin: float = REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
        provider: str = "vertex",
    ) -> None:
        self._signer = _RS256Signer(key.private_key)
        self.key = key
        self.token_uri = token_uri or key.token_uri
        self.scope = scopes if isinstance(scopes, str) else " ".join(scopes)
        self.refresh_margin = refresh_margin
        self.provider = provider
        self._clock = clock
        self._cached: _Token | None = None
        self._lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._loop_locks = weakref.WeakKeyDictionary()
        self._loop_locks_guard = threading.Lock()

    @classmethod
    def from_file(
        cls,
        path: StrPath | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> GoogleServiceAccountTokens:
        """Loads the key file (``path`` or ``$GOOGLE_APPLICATION_CREDENTIALS``); ``options``
        are the constructor's keyword arguments."""
        return cls(ServiceAccountKey.from_file(path, environ=environ), **options)

    def token(self, http_client: httpx.Client) -> str:
        """A valid access token, exchanging a new assertion when the cached one is stale."""
        cached = self._fresh()
        if cached is not None:
            return cached
        with self._lock:
            cached = self._fresh()  # another thread may have refreshed while this one waited
            if cached is not None:
                return cached
            now = self._clock()
            assertion = self.assertion(now)
            try:
                response = http_client.post(
                    self.token_uri, content=_form(assertion), headers=_FORM_HEADERS
                )
            except _http.ERRORS.request as error:  # also a corrupt gzip body
                raise self._transport_error(error, assertion) from error
            return self._accept(response, now, assertion)

    async def atoken(self, http_client: httpx.AsyncClient) -> str:
        """:meth:`token` for asyncio; concurrent tasks of one loop share one exchange."""
        cached = self._fresh()
        if cached is not None:
            return cached
        async with self._loop_lock():
            cached = self._fresh()
            if cached is not None:
                return cached
            now = self._clock()
            assertion = self.assertion(now)
            try:
                response = await http_client.post(
                    self.token_uri, content=_form(assertion), headers=_FORM_HEADERS
                )
            except _http.ERRORS.request as error:  # also a corrupt gzip body
                raise self._transport_error(error, assertion) from error
            return self._accept(response, now, assertion)

    def invalidate(self, token: str | None = None) -> None:
        """Forgets the cached token (only if it is ``token``, when given), e.g. after Vertex
        answered 401 with it; racing callers that all saw the same bad token cause one
        refresh, not one each."""
        cached = self._cached
        if cached is not None and (token is None or cached.value == token):
            self._cached = None

    def assertion(self, now: float) -> str:
        """The signed JWT for the token request at ``now`` (epoch seconds).

        Header ``{"alg": "RS256", "typ": "JWT", "kid": <private_key_id>}``; claims ``iss``
        (the account), ``scope``, ``aud`` (the token endpoint), ``iat`` and ``exp`` = ``iat``
        + 3600. It is a credential for an hour: keep it secret.
        """
        header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
        if self.key.private_key_id:
            header["kid"] = self.key.private_key_id
        issued = int(now)
        claims = {
            "iss": self.key.client_email,
            "scope": self.scope,
            "aud": self.token_uri,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME,
        }
        signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode("ascii")
        return f"{signing_input.decode('ascii')}.{_b64(self._signer.sign(signing_input))}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(client_email={self.key.client_email!r}, "
            f"token_uri={self.token_uri!r}, cached={self._cached is not None})"
        )

    def _fresh(self) -> str | None:
        cached = self._cached
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.value
        return None

    def _loop_lock(self) -> asyncio.Lock:
        # One lock per event loop: an asyncio.Lock must not be shared across loops (Python 3.9
        # binds it to a loop when created, 3.10+ on first use).
        import asyncio  # noqa: PLC0415  (here: the sync path never imports asyncio)

        loop = asyncio.get_running_loop()
        with self._loop_locks_guard:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
            return lock

    def _accept(self, response: httpx.Response, now: float, assertion: str) -> str:
        if not 200 <= response.status_code < 300:
            raise self._response_error(response, assertion)
        body = _json_object(response.content)
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise errors.APIError(
                f"Google token request for {self.key.client_email} failed: "
                "the answer has no access_token",
                provider=self.provider,
                status_code=response.status_code,
            )
        lifetime = _seconds(body.get("expires_in"))
        margin = min(self.refresh_margin, lifetime / 2)
        self._cached = _Token(value, now + lifetime - margin)
        _log.debug(
            "fetched a Google access token for %s, valid for %d s",
            self.key.client_email,
            lifetime,
        )
        return value

    def _secrets(self, assertion: str) -> tuple[str | None, ...]:
        cached = self._cached  # an endpoint might echo the token being replaced
        return (assertion, self.key.private_key, cached.value if cached else None)

    def _response_error(self, response: httpx.Response, assertion: str) -> errors.APIError:
        secrets = self._secrets(assertion)
        mapped = error_from_response(response, provider=self.provider, secrets=secrets)
        cls: type[errors.APIError] = type(mapped)
        message = mapped.message
        # OAuth2 error bodies (RFC 6749 §5.2): {"error": "invalid_grant", "error_description"}.
        body = _json_object(response.content)
        code = body.get("error")
        if isinstance(code, str) and code:
            description = body.get("error_description")
            if isinstance(description, str) and description:
                message = redact(f"{code}: {description}", secrets)[:_MAX_MESSAGE]
            if code in _CREDENTIAL_ERRORS and response.status_code < 500:
                cls = errors.AuthenticationError
        return cls(
            f"Google token request for {self.key.client_email} failed: {message}",
            provider=mapped.provider,
            status_code=mapped.status_code,
            request_id=mapped.request_id,
            retry_after=mapped.retry_after,
        )

    def _transport_error(self, error: BaseException, assertion: str) -> errors.APIError:
        mapped = error_from_transport(
            error, provider=self.provider, secrets=self._secrets(assertion)
        )
        return type(mapped)(
            f"Google token request for {self.key.client_email}: {mapped.message}",
            provider=mapped.provider,
        )


_FORM_HEADERS = {
    "content-type": "application/x-www-form-urlencoded",
    "accept": "application/json",
}


def _form(assertion: str) -> bytes:
    return urlencode({"grant_type": JWT_BEARER_GRANT, "assertion": assertion}).encode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_json(value: Mapping[str, object]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _seconds(value: object) -> float:
    # Google sends an integer; tolerate a float or numeric string, fall back to one hour.
    if isinstance(value, bool):
        return _DEFAULT_EXPIRES_IN
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return _DEFAULT_EXPIRES_IN
    if isinstance(value, (int, float)) and math.isfinite(value):
        return max(0.0, float(value))
    return _DEFAULT_EXPIRES_IN
