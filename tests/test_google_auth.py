"""Google service-account OAuth2 (fluent_ai.auth.google) against a loopback token endpoint that
verifies the RS256 JWT with the test key's public half: key files, the grant, caching and
expiry on a fake clock, racing threads and tasks, failures, the missing optional dependency,
and the private key, assertion and token never showing in reprs, exceptions or logs."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from google_token_server import SCOPE, TokenEndpoint
from loopback import LoopbackServer, Request, Response, json_response

from fluent_ai import errors
from fluent_ai._http import httpx
from fluent_ai.auth.google import (
    DEFAULT_TOKEN_URI,
    GoogleServiceAccountTokens,
    MissingDependencyError,
    ServiceAccountKey,
    VertexProject,
    resolve_vertex_project,
)

EMAIL = "fluent-test@canary-project.iam.gserviceaccount.com"
KEY_ID = "0123456789abcdef0123456789abcdef01234567"
TOKEN_PREFIX = "ya29.CANARY-TOKEN-7c1d"
START = 1_760_000_000.0


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return _pem(rsa_key)


@pytest.fixture(scope="module")
def canary(pem: str) -> str:
    """A line from the middle of the private key: it must never show anywhere."""
    lines = pem.splitlines()
    return lines[len(lines) // 2]


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def endpoint(server: LoopbackServer, rsa_key: rsa.RSAPrivateKey, clock: FakeClock) -> TokenEndpoint:
    server.reset()
    return TokenEndpoint(
        server,
        rsa_key.public_key(),
        client_email=EMAIL,
        key_id=KEY_ID,
        clock=clock,
        token_prefix=TOKEN_PREFIX,
    )


def key_info(pem: str, token_uri: str | None = DEFAULT_TOKEN_URI, **fields: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "type": "service_account",
        "project_id": "canary-project",
        "private_key_id": KEY_ID,
        "private_key": pem,
        "client_email": EMAIL,
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }
    info.update(fields)
    return {k: v for k, v in info.items() if v is not None}


def write_key(tmp_path: Path, info: object, name: str = "key.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(info))
    return path


@pytest.fixture
def key_file(tmp_path: Path, pem: str, endpoint: TokenEndpoint) -> Path:
    return write_key(tmp_path, key_info(pem, endpoint.url))


@pytest.fixture
def tokens(key_file: Path, clock: FakeClock) -> GoogleServiceAccountTokens:
    return GoogleServiceAccountTokens.from_file(key_file, clock=clock)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        yield client


def atoken(tokens: GoogleServiceAccountTokens) -> str:
    async def main() -> str:
        async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
            return await tokens.atoken(client)

    return asyncio.run(main())


def sync_token(tokens: GoogleServiceAccountTokens) -> str:
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        return tokens.token(client)


FETCHES = {"sync": sync_token, "async": atoken}


def decode_jwt(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims, _signature = (
        base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in assertion.split(".")
    )
    return json.loads(header), json.loads(claims)


# --- key files -------------------------------------------------------------------------------


def test_key_file_fields(tmp_path: Path, pem: str, canary: str) -> None:
    key = ServiceAccountKey.from_file(write_key(tmp_path, key_info(pem)))
    assert key == ServiceAccountKey(EMAIL, pem, KEY_ID, DEFAULT_TOKEN_URI, "canary-project")
    assert key.private_key.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert canary not in repr(key) and canary not in str(key)
    assert EMAIL in repr(key)


def test_key_file_from_environment(
    tmp_path: Path, pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_key(tmp_path, key_info(pem, project_id="from-env-file"))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    assert ServiceAccountKey.from_file().project_id == "from-env-file"
    environ = {"GOOGLE_APPLICATION_CREDENTIALS": str(path)}
    assert ServiceAccountKey.from_file(environ=environ).client_email == EMAIL
    # An explicit path wins over the variable.
    other = write_key(tmp_path, key_info(pem, project_id="explicit"), "other.json")
    assert ServiceAccountKey.from_file(other).project_id == "explicit"


def test_key_file_optional_fields(tmp_path: Path, pem: str) -> None:
    info = key_info(pem, token_uri=None, project_id=None, private_key_id=None)
    key = ServiceAccountKey.from_file(write_key(tmp_path, info))
    assert (key.token_uri, key.project_id, key.private_key_id) == (DEFAULT_TOKEN_URI, None, None)
    # Without a key id the JWT header has no kid, as google-auth does.
    header, _claims = decode_jwt(GoogleServiceAccountTokens(key).assertion(START))
    assert header == {"alg": "RS256", "typ": "JWT"}


def test_no_key_configured() -> None:
    with pytest.raises(errors.ConfigurationError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        ServiceAccountKey.from_file(environ={})
    with pytest.raises(errors.ConfigurationError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        ServiceAccountKey.from_file(environ={"GOOGLE_APPLICATION_CREDENTIALS": ""})


def test_key_file_missing_or_unreadable(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigurationError, match=r"'.*nope\.json' does not exist"):
        ServiceAccountKey.from_file(tmp_path / "nope.json")
    with pytest.raises(errors.ConfigurationError, match=r"cannot read .*: Is a directory"):
        ServiceAccountKey.from_file(tmp_path)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{")
    with pytest.raises(errors.ConfigurationError, match="is not UTF-8 text"):
        ServiceAccountKey.from_file(binary)


def test_invalid_json_does_not_carry_the_key(tmp_path: Path, pem: str, canary: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(key_info(pem))[:-10])  # cut after the private key
    with pytest.raises(errors.ConfigurationError) as caught:
        ServiceAccountKey.from_file(path)
    assert "is not valid JSON (" in str(caught.value) and "line 1, column" in str(caught.value)
    # No chained exception holds the file text (JSONDecodeError.doc would).
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert canary not in repr(caught.value)


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ([1, 2], "is not a JSON object"),
        ({"type": "authorized_user"}, "has type 'authorized_user', not 'service_account'"),
        ({"type": 7}, "has type another type"),
        ({"private_key": ""}, "has no private_key"),
        ({"client_email": None}, "has no client_email"),
        ({"project_id": 42}, "project_id is not a string"),
    ],
)
def test_key_file_rejected(
    tmp_path: Path, pem: str, canary: str, info: object, message: str
) -> None:
    content = info if isinstance(info, list) else {**key_info(pem), **info}
    with pytest.raises(errors.ConfigurationError, match=message) as caught:
        ServiceAccountKey.from_file(write_key(tmp_path, content))
    assert canary not in str(caught.value)


def test_unusable_private_keys(pem: str, canary: str) -> None:
    garbled = pem.replace(canary, canary[::-1])
    for private_key, message in [
        (garbled, "could not be read as PEM"),
        ("not a key at all", "could not be read as PEM"),
        (_pem(ec.generate_private_key(ec.SECP256R1())), "is not an RSA key"),
    ]:
        key = ServiceAccountKey(EMAIL, private_key, KEY_ID)
        with pytest.raises(errors.ConfigurationError, match=message) as caught:
            GoogleServiceAccountTokens(key)
        assert caught.value.__cause__ is None and caught.value.__context__ is None
        assert canary not in str(caught.value) and canary[::-1] not in str(caught.value)


# --- the grant -------------------------------------------------------------------------------


def test_assertion_header_and_claims(pem: str, clock: FakeClock) -> None:
    key = ServiceAccountKey(EMAIL, pem, KEY_ID, "https://oauth2.example.test/token")
    clock.now = START + 0.9
    tokens = GoogleServiceAccountTokens(key, clock=clock)
    header, claims = decode_jwt(tokens.assertion(clock()))
    assert header == {"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
    assert claims == {
        "iss": EMAIL,
        "scope": SCOPE,
        "aud": "https://oauth2.example.test/token",
        "iat": int(START),
        "exp": int(START) + 3600,
    }
    # The token_uri override is where the request goes and what aud names.
    moved = GoogleServiceAccountTokens(key, token_uri="http://127.0.0.1:9/t")
    assert decode_jwt(moved.assertion(START))[1]["aud"] == "http://127.0.0.1:9/t"
    scoped = GoogleServiceAccountTokens(key, scopes=["a", "b"])
    assert decode_jwt(scoped.assertion(START))[1]["scope"] == "a b"


@pytest.mark.parametrize("mode", sorted(FETCHES))
def test_token_exchange_verified_by_the_endpoint(
    mode: str, tokens: GoogleServiceAccountTokens, endpoint: TokenEndpoint
) -> None:
    fetch = FETCHES[mode]
    assert fetch(tokens) == f"{TOKEN_PREFIX}-1"
    assert endpoint.rejections == []
    request = endpoint.server.requests[-1]
    assert request.headers["accept"] == "application/json"
    # Cached: the same token, no second exchange.
    assert fetch(tokens) == f"{TOKEN_PREFIX}-1"
    assert endpoint.exchanges() == 1


def test_token_uri_override(
    tmp_path: Path, pem: str, endpoint: TokenEndpoint, clock: FakeClock, http: httpx.Client
) -> None:
    # The key file points at Google; the override sends the grant to the loopback endpoint.
    key = ServiceAccountKey.from_file(write_key(tmp_path, key_info(pem)))
    tokens = GoogleServiceAccountTokens(key, token_uri=endpoint.url, clock=clock)
    assert tokens.token(http) == f"{TOKEN_PREFIX}-1"
    assert endpoint.rejections == []


def test_wrong_key_is_rejected_by_signature(
    tmp_path: Path, endpoint: TokenEndpoint, clock: FakeClock, http: httpx.Client
) -> None:
    other = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    key = ServiceAccountKey.from_file(write_key(tmp_path, key_info(other, endpoint.url)))
    tokens = GoogleServiceAccountTokens(key, clock=clock)
    with pytest.raises(errors.AuthenticationError) as caught:
        tokens.token(http)
    assert endpoint.rejections == ["Invalid JWT Signature."]
    error = caught.value
    assert (error.provider, error.status_code) == ("vertex", 400)
    assert error.message == f"Google token request for {EMAIL} failed: invalid_grant: " + (
        "Invalid JWT Signature."
    )


def test_clock_skew_is_rejected(
    tokens: GoogleServiceAccountTokens, endpoint: TokenEndpoint, http: httpx.Client
) -> None:
    # The endpoint checks iat against real time here, the provider signs with the fake clock.
    endpoint.clock = lambda: START + 600
    with pytest.raises(errors.AuthenticationError, match="short-lived token"):
        tokens.token(http)


# --- caching and expiry ----------------------------------------------------------------------


def test_refreshed_five_minutes_before_expiry(
    tokens: GoogleServiceAccountTokens,
    endpoint: TokenEndpoint,
    clock: FakeClock,
    http: httpx.Client,
) -> None:
    assert tokens.token(http) == f"{TOKEN_PREFIX}-1"
    clock.advance(3600 - 300 - 1)
    assert tokens.token(http) == f"{TOKEN_PREFIX}-1"
    clock.advance(1)
    assert tokens.token(http) == f"{TOKEN_PREFIX}-2"
    assert endpoint.exchanges() == 2
    # The new token's lifetime counts from its own request.
    clock.advance(3299)
    assert tokens.token(http) == f"{TOKEN_PREFIX}-2"
    assert endpoint.rejections == []


@pytest.mark.parametrize(
    ("answer", "margin", "fresh_for"),
    [
        ({"expires_in": 120}, 300, 60),  # short lifetime: refreshed at half of it
        ({"expires_in": "1000"}, 300, 700),  # numeric string
        ({}, 300, 3300),  # no expires_in: Google's one hour assumed
        ({"expires_in": None}, 300, 3300),
        ({"expires_in": 0}, 300, 0),  # already expired: fetched every time
        ({"expires_in": 3600}, 10, 3590),  # refresh_margin=
        ({"expires_in": 120}, 10, 110),
    ],
)
def test_lifetimes(
    *,
    key_file: Path,
    endpoint: TokenEndpoint,
    clock: FakeClock,
    http: httpx.Client,
    answer: dict[str, Any],
    margin: float,
    fresh_for: int,
) -> None:
    tokens = GoogleServiceAccountTokens.from_file(key_file, clock=clock, refresh_margin=margin)
    endpoint.answer = {"token_type": "Bearer", **answer}
    tokens.token(http)
    if fresh_for:
        clock.advance(fresh_for - 1)
        tokens.token(http)
        assert endpoint.exchanges() == 1
        clock.advance(1)
    tokens.token(http)
    assert endpoint.exchanges() == 2


def test_invalidate_only_the_named_token(
    tokens: GoogleServiceAccountTokens, endpoint: TokenEndpoint, http: httpx.Client
) -> None:
    first = tokens.token(http)
    tokens.invalidate("some other token")
    assert tokens.token(http) == first
    tokens.invalidate(first)
    second = tokens.token(http)
    assert second == f"{TOKEN_PREFIX}-2"
    tokens.invalidate(first)  # a late caller with the old token does not drop the new one
    assert tokens.token(http) == second
    tokens.invalidate()
    assert tokens.token(http) == f"{TOKEN_PREFIX}-3"


# --- races -----------------------------------------------------------------------------------


def test_sixteen_threads_share_one_exchange(
    tokens: GoogleServiceAccountTokens, endpoint: TokenEndpoint, clock: FakeClock
) -> None:
    endpoint.delay = 0.3
    for round_number in (1, 2):
        barrier = threading.Barrier(16)
        results: list[str] = []
        failures: list[BaseException] = []

        def worker(
            barrier: threading.Barrier = barrier,
            results: list[str] = results,
            failures: list[BaseException] = failures,
        ) -> None:
            try:
                with httpx.Client(trust_env=False, timeout=5.0) as client:
                    barrier.wait(timeout=5)
                    results.append(tokens.token(client))
            except BaseException as error:  # reported by the main thread
                failures.append(error)

        threads = [threading.Thread(target=worker) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert failures == []
        assert results == [f"{TOKEN_PREFIX}-{round_number}"] * 16
        assert endpoint.exchanges() == round_number
        clock.advance(3600)  # expire: the second round races for the refresh


def test_fifty_tasks_share_one_exchange(
    tokens: GoogleServiceAccountTokens, endpoint: TokenEndpoint, clock: FakeClock
) -> None:
    endpoint.delay = 0.3

    async def race() -> list[str]:
        async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
            return await asyncio.gather(*(tokens.atoken(client) for _ in range(50)))

    assert asyncio.run(race()) == [f"{TOKEN_PREFIX}-1"] * 50
    assert endpoint.exchanges() == 1
    # A second event loop gets its own lock (asyncio locks are bound to one loop).
    clock.advance(3600)
    assert asyncio.run(race()) == [f"{TOKEN_PREFIX}-2"] * 50
    assert endpoint.exchanges() == 2


def test_racing_tasks_after_a_failure(
    tokens: GoogleServiceAccountTokens, endpoint: TokenEndpoint
) -> None:
    # The first exchange fails; the waiting tasks then fetch once more, not once each.
    endpoint.server.fail("POST", endpoint.path, status=500)

    async def race() -> list[object]:
        async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
            return await asyncio.gather(
                *(tokens.atoken(client) for _ in range(10)), return_exceptions=True
            )

    results = asyncio.run(race())
    assert sum(isinstance(r, errors.ServerError) for r in results) == 1
    assert results.count(f"{TOKEN_PREFIX}-1") == 9
    assert endpoint.exchanges() == 2


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", sorted(FETCHES))
@pytest.mark.parametrize(
    ("fault", "cls", "status", "message"),
    [
        (
            {"status": 400, "body": {"error": "invalid_grant", "error_description": "Bad"}},
            errors.AuthenticationError,
            400,
            "invalid_grant: Bad",
        ),
        (
            {"status": 401, "body": {"error": "invalid_client"}},
            errors.AuthenticationError,
            401,
            "invalid_client",
        ),
        (
            {"status": 400, "body": {"error": "invalid_scope", "error_description": "No"}},
            errors.BadRequestError,
            400,
            "invalid_scope: No",
        ),
        ({"status": 500}, errors.ServerError, 500, "server_error: injected 500"),
        (
            {"status": 503, "headers": {"Retry-After": "7"}, "body": {"error": "unavailable"}},
            errors.ServerError,
            503,
            "unavailable",
        ),
        ({"disconnect": True}, errors.ConnectionError, None, "connection failed"),
    ],
)
def test_failures_are_typed_and_not_cached(
    *,
    mode: str,
    tokens: GoogleServiceAccountTokens,
    endpoint: TokenEndpoint,
    fault: dict[str, Any],
    cls: type[errors.APIError],
    status: int | None,
    message: str,
) -> None:
    fetch = FETCHES[mode]
    fault = dict(fault)  # the parameter is shared by both modes
    if fault.pop("disconnect", False):
        endpoint.server.disconnect("POST", endpoint.path)
    else:
        endpoint.server.fail("POST", endpoint.path, **fault)
    with pytest.raises(cls) as caught:
        fetch(tokens)
    error = caught.value
    assert type(error) is cls
    assert (error.provider, error.status_code) == ("vertex", status)
    assert error.message.startswith(f"Google token request for {EMAIL}")
    assert message in error.message
    if fault.get("headers"):
        assert error.retry_after == 7.0
    # Nothing was cached: the next call exchanges again and succeeds.
    assert fetch(tokens) == f"{TOKEN_PREFIX}-1"
    assert endpoint.exchanges() == 2


@pytest.mark.parametrize("mode", sorted(FETCHES))
def test_answer_without_access_token(
    mode: str, tokens: GoogleServiceAccountTokens, endpoint: TokenEndpoint
) -> None:
    endpoint.server.route("POST", endpoint.path, lambda _r: json_response({"expires_in": 3600}))
    with pytest.raises(errors.APIError, match="the answer has no access_token") as caught:
        FETCHES[mode](tokens)
    assert caught.value.status_code == 200


def test_timeout(tokens: GoogleServiceAccountTokens, endpoint: TokenEndpoint) -> None:
    endpoint.server.stall("POST", endpoint.path, 1.0)
    client = httpx.Client(trust_env=False, timeout=0.2)
    with client, pytest.raises(errors.TimeoutError, match="timed out") as caught:
        tokens.token(client)
    assert caught.value.provider == "vertex"


# --- the optional dependency -----------------------------------------------------------------


def test_missing_cryptography(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pem: str, canary: str
) -> None:
    for name in [n for n in sys.modules if n == "cryptography" or n.startswith("cryptography.")]:
        monkeypatch.setitem(sys.modules, name, None)  # import of <name> halted
    monkeypatch.setitem(sys.modules, "cryptography", None)
    # Loading the key file does not need cryptography; signing does.
    key = ServiceAccountKey.from_file(write_key(tmp_path, key_info(pem)))
    with pytest.raises(MissingDependencyError) as caught:
        GoogleServiceAccountTokens(key)
    error = caught.value
    assert isinstance(error, ImportError) and isinstance(error, errors.ConfigurationError)
    assert 'pip install "fluent-ai[vertex]"' in str(error)
    assert "'cryptography' package" in str(error)
    assert canary not in str(error)


def test_import_does_not_load_cryptography() -> None:
    code = "import sys, fluent_ai.auth.google; print('cryptography' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


# --- secrets ---------------------------------------------------------------------------------


def test_secrets_never_shown(
    tokens: GoogleServiceAccountTokens,
    endpoint: TokenEndpoint,
    clock: FakeClock,
    canary: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def echo(request: Request) -> Response:
        # A hostile endpoint that echoes the whole form, assertion included, in its error.
        form = request.body.decode()
        seen.append(form)
        body = {"error": "invalid_grant", "error_description": f"rejected {form}"}
        return json_response(body, 400)

    shown: list[str] = []
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        token = tokens.token(client)
        shown += [repr(tokens), str(tokens), repr(tokens.key), str(tokens.key)]
        clock.advance(3600)
        endpoint.server.fail("POST", endpoint.path, status=500, body=f"boom {token}")
        endpoint.server.route("POST", endpoint.path, echo)
        for _ in range(2):
            with pytest.raises(errors.APIError) as caught:
                tokens.token(client)
            shown += [str(caught.value), repr(caught.value), *map(str, caught.value.args)]
    assertion = endpoint.assertions[0]
    assert token.startswith(TOKEN_PREFIX) and seen
    assert "[REDACTED]" in shown[-1] and "rejected grant_type=" in shown[-1]
    shown += [record.getMessage() for record in caplog.records]
    shown += [caplog.text]
    assert any("fetched a Google access token for" in text for text in shown)
    for text in shown:
        for secret in (canary, token, assertion, assertion.split(".")[2]):
            assert secret not in text


# --- project and location --------------------------------------------------------------------


def test_vertex_project_resolution(pem: str) -> None:
    key = ServiceAccountKey(EMAIL, pem, project_id="from-key")
    env = {"GOOGLE_CLOUD_PROJECT": "from-env", "GOOGLE_CLOUD_LOCATION": "europe-west4"}
    assert resolve_vertex_project("explicit", "us-east5", key=key, environ=env) == VertexProject(
        "explicit", "us-east5"
    )
    assert resolve_vertex_project(key=key, environ=env) == ("from-env", "europe-west4")
    assert resolve_vertex_project(key=key, environ={}) == ("from-key", "us-central1")
    empty = {"GOOGLE_CLOUD_PROJECT": "", "GOOGLE_CLOUD_LOCATION": ""}
    assert resolve_vertex_project("", "", key=key, environ=empty) == ("from-key", "us-central1")
    with pytest.raises(errors.ConfigurationError, match="GOOGLE_CLOUD_PROJECT"):
        resolve_vertex_project(environ={})
    with pytest.raises(errors.ConfigurationError, match="project_id"):
        resolve_vertex_project(key=ServiceAccountKey(EMAIL, pem), environ={})


def test_vertex_project_from_process_environment(pem: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "process-env")
    monkeypatch.delenv("GOOGLE_CLOUD_LOCATION", raising=False)
    assert resolve_vertex_project() == ("process-env", "us-central1")
