"""Record and replay (fluent_ai.recording): record sessions against a real loopback server,
stop the server, replay them, and compare what the caller sees; canary keys in headers, query
strings, bodies and error bodies must never reach a cassette."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fake_providers import frames, transcript
from loopback import LoopbackServer, Response, json_response

import fluent_ai
from fluent_ai import AsyncClient, Client, RetryPolicy, Timeout
from fluent_ai._http import httpx
from fluent_ai.errors import (
    APIError,
    AuthenticationError,
    CassetteError,
    InvalidArgumentError,
    UnrecordedRequestError,
)
from fluent_ai.recording import Cassette, RecordingTransport, ReplayTransport
from fluent_ai.recording._redact import Secrets

KEY = "sk-canary-rec-5e1d9a7c3b"
OTHER_KEY = "sk-another-key-0000000000"
BODY_CANARY = "body-canary-a8c3e1f0d2"
ENV_CANARY = "env-canary-4b7f2c9d1e"
QUERY_CANARY = "query-canary-99c1d3/+x"
TOKEN_CANARY = "ya29.token-canary-77aa"
CANARIES = (KEY, BODY_CANARY, ENV_CANARY, QUERY_CANARY, TOKEN_CANARY)

SSE = {"content-type": "text/event-stream"}
FAST = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.002)
MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]

WHOLE = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-x",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Sunny, 21C."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
}


def _providers(url: str, key: str) -> dict[str, Any]:
    return {
        "mine": {"base_url": url + "/v1", "api_key": key, "dialect": "openai-chat"},
        "anth": {"base_url": url, "api_key": key, "dialect": "anthropic"},
        "gem": {"base_url": url + "/v1beta", "api_key": key, "dialect": "gemini"},
    }


def _serve(server: LoopbackServer) -> None:
    """Routes for the session: streams split per event, a whole answer, errors echoing the
    key, a stream cut off after three chunks and a 500 before a success (a retry)."""
    openai = frames(transcript("openai_chat_parallel_tool_calls.txt"))
    anthropic = frames(transcript("anthropic_tool_use.txt"))
    gemini = frames(transcript("gemini_text_and_function_call.txt"))

    def chat(request: Any) -> Response:
        body = request.json()
        if body["messages"][-1]["content"] == "cut":
            return Response(200, SSE, openai, disconnect_after=3)
        if body["messages"][-1]["content"] == "bad key":
            # Providers echo the key they refused (OpenAI: "Incorrect API key provided").
            message = f"Incorrect API key provided: {request.headers['authorization'][7:]}"
            return json_response({"error": {"message": message, "type": "auth"}}, 401)
        if body.get("stream"):
            return Response(200, SSE, openai)
        return json_response(WHOLE, headers={"x-request-id": "req-1", "set-cookie": "s=abc"})

    server.route("POST", "/v1/chat/completions", chat)
    server.route("POST", "/v1/messages", Response(200, SSE, anthropic))
    # The Anthropic stream fails once (500, then a dropped connection) and is retried: the
    # cassette holds all three attempts under one match key, replayed in that order.
    server.fail("POST", "/v1/messages", status=500)
    server.disconnect("POST", "/v1/messages")
    server.route(
        "POST",
        "/v1beta/models/gem-pro:streamGenerateContent",
        Response(200, SSE, gemini),
    )


def _session(client_kind: str, providers: dict[str, Any], **options: Any) -> list[Any]:
    """One agent session: what each call gave (events, responses, error summaries)."""
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("stream", "mine/gpt-x", {}),
        ("chat", "mine/gpt-x", {"extra_body": {"api_key": BODY_CANARY, "note": ENV_CANARY}}),
        ("stream", "anth/claude-x", {"max_tokens": 100}),
        ("stream", "gem/gem-pro", {}),
        ("chat_bad", "mine/gpt-x", {}),
        ("stream_cut", "mine/gpt-x", {}),
        ("chat", "mine/gpt-x", {}),  # the same request again: answered in recorded order
    ]
    settings = dict(providers=providers, retry=FAST, timeout=Timeout(connect=2, total=10))
    settings.update(options)

    def summary(error: BaseException) -> tuple[Any, ...]:
        return (type(error).__name__, getattr(error, "status_code", None))

    if client_kind == "sync":
        out: list[Any] = []
        with Client(**settings) as client:
            for kind, model, kw in calls:
                messages = MESSAGES
                if kind == "chat_bad":
                    messages = [{"role": "user", "content": "bad key"}]
                if kind == "stream_cut":
                    messages = [{"role": "user", "content": "cut"}]
                try:
                    if kind.startswith("stream"):
                        events: list[Any] = []
                        with client.stream(model, messages, **kw) as stream:
                            try:
                                for event in stream:
                                    events.append(event)
                            except APIError as error:
                                out.append(("events", events, summary(error)))
                                continue
                        out.append(("events", events, stream.response))
                    else:
                        out.append(("chat", client.chat(model, messages, **kw)))
                except APIError as error:
                    out.append(("error", summary(error)))
        return out

    async def run() -> list[Any]:
        out: list[Any] = []
        async with AsyncClient(**settings) as client:
            for kind, model, kw in calls:
                messages = MESSAGES
                if kind == "chat_bad":
                    messages = [{"role": "user", "content": "bad key"}]
                if kind == "stream_cut":
                    messages = [{"role": "user", "content": "cut"}]
                try:
                    if kind.startswith("stream"):
                        events: list[Any] = []
                        async with client.stream(model, messages, **kw) as stream:
                            try:
                                async for event in stream:
                                    events.append(event)
                            except APIError as error:
                                out.append(("events", events, summary(error)))
                                continue
                        out.append(("events", events, stream.response))
                    else:
                        out.append(("chat", await client.chat(model, messages, **kw)))
                except APIError as error:
                    out.append(("error", summary(error)))
        return out

    return asyncio.run(run())


def _plain(session: list[Any]) -> list[Any]:
    """A session with the call ids the decoder makes up (``call_fai_<n>``, a counter of the
    process) made equal; everything else compared as is."""
    out = []
    for item in session:
        if item[0] == "events":
            events = [json.dumps(event.to_dict(), sort_keys=True) for event in item[1]]
            events = [re.sub(r"call_fai_[0-9]+", "call_fai_N", event) for event in events]
            out.append(("events", events, item[2]))
        else:
            out.append(item)
    return out


def _all_bytes(directory: Path) -> bytes:
    """Every byte of the cassette files, plus the decoded base64 pieces in them."""
    found = bytearray()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += data
            for exchange in Cassette(path.parent).exchanges():
                body = b"".join(chunk for _, chunk in exchange.chunks)
                found += body
                if ("content-encoding", "gzip") in exchange.headers:
                    found += gzip.decompress(body)
    return bytes(found)


def _assert_no_canary(directory: Path) -> None:
    data = _all_bytes(directory)
    for canary in CANARIES:
        for form in {canary, canary.replace("/", "%2F").replace("+", "%2B")}:
            assert form.encode() not in data, f"{form!r} was written to the cassette"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_recorded_session_replays_the_same_without_the_server(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", ENV_CANARY)
    cassette = tmp_path / "session"
    with LoopbackServer() as server:
        _serve(server)
        url = server.url
        recorded = _session(kind, _providers(url, KEY), record=str(cassette))
        requests_seen = len(server.requests)
    # The server is gone: only the cassette can answer, with another key.
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=1)
    replayed = _session(kind, _providers(url, OTHER_KEY), replay=cassette)
    assert _plain(replayed) == _plain(recorded)
    # Every answer really came: the streams had their events, the error its class.
    assert [len(item[1]) for item in recorded if item[0] == "events"][:3] == [26, 12, 5] or all(
        item[1] for item in recorded if item[0] == "events"
    )
    assert ("error", ("AuthenticationError", 401)) in recorded
    cut = recorded[5]
    assert cut[2][0].startswith("StreamInterrupted") and 0 < len(cut[1]) < len(recorded[0][1])
    exchanges = Cassette(cassette).exchanges()
    assert len(exchanges) == requests_seen
    attempts = [e for e in exchanges if e.request["url"].endswith("/v1/messages")]
    assert [e.status for e in attempts] == [500, None, 200]  # None: no response, an error
    assert attempts[1].error is not None and attempts[1].error["type"] == "RemoteProtocolError"
    _assert_no_canary(cassette)
    # Moved to another host (another port): the match rule ignores it.
    moved = _session(kind, _providers("http://127.0.0.1:9", OTHER_KEY), replay=cassette)
    assert _plain(moved) == _plain(recorded)


def test_a_request_not_recorded_raises_a_clear_error(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        server.route("POST", "/v1/chat/completions", json_response(WHOLE))
        with Client(providers=_providers(server.url, KEY), record=tmp_path) as client:
            first = client.chat("mine/gpt-x", MESSAGES)
    with Client(providers=_providers(server.url, KEY), replay=tmp_path) as client:
        assert client.chat("mine/gpt-x", MESSAGES) == first
        # Served once, as recorded: a second identical request is not in the cassette.
        with pytest.raises(UnrecordedRequestError, match="recorded 1 time") as again:
            client.chat("mine/gpt-x", MESSAGES)
        assert again.value.request.startswith("POST /v1/chat/completions sha256:")
        with pytest.raises(UnrecordedRequestError, match="other bodies") as other:
            client.chat("mine/gpt-x", [{"role": "user", "content": "something else"}])
        assert other.value.cassette == str(tmp_path)
    nowhere = tmp_path / "nope"
    with (
        Client(providers=_providers(server.url, KEY), replay=nowhere) as client,
        pytest.raises(UnrecordedRequestError, match="does not exist"),
    ):
        client.chat("mine/gpt-x", MESSAGES)


def test_the_rule_matches_on_method_path_query_and_canonical_body(tmp_path: Path) -> None:
    """Key order and spacing of a JSON body, the host and credentials do not matter; the
    path, a query parameter and a body value do."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"path": request.url.path})

    record = httpx.Client(transport=RecordingTransport(tmp_path, httpx.MockTransport(answer)))
    record.post("http://a.test/x?alt=sse&key=" + QUERY_CANARY, content=b'{"a": 1, "b": [2]}')
    record.post("http://a.test/y", content=b"plain text")
    record.close()
    replay = httpx.Client(transport=ReplayTransport(tmp_path))
    for method, url, body in [
        ("POST", "http://b.test/x?alt=json", b'{"a":1,"b":[2]}'),
        ("POST", "http://b.test/z", b'{"a":1,"b":[2]}'),
        ("POST", "http://b.test/x?alt=sse", b'{"a":2,"b":[2]}'),
        ("PUT", "http://b.test/y", b"plain text"),
        ("POST", "http://b.test/y/z", b"plain text"),
    ]:
        with pytest.raises(UnrecordedRequestError):
            replay.request(method, url, content=body)
    got = replay.post("http://b.test/x?key=zzzzzzzz&alt=sse", content=b'{"b":[2],"a":1}')
    assert got.json() == {"path": "/x"}
    assert replay.post("http://b.test/y", content=b"plain text").json() == {"path": "/y"}
    _assert_no_canary(tmp_path)
    text = (tmp_path / "0001.json").read_text()
    assert "alt=sse" in text and "key=%3Credacted%3E" in text


def test_credentials_are_removed_everywhere_even_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_API_KEY", ENV_CANARY)
    echoed = f'data: {{"key": "{KEY}", "env": "{ENV_CANARY}"}}\n\n'.encode()
    pieces = [echoed[:20], echoed[20:31], echoed[31:60], echoed[60:]]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": TOKEN_CANARY, "expires_in": 3599})
        if request.url.path == "/gz-clean":
            return httpx.Response(200, json={"fine": True})
        return httpx.Response(200, headers=SSE, stream=httpx.ByteStream(b"".join(pieces)))

    class Chunked(httpx.MockTransport):
        """The SSE body arrives in four reads, as from a socket."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/sse":
                request.read()
                return httpx.Response(200, headers=SSE, stream=_Pieces(pieces))
            if request.url.path.startswith("/gz"):  # compressed, as read from the socket
                request.read()
                text = f"bad key {KEY}" if request.url.path == "/gz" else "nothing secret"
                data = gzip.compress(json.dumps({"error": text}).encode())
                headers = {"content-encoding": "gzip", "content-type": "application/json"}
                return httpx.Response(401, headers=headers, stream=_Pieces([data[:9], data[9:]]))
            return super().handle_request(request)

    client = httpx.Client(transport=RecordingTransport(tmp_path, Chunked(answer)))
    headers = {"x-api-key": KEY, "x-goog-api-key": KEY, "cookie": "sid=" + BODY_CANARY}
    with client.stream("POST", "http://p.test/sse", headers=headers, json={}) as response:
        got = list(response.iter_raw())
    assert got == pieces
    form = {"grant_type": "jwt", "assertion": BODY_CANARY + "-jwt-assertion"}
    assert client.post("http://p.test/token", data=form).json()["access_token"] == TOKEN_CANARY
    assert client.post("http://p.test/gz", json={"password": BODY_CANARY}).status_code == 401
    clean = client.post("http://p.test/gz-clean", json={})
    assert clean.json() == {"error": "nothing secret"}
    short = client.post("http://p.test/sse", headers={"api-key": "k5x9z"}, content=b"short")
    # A credential learned from the body is removed from the URL summarized before it.
    client.post(f"http://p.test/echo/{BODY_CANARY}", json={"api_key": BODY_CANARY})
    client.post(f"http://user:{quote(QUERY_CANARY, safe='')}@p.test/sse", content=b"x")
    client.close()
    _assert_no_canary(tmp_path)
    # The stream's other bytes and its piece count are kept; the secret became <redacted>.
    replay = httpx.Client(transport=ReplayTransport(tmp_path))
    with replay.stream("POST", "http://p.test/sse", headers=headers, json={}) as response:
        replayed = list(response.iter_raw())
    # A boundary inside a secret moves to the end of its replacement.
    assert replayed == [b'data: {"key": "<redacted>', b'", "env": "<redacted>', b'"}\n\n']
    # Form fields named like a credential are redacted in the request, so the replay matches
    # whatever assertion it signs.
    other = {"grant_type": "jwt", "assertion": "another-assertion"}
    assert replay.post("http://p.test/token", data=other).json()["access_token"] == "<redacted>"
    # A compressed error body that echoed the key was stored decoded and scrubbed... or kept
    # compressed when it held nothing: either way the replay decodes to the scrubbed text.
    gz = replay.post("http://p.test/gz", json={"password": "x"})
    assert gz.status_code == 401 and gz.json() == {"error": "bad key <redacted>"}
    exchanges = {e.request["url"]: e for e in Cassette(tmp_path).exchanges()}
    assert ("content-encoding", "gzip") not in exchanges["http://p.test/gz"].headers
    # Compressed bytes that hide nothing are kept as they came, compressed.
    kept = exchanges["http://p.test/gz-clean"]
    assert ("content-encoding", "gzip") in kept.headers and len(kept.chunks) == 2
    assert replay.post("http://p.test/gz-clean", json={}).json() == {"error": "nothing secret"}
    # A credential header is redacted by its name, however short its value.
    assert short.status_code == 200
    (short_exchange,) = [e for e in exchanges.values() if e.request["body"] == {"text": "short"}]
    assert short_exchange.request["headers"]["api-key"] == "<redacted>"


class _Pieces(httpx.SyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Any:
        yield from self._pieces


def test_transport_failures_are_recorded_and_replayed(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        url = server.url
    # Nothing listens: the connection is refused, and the retries are recorded too.
    providers = _providers(url, KEY)
    settings: dict[str, Any] = dict(providers=providers, retry=FAST)
    with Client(**settings, record=tmp_path) as client, pytest.raises(APIError) as live:
        client.chat("mine/gpt-x", MESSAGES)
    with Client(**settings, replay=tmp_path) as client, pytest.raises(APIError) as replayed:
        client.chat("mine/gpt-x", MESSAGES)
    assert type(replayed.value) is type(live.value)
    assert len(Cassette(tmp_path).exchanges()) == 3  # the first attempt and two retries


def test_recorded_timing_is_kept_and_can_be_replayed(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        data = frames(transcript("openai_chat_text.txt"))
        server.route("POST", "/v1/chat/completions", Response(200, SSE, data, pauses={2: 0.2}))
        with (
            Client(providers=_providers(server.url, KEY), record=tmp_path) as client,
            client.stream("mine/gpt-x", MESSAGES) as stream,
        ):
            live = list(stream)
    (exchange,) = Cassette(tmp_path).exchanges()
    times = [at for at, _ in exchange.chunks]
    assert times == sorted(times) and times[2] - times[1] >= 0.15
    timed = Cassette(tmp_path, timing="recorded")
    with Client(providers=_providers(server.url, KEY), replay=timed) as client:
        started = time.monotonic()
        with client.stream("mine/gpt-x", MESSAGES) as stream:
            assert list(stream) == live
        assert time.monotonic() - started >= 0.15


def test_bad_arguments_and_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="record and replay"):
        Client(record=tmp_path, replay=tmp_path)
    with pytest.raises(InvalidArgumentError, match="http_client"):
        Client(http_client=httpx.Client(), replay=tmp_path)
    with pytest.raises(fluent_ai.errors.ArgumentTypeError, match="replay"):
        AsyncClient(replay=42)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="timing"):
        Cassette(tmp_path, timing="fast")
    (tmp_path / "0001.json").write_text("{not json")
    with (
        Client(providers=_providers("http://127.0.0.1:9", KEY), replay=tmp_path) as client,
        pytest.raises(CassetteError, match=r"0001\.json"),
    ):
        client.chat("mine/gpt-x", MESSAGES)


def test_recording_from_two_clients_at_once_loses_nothing(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=request.content)

    clients = [
        httpx.Client(transport=RecordingTransport(tmp_path, httpx.MockTransport(answer)))
        for _ in range(2)
    ]
    for number in range(10):
        clients[number % 2].post("http://a.test/", content=str(number).encode())
    assert sorted(e.request["body"]["text"] for e in Cassette(tmp_path).exchanges()) == sorted(
        str(n) for n in range(10)
    )


PLUGIN_TEST = textwrap.dedent(
    """
    import os
    import fluent_ai

    def test_weather(fluent_ai_cassette):
        providers = {"mine": {"base_url": os.environ["LOOPBACK"] + "/v1",
                              "dialect": "openai-chat", "api_key": os.environ["MY_KEY"]}}
        with fluent_ai_cassette.client(providers=providers) as client:
            with client.stream("mine/gpt-x", [{"role": "user", "content": QUESTION}]) as stream:
                text = "".join(getattr(e, "text", "") for e in stream)
        assert text.startswith("I'm unable to provide real-time weather")
        assert os.environ["OPENAI_API_KEY"] == (
            "fluent-ai-replay" if not fluent_ai_cassette.recording else os.environ["REAL"])
    """
)


def test_the_pytest_plugin_records_when_asked_and_replays_otherwise(tmp_path: Path) -> None:
    (tmp_path / "test_agent.py").write_text(PLUGIN_TEST.replace("QUESTION", '"Hi"'))
    env = {
        **os.environ,
        "MY_KEY": KEY,
        "PYTHONPATH": os.pathsep.join([str(Path(fluent_ai.__file__).parents[1])]),
    }
    env.pop("OPENAI_API_KEY", None)
    command = [sys.executable, "-m", "pytest", "-p", "fluent_ai.testing", "-p", "no:cacheprovider"]
    command += ["-q", "-W", "error", str(tmp_path)]

    def run(*extra: str, **more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *extra],
            env={**env, **more},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    with LoopbackServer() as server:
        data = frames(transcript("openai_chat_text.txt"))
        server.route("POST", "/v1/chat/completions", Response(200, SSE, data))
        url = server.url
        recorded = run("--fluent-ai-record", LOOPBACK=url, OPENAI_API_KEY=KEY, REAL=KEY)
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    cassette = tmp_path / "cassettes" / "test_agent" / "test_weather"
    assert (cassette / "0001.json").is_file()
    _assert_no_canary(tmp_path / "cassettes")
    replayed = run(LOOPBACK=url)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    # A changed request is not in the cassette: the test fails, naming the cause.
    (tmp_path / "test_agent.py").write_text(PLUGIN_TEST.replace("QUESTION", '"Bye"'))
    changed = run(LOOPBACK=url)
    assert changed.returncode == 1
    assert "UnrecordedRequestError" in changed.stdout and "--fluent-ai-record" in changed.stdout


def test_replayed_errors_keep_their_class_through_the_client(tmp_path: Path) -> None:
    """An error status replays as the same typed error (the mapping runs on replay)."""
    with LoopbackServer() as server:
        body = {"error": {"message": "bad", "type": "authentication_error"}}
        server.route("POST", "/v1/chat/completions", json_response(body, 401))
        with (
            Client(providers=_providers(server.url, KEY), record=tmp_path) as client,
            pytest.raises(AuthenticationError),
        ):
            client.chat("mine/gpt-x", MESSAGES)
    with (
        Client(providers=_providers(server.url, KEY), replay=tmp_path) as client,
        pytest.raises(AuthenticationError),
    ):
        client.chat("mine/gpt-x", MESSAGES)
    exchange = Cassette(tmp_path).exchanges()[0]
    assert json.loads(b"".join(c for _, c in exchange.chunks)) == body
    assert base64  # (the module is used for the fixture's decoding above)


def test_every_split_of_a_body_keeps_its_other_bytes_and_boundaries() -> None:
    """A boundary before a secret stays, one after it shifts by the length difference, one
    inside it moves to the end of the replacement; the joined bytes are the scrubbed body."""
    data = f"ab{KEY}cd{KEY}{ENV_CANARY}e".encode()
    secrets = Secrets([KEY, ENV_CANARY])
    marker = b"<redacted>"
    spans = []
    start = 0
    for value in (KEY, KEY, ENV_CANARY):
        start = data.index(value.encode(), start)
        spans.append((start, start + len(value)))
        start += len(value)
    scrubbed = data
    for value in (KEY, ENV_CANARY):
        scrubbed = scrubbed.replace(value.encode(), marker)

    def moved(bound: int) -> int:
        shift = 0
        for begin, end in spans:
            if bound <= begin:
                break
            if bound < end:
                return begin + shift + len(marker)
            shift += len(marker) - (end - begin)
        return bound + shift

    for cut in range(1, len(data)):
        got = secrets.chunks([data[:cut], data[cut:]])
        assert b"".join(got) == scrubbed
        expected = [piece for piece in (scrubbed[: moved(cut)], scrubbed[moved(cut) :]) if piece]
        assert got == expected, cut


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_replayed_pauses_meet_the_clients_timeouts_as_live_ones_did(
    kind: str, tmp_path: Path
) -> None:
    """A recorded 0.6 s pause replayed with timing="recorded" trips an idle limit of 0.2 s,
    as the live stream does; without the limit the replay gives every event."""
    data = frames(transcript("openai_chat_text.txt"))
    strict = Timeout(connect=2, idle=0.2, total=10)

    def run(**options: Any) -> tuple[list[Any], str | None]:
        settings = dict(providers=_providers(url, KEY), retry=FAST, **options)
        if kind == "sync":
            events: list[Any] = []
            with Client(**settings) as client:
                try:
                    with client.stream("mine/gpt-x", MESSAGES) as stream:
                        events.extend(stream)
                except APIError as error:
                    return events, type(error).__name__
            return events, None

        async def go() -> tuple[list[Any], str | None]:
            events: list[Any] = []
            async with AsyncClient(**settings) as client:
                try:
                    async with client.stream("mine/gpt-x", MESSAGES) as stream:
                        async for event in stream:
                            events.append(event)
                except APIError as error:
                    return events, type(error).__name__
            return events, None

        return asyncio.run(go())

    with LoopbackServer() as server:
        server.route("POST", "/v1/chat/completions", Response(200, SSE, data, pauses={3: 0.6}))
        url = server.url
        whole, problem = run(record=tmp_path)
        assert problem is None
        live_events, live_problem = run(timeout=strict)
    assert live_problem is not None and "Timeout" in live_problem
    timed = Cassette(tmp_path, timing="recorded")
    events, replay_problem = run(replay=timed, timeout=strict)
    assert replay_problem == live_problem and events == live_events
    assert run(replay=Cassette(tmp_path, timing="recorded"))[0] == whole
