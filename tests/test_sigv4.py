"""AWS SigV4 signing: every case of both official suites, the Bedrock vector, and a real
round trip through the loopback server with the server-side check of tests/sigv4_verify.py.

Suites (../shared/conformance/README.md, "sigv4/"):

- ``aws4_testsuite/`` (34 cases): ``.creq``, ``.sts``, ``.authz`` compared exactly, and the
  signed request ``.sreq`` compared header by header. One documented upstream defect:
  ``get-vanilla-with-session-token.sreq`` carries the ``get-vanilla`` signature while its
  ``.creq``/``.sts``/``.authz`` agree with each other; that case compares its signature with
  ``.authz`` and checks that the ``.sreq`` still shows the known defect (the rest of its
  ``.sreq`` is compared as usual). The suite gives no ``context.json``: the session tokens and
  the token-after-signing case come from the README/readme.txt.
- ``aws-signing-test-suite/v4/`` (38 cases): header mode, every ``context.json`` field applied
  (``normalize``, ``sign_body``, ``omit_session_token``, token, scope, time); canonical request,
  string to sign, signature and signed request compared. The presigned (``query-*``) files are
  not used: the package signs headers only.
- ``smithy-rs-additions/v4/``: the double-encoding cases (the rule Bedrock needs).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from loopback import LoopbackServer, Request, Response, json_response
from sigv4_verify import sigv4_required, verify, verify_request

from conftest import CONFORMANCE
from fluent_ai._http import httpx
from fluent_ai.auth import AwsCredentials, SigV4Headers, sign, sign_request
from fluent_ai.auth.sigv4 import canonical_query, canonical_uri, signing_key

SIGV4 = CONFORMANCE / "sigv4"
OLD_SUITE = SIGV4 / "aws4_testsuite"
NEW_SUITE = SIGV4 / "aws-signing-test-suite" / "v4"
SMITHY = SIGV4 / "smithy-rs-additions" / "v4"

KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_TIME = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)
SHORT_TOKEN = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"


def _sts_token() -> str:
    readme = (OLD_SUITE / "post-sts-token" / "readme.txt").read_text()
    return next(line for line in readme.splitlines() if line.startswith("AQoDYXdz"))


@dataclass
class RawRequest:
    """A request of the suites' text format (see the conformance README: method before the
    first space, version after the last, folded header lines start with whitespace)."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    host: str = field(init=False)

    def __post_init__(self) -> None:
        self.host = next(v for k, v in self.headers if k.lower() == "host")

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.target}"

    @classmethod
    def parse(cls, path: Path) -> RawRequest:
        text = path.read_bytes().decode("utf-8")
        lines = text.split("\n")
        request_line = lines[0]
        method, _, rest = request_line.partition(" ")
        target = rest.rpartition(" ")[0]
        headers: list[tuple[str, str]] = []
        index = 1
        while index < len(lines) and lines[index]:
            line = lines[index]
            if line[0] in " \t":
                name, value = headers[-1]
                headers[-1] = (name, value + "\n" + line)
            else:
                name, _, value = line.partition(":")
                headers.append((name, value))
            index += 1
        body = "\n".join(lines[index + 1 :]).encode()
        return cls(method, target, headers, body)


@dataclass
class Case:
    """One suite case: the request, the signing inputs, and the expected outputs."""

    name: str
    request: RawRequest
    signed: RawRequest
    canonical_request: str
    string_to_sign: str
    authorization: str
    credentials: AwsCredentials
    normalize: bool = True
    sign_body: bool = False
    omit_session_token: bool = False


def _old_cases() -> Iterator[Case]:
    tokens = {
        "get-vanilla-with-session-token": SHORT_TOKEN,
        "post-sts-header-before": _sts_token(),
        "post-sts-header-after": _sts_token(),
    }
    for req in sorted(OLD_SUITE.rglob("*.req")):
        name = req.stem
        token = tokens.get(name)
        yield Case(
            name=str(req.parent.relative_to(OLD_SUITE)),
            request=RawRequest.parse(req),
            signed=RawRequest.parse(req.with_suffix(".sreq")),
            canonical_request=req.with_suffix(".creq").read_text(),
            string_to_sign=req.with_suffix(".sts").read_text(),
            authorization=req.with_suffix(".authz").read_text(),
            credentials=AwsCredentials(KEY_ID, SECRET, token),
            omit_session_token=name == "post-sts-header-after",
        )


def _new_cases() -> Iterator[Case]:
    for folder in sorted(path for path in NEW_SUITE.iterdir() if path.is_dir()):
        context = json.loads((folder / "context.json").read_text())
        creds = context["credentials"]
        assert (context["region"], context["service"]) == ("us-east-1", "service")
        assert context["timestamp"] == "2015-08-30T12:36:00Z"
        signed = RawRequest.parse(folder / "header-signed-request.txt")
        yield Case(
            name=folder.name,
            request=RawRequest.parse(folder / "request.txt"),
            signed=signed,
            canonical_request=(folder / "header-canonical-request.txt").read_text(),
            string_to_sign=(folder / "header-string-to-sign.txt").read_text(),
            authorization=next(v for k, v in signed.headers if k == "Authorization"),
            credentials=AwsCredentials(
                creds["access_key_id"], creds["secret_access_key"], creds.get("token")
            ),
            normalize=context["normalize"],
            sign_body=context["sign_body"],
            omit_session_token=context.get("omit_session_token", False),
        )


OLD_CASES = list(_old_cases())
NEW_CASES = list(_new_cases())


def test_every_case_is_collected() -> None:
    # The README counts 34 and 38 cases; a lost folder must not shrink the suite silently.
    assert len(OLD_CASES) == 34
    assert len(NEW_CASES) == 38


def _sign_case(case: Case) -> tuple[str, str, dict[str, str]]:
    request = case.request
    result = sign(
        request.method,
        request.url,
        request.headers,
        request.body,
        credentials=case.credentials,
        region="us-east-1",
        service="service",
        now=SUITE_TIME,
        normalize_path=case.normalize,
        sign_payload=case.sign_body,
        omit_session_token=case.omit_session_token,
    )
    return result.canonical_request, result.string_to_sign, result


def _header_counter(headers: list[tuple[str, str]]) -> Counter[tuple[str, str]]:
    return Counter((name.lower(), value.strip()) for name, value in headers)


def _check_signed_request(case: Case, added: dict[str, str], *, skip_auth: bool = False) -> None:
    """The request after signing (original headers, ours replacing same-named ones) equals the
    suite's signed request, header for header."""
    replaced = {name.lower() for name in added}
    ours = [(k, v) for k, v in case.request.headers if k.lower() not in replaced]
    ours += list(added.items())
    theirs = case.signed.headers
    if skip_auth:
        ours = [(k, v) for k, v in ours if k.lower() != "authorization"]
        theirs = [(k, v) for k, v in theirs if k.lower() != "authorization"]
    assert _header_counter(ours) == _header_counter(theirs)
    assert (case.signed.method, case.signed.target) == (case.request.method, case.request.target)
    assert case.signed.body == case.request.body


@pytest.mark.parametrize("case", OLD_CASES, ids=lambda c: c.name)
def test_aws4_testsuite(case: Case) -> None:
    canonical, to_sign, added = _sign_case(case)
    assert canonical == case.canonical_request
    assert to_sign == case.string_to_sign
    assert added["Authorization"] == case.authorization
    assert added["X-Amz-Date"] == "20150830T123600Z"
    if case.name == "get-vanilla-with-session-token":
        # Upstream defect (conformance README): the .sreq holds get-vanilla's signature.
        vanilla = (OLD_SUITE / "get-vanilla" / "get-vanilla.authz").read_text()
        sreq_auth = next(v for k, v in case.signed.headers if k == "Authorization")
        assert sreq_auth.split("Signature=")[1] == vanilla.split("Signature=")[1]
        assert sreq_auth.strip().split("Signature=")[0] == case.authorization.split("Signature=")[0]
        _check_signed_request(case, added, skip_auth=True)
    else:
        _check_signed_request(case, added)


@pytest.mark.parametrize("case", NEW_CASES, ids=lambda c: c.name)
def test_aws_signing_test_suite_v4(case: Case) -> None:
    canonical, to_sign, added = _sign_case(case)
    assert canonical == case.canonical_request
    assert to_sign == case.string_to_sign
    folder = NEW_SUITE / case.name
    assert added["Authorization"] == case.authorization
    assert added["Authorization"].endswith((folder / "header-signature.txt").read_text())
    assert ("x-amz-content-sha256" in added) == case.sign_body
    token = case.credentials.session_token
    assert added.get("X-Amz-Security-Token") == token
    assert ("x-amz-security-token" in canonical) == bool(token and not case.omit_session_token)
    _check_signed_request(case, added)


def _sign_smithy(folder: Path, region: str, service: str) -> SigV4Headers:
    request = RawRequest.parse(folder / "request.txt")
    result = sign(
        request.method,
        request.url,
        request.headers,
        request.body,
        credentials=AwsCredentials(KEY_ID, SECRET),
        region=region,
        service=service,
        now=datetime(2021, 5, 11, 15, 40, 45, tzinfo=timezone.utc),
    )
    assert result.canonical_request == (folder / "header-canonical-request.txt").read_text()
    return result


def test_smithy_double_url_encode() -> None:
    """A path encoded once for the wire (``%3A``) is signed encoded twice (``%253A``)."""
    folder = SMITHY / "double-url-encode"
    result = _sign_smithy(folder, "us-east-2", "lambda")
    # The stored file ends with a newline that is not part of the signed string (README).
    assert result.string_to_sign + "\n" == (folder / "header-string-to-sign.txt").read_text()
    signed = RawRequest.parse(folder / "header-signed-request.txt")
    expected = next(v for k, v in signed.headers if k == "Authorization").strip()
    assert result["Authorization"] == expected


def test_smithy_double_encode_path() -> None:
    """Only the canonical request is reproducible here (README); it uses its own date."""
    _sign_smithy(SMITHY / "double-encode-path", "us-east-1", "service")


BEDROCK_URL = (
    "https://bedrock-runtime.us-east-1.amazonaws.com"
    "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream"
)
BEDROCK_BODY = (
    b'{"messages":[{"role":"user","content":[{"text":"Hello"}]}],'
    b'"inferenceConfig":{"maxTokens":256}}'
)


def test_bedrock_vector_from_the_spec() -> None:
    """providers.md section 6.2 (botocore 1.43.11 output)."""
    result = sign(
        "POST",
        BEDROCK_URL,
        {"Content-Type": "application/json"},
        BEDROCK_BODY,
        credentials=AwsCredentials(KEY_ID, SECRET),
        region="us-east-1",
        service="bedrock",
        now=datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )
    assert result.canonical_request.split("\n")[1] == (
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse-stream"
    )
    assert result.string_to_sign.endswith(
        "123b716309ed8516c86534f1945257a989f25d241a5d55d0601522270bf39d2b"
    )
    assert result == {
        "X-Amz-Date": "20250102T030405Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250102/us-east-1/bedrock/"
        "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
        "Signature=509755df254029b03bf115948017bbf3865f8b7c202938dcf33bd55024fe5ce4",
    }


# -- rules the suites do not reach ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "double", "normalize", "expected"),
    [
        ("", True, True, "/"),
        ("", True, False, "/"),
        ("/a/b/../c/./d", True, True, "/a/c/d"),
        ("/a/b/..", True, True, "/a"),
        ("/a/b/../", True, True, "/a/"),
        ("/../a", True, True, "/a"),
        ("/v1%3A0/x y", True, True, "/v1%253A0/x%20y"),
        ("/v1%3a0/x y", False, True, "/v1%3A0/x%20y"),
        ("/bucket//key%2Fpart/a:b", False, False, "/bucket//key%2Fpart/a%3Ab"),
        ("/100%/é", False, False, "/100%25/%C3%A9"),
        ("/@!$&'()*+,;=", True, True, "/%40%21%24%26%27%28%29%2A%2B%2C%3B%3D"),
    ],
)
def test_canonical_uri_rules(path: str, double: bool, normalize: bool, expected: str) -> None:
    assert canonical_uri(path, double_encode=double, normalize=normalize) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("b=2&a=1&a=0", "a=0&a=1&b=2"),
        ("flag&x=", "flag=&x="),
        ("a=1&&b=2&", "a=1&b=2"),
        ("k=a+b&k2=a%2Bb&k3=a%20b", "k=a%20b&k2=a%2Bb&k3=a%20b"),
        ("z=%7e%2d&y=/:?@", "y=%2F%3A%3F%40&z=~-"),
        ("q=%E1%88%B4&%ff=1", "%FF=1&q=%E1%88%B4"),
        ("a=1=2", "a=1%3D2"),
    ],
)
def test_canonical_query_rules(query: str, expected: str) -> None:
    assert canonical_query(query) == expected


def test_signing_key_example_from_the_aws_docs() -> None:
    # AWS documentation's "deriving the signing key" example (iam, us-east-1, 20120215).
    key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def _details(**kwargs: object) -> tuple[str, dict[str, str]]:
    options: dict[str, object] = {
        "credentials": AwsCredentials(KEY_ID, SECRET),
        "region": "us-east-1",
        "service": "bedrock",
        "now": SUITE_TIME,
        **kwargs,
    }
    headers = options.pop("headers", {})
    url = options.pop("url", "https://example.amazonaws.com/")
    result = sign("GET", url, headers, b"", **options)  # type: ignore[arg-type]
    return result.canonical_request, result


def test_host_comes_from_the_url_without_default_port() -> None:
    canonical, _ = _details(url="https://user@example.amazonaws.com:443/x")
    assert "\nhost:example.amazonaws.com\n" in canonical
    canonical, _ = _details(url="http://127.0.0.1:8080/x")
    assert "\nhost:127.0.0.1:8080\n" in canonical


def test_unsigned_and_replaced_headers() -> None:
    canonical, added = _details(
        headers=[
            ("Host", "example.amazonaws.com"),
            ("User-Agent", "x"),
            ("Connection", "keep-alive"),
            ("Authorization", "Bearer old"),
            ("X-Amz-Date", "19990101T000000Z"),
            ("Accept", "  a\t\t b  "),
        ]
    )
    signed_line = canonical.split("\n")[-2]
    assert signed_line == "accept;host;x-amz-date"
    assert "\naccept:a b\n" in canonical
    assert "x-amz-date:20150830T123600Z" in canonical
    assert "19990101" not in canonical
    assert list(added) == ["X-Amz-Date", "Authorization"]


def test_payload_options() -> None:
    canonical, added = _details(payload_hash="UNSIGNED-PAYLOAD", sign_payload=True)
    assert canonical.endswith("\nUNSIGNED-PAYLOAD")
    assert added["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert "x-amz-content-sha256:UNSIGNED-PAYLOAD" in canonical


def test_time_zones_and_str_body() -> None:
    eastern = timezone(timedelta(hours=-4))
    local = SUITE_TIME.astimezone(eastern)
    naive = SUITE_TIME.replace(tzinfo=None)
    results = {
        sign(
            "POST",
            "https://h/",
            {},
            body,
            credentials=AwsCredentials(KEY_ID, SECRET),
            region="r",
            service="s",
            now=now,
        )["Authorization"]
        for now in (SUITE_TIME, local, naive)
        for body in ("é", "é".encode())
    }
    assert len(results) == 1


def test_result_repr_hides_the_token() -> None:
    canary = "CANARY-TOKEN-0123456789"
    result = sign(
        "GET",
        "https://example.amazonaws.com/",
        {},
        credentials=AwsCredentials(KEY_ID, "CANARY-SECRET-9876543210", canary),
        region="us-east-1",
        service="bedrock",
    )
    assert canary in result.canonical_request
    assert result["X-Amz-Security-Token"] == canary
    assert "'X-Amz-Security-Token': '<redacted>'" in repr(result)
    assert canary not in repr(result) and canary not in str(result)
    assert "CANARY-SECRET" not in repr(result) + result.canonical_request + result.string_to_sign


# -- server-side verification over a real loopback connection ----------------------------

SECRETS = {"AKIDLOOPBACK": "loopback/secret+KEY"}
LOOP_CREDS = AwsCredentials("AKIDLOOPBACK", SECRETS["AKIDLOOPBACK"])
MODEL_PATH = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


def _ok(request: Request) -> Response:
    return json_response({"ok": True, "echo": request.target})


def _protected(server: LoopbackServer, method: str, path: str, **options: object) -> None:
    server.route(
        method,
        path,
        sigv4_required(_ok, secrets=SECRETS, region="us-east-1", **options),  # type: ignore[arg-type]
    )


def test_loopback_verifies_a_signed_bedrock_request(server: LoopbackServer) -> None:
    _protected(server, "POST", MODEL_PATH)
    request = httpx.Request(
        "POST",
        server.url + MODEL_PATH,
        content=BEDROCK_BODY,
        headers={"content-type": "application/json", "x-custom": "a   b"},
    )
    assert sign_request(request, LOOP_CREDS, "us-east-1") is request
    with httpx.Client() as client:
        response = client.send(request)
    assert response.status_code == 200, response.text
    assert response.json()["echo"] == MODEL_PATH
    seen = server.requests[-1]
    verdict = verify_request(seen, secrets=SECRETS, region="us-east-1", service="bedrock")
    assert verdict.ok
    assert "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n" in (
        verdict.canonical_request
    )
    # Everything that went on the wire is signed, apart from the documented exclusions.
    signed = seen.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    sent = {name.lower() for name, _ in seen.header_items}
    assert set(signed.split(";")) == sent - {"authorization", "user-agent", "connection"}
    assert {"content-type", "content-length", "x-custom", "x-amz-date"} <= sent


def test_loopback_query_and_session_token(server: LoopbackServer) -> None:
    token = "FwoGZXIvYXdzEXAMPLE//token+with/slashes=="
    _protected(server, "GET", "/foundation-models", service="bedrock", session_token=token)
    creds = AwsCredentials("AKIDLOOPBACK", SECRETS["AKIDLOOPBACK"], token)
    params = {"byProvider": "Anthropic", "byOutputModality": "TEXT", "q": "a b+c/é", "e": ""}
    request = httpx.Request("GET", server.url + "/foundation-models", params=params)
    sign_request(request, creds, "us-east-1")
    assert request.headers["x-amz-security-token"] == token
    with httpx.Client() as client:
        response = client.send(request)
    assert response.status_code == 200, response.text


def test_loopback_async_client(server: LoopbackServer) -> None:
    _protected(server, "POST", MODEL_PATH)

    async def run() -> int:
        request = httpx.Request("POST", server.url + MODEL_PATH, json={"messages": []})
        sign_request(request, LOOP_CREDS, "us-east-1")
        async with httpx.AsyncClient() as client:
            return (await client.send(request)).status_code

    assert asyncio.run(run()) == 200


OTHER_PATH = "/model/other-model-v1%3A0/converse"


@pytest.mark.parametrize(
    "damage", ["none", "body", "secret", "region", "header", "path", "query", "date", "token"]
)
def test_loopback_rejects_a_bad_signature(server: LoopbackServer, damage: str) -> None:
    for path in (MODEL_PATH, OTHER_PATH):
        _protected(server, "POST", path)
    creds = AwsCredentials("AKIDLOOPBACK", "another-secret") if damage == "secret" else LOOP_CREDS
    region = "us-west-2" if damage == "region" else "us-east-1"
    now = datetime.now(timezone.utc) - timedelta(hours=1) if damage == "date" else None
    url = server.url + MODEL_PATH + "?x=1"
    request = httpx.Request("POST", url, content=b'{"a":1}', headers={"x-custom": "1"})
    sign_request(request, creds, region, now=now)
    body = b'{"a":2}' if damage == "body" else b'{"a":1}'
    if damage == "path":
        url = server.url + OTHER_PATH + "?x=1"
    if damage == "query":
        url += "&y=2"
    headers = httpx.Headers(request.headers)
    if damage == "header":
        headers["x-custom"] = "2"
    if damage == "token":
        headers["x-amz-security-token"] = "unexpected"
    with httpx.Client() as client:
        response = client.send(httpx.Request("POST", url, content=body, headers=headers))
    if damage == "none":
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 403, damage
    assert response.headers["x-amzn-errortype"].startswith("InvalidSignatureException")


# The verifier plays a non-S3 endpoint: it normalizes paths and wants the token signed.
_VERIFIER_REJECTS = {
    "get-relative-relative-unnormalized",
    "get-relative-unnormalized",
    "get-slash-dot-slash-unnormalized",
    "get-slash-pointless-dot-unnormalized",
    "get-slash-unnormalized",
    "get-slashes-unnormalized",
    "post-sts-header-after",
}


@pytest.mark.parametrize("case", NEW_CASES, ids=lambda c: c.name)
def test_verifier_on_the_suite_signed_requests(case: Case) -> None:
    """The verifier accepts what the suite signed (and rejects the cases an endpoint would)."""
    signed = case.signed
    verdict = verify(
        signed.method,
        signed.target,
        signed.headers,
        signed.body,
        secrets={KEY_ID: SECRET},
        region="us-east-1",
        service="service",
        session_token=None if case.omit_session_token else case.credentials.session_token,
        now=SUITE_TIME,
    )
    assert verdict.ok == (case.name not in _VERIFIER_REJECTS), verdict.reason
    if verdict.ok:
        assert verdict.canonical_request == case.canonical_request


def test_concurrent_signing_is_independent() -> None:
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for _ in range(50):
                body = str(index).encode()
                result = sign(
                    "POST",
                    "https://h/p",
                    {},
                    body,
                    credentials=LOOP_CREDS,
                    region="r",
                    service="s",
                    now=SUITE_TIME,
                )
                assert result.canonical_request.endswith(hashlib.sha256(body).hexdigest())
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
