"""Vertex AI end to end, sync and async: Gemini and Anthropic models through one loopback server
that plays both the Google token endpoint (verifying every JWT grant's signature, counting the
exchanges) and Vertex (paths, bearer tokens, body shapes; exact transcript bytes in any
chunking), with its faults: an expired token (one refresh), 429 with Retry-After, 5xx, dropped
connections, mid-stream errors. The private key, the JWT and the access tokens never show."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import pytest
from client_helpers import FAST, Runner, mode, server  # noqa: F401
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_providers import TOOLS, transcript
from loopback import LoopbackServer, Request, Response, chunked, json_response
from vertex_play import (
    CLAUDE,
    GEMINI,
    KEY_PROJECT,
    SIGNATURE,
    SSE,
    VertexPlay,
    events_split,
    pem_of,
    write_key,
)

import fluent_ai
from fluent_ai import AsyncClient, Client, StreamDecoder, Timeout
from fluent_ai import errors as e
from fluent_ai.providers.adapters import adapter_for
from fluent_ai.providers.base import ChatParams
from fluent_ai.providers.registry import resolve
from fluent_ai.providers.vertex import DEFAULT_ANTHROPIC_VERSION

PROJECT = "fluent-tests"
LOCATION = "europe-west4"
QUESTION = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"}]
MODELS = {"google": f"vertex/{GEMINI}", "anthropic": f"vertex/{CLAUDE}"}
# family: (transcript, dialect, tool called, its arguments, text, answering model)
EXPECTED = {
    "google": (
        "gemini_text_and_function_call.txt",
        "gemini",
        "getWeather",
        {"location": "Tokyo"},
        "Let me look up the current weather in Tokyo for you.\n",
        "gemini-2.5-flash",
    ),
    "anthropic": (
        "anthropic_tool_use.txt",
        "anthropic",
        "get_weather",
        {"location": "Paris"},
        "I'll check the current weather in Paris for you.",
        "claude-sonnet-4-20250514",
    ),
}
ENV = ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS")


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*ENV, "FLUENT_AI_VERTEX_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def play(server: LoopbackServer, rsa_key: rsa.RSAPrivateKey) -> VertexPlay:
    server.reset()
    return VertexPlay(server, rsa_key, project=PROJECT, location=LOCATION)


@pytest.fixture
def key_file(tmp_path: Path, play: VertexPlay, rsa_key: rsa.RSAPrivateKey) -> Path:
    return write_key(tmp_path / "key.json", pem_of(rsa_key), play.endpoint.url)


def vertex(server: LoopbackServer, key_file: Path, **settings: Any) -> dict[str, Any]:
    base = {
        "base_url": server.url + "/v1",
        "project": PROJECT,
        "location": LOCATION,
        "credentials_file": str(key_file),
    }
    return {"vertex": {**base, **settings}}


def runner(mode: str, server: LoopbackServer, key_file: Path, **options: Any) -> Runner:
    return Runner(mode, providers=vertex(server, key_file), **options)


def expected_events(family: str) -> list[Any]:
    name, dialect = EXPECTED[family][:2]
    decoder = StreamDecoder(dialect)
    return [*decoder.feed(transcript(name)), *decoder.finish()]


def _no_id(event: Any) -> str:
    return re.sub(r"id='call_fai_\d+'", "id=?", repr(event))


# --- Streams and chat() ---------------------------------------------------------------------

SPLITS = {
    "events": events_split,
    "7 bytes": lambda data: chunked(data, 7),
    "one chunk": lambda data: [data],
}


@pytest.mark.parametrize("split", sorted(SPLITS))
@pytest.mark.parametrize("family", ["google", "anthropic"])
def test_streamed_chat_with_tools(
    play: VertexPlay, key_file: Path, mode: str, family: str, split: str
) -> None:
    name, _, tool, arguments, text, model = EXPECTED[family]
    play.streams[family] = SPLITS[split](transcript(name))
    run = runner(mode, play.server, key_file)
    result = run.stream(MODELS[family], QUESTION, tools=TOOLS)
    assert result.error is None, result.error
    # Gemini's calls come without ids: the decoder numbers them per process, so not compared.
    assert [_no_id(e) for e in result.events] == [_no_id(e) for e in expected_events(family)]
    assert result.text == text
    [call] = result.of("ToolCallDone")
    assert (call.name, call.arguments) == (tool, arguments)
    response = result.response
    assert response.finish_reason == "tool_calls"
    assert (response.provider, response.model) == ("vertex", model)
    assert response.usage is not None
    whole = run.chat(MODELS[family], QUESTION, tools=TOOLS)
    assert whole == response
    assert whole.usage == response.usage
    requests = play.requests()
    assert [r.path for r in requests] == [
        play.path(family, model_id, streaming)
        for model_id, streaming in ((MODELS[family][7:], True), (MODELS[family][7:], False))
    ]
    # One token per client: each client (a Runner makes one per call) exchanged one grant.
    assert play.endpoint.rejections == []
    assert play.tokens == play.endpoint.issued


HISTORY: list[dict[str, Any]] = [
    *QUESTION,
    {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {
                "id": "call_a",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
                "extra_content": {"google": {"thought_signature": SIGNATURE}},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_a", "content": '{"temp_c": 21}'},
]


def test_gemini_request_body(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    runner(mode, server, key_file).chat(MODELS["google"], HISTORY, tools=TOOLS, max_tokens=64)
    [request] = play.requests()
    body = request.json()
    assert request.headers["authorization"] == f"Bearer {play.endpoint.issued[0]}"
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "Checking."},
            {
                "functionCall": {
                    "name": "get_weather",
                    "args": {"location": "Paris"},
                    "id": "call_a",
                },
                "thoughtSignature": SIGNATURE,
            },
        ],
    }
    assert body["contents"][2]["parts"][0]["functionResponse"]["response"] == {"temp_c": 21}
    assert body["generationConfig"] == {"maxOutputTokens": 64}
    assert [d["name"] for d in body["tools"][0]["functionDeclarations"]] == ["get_weather"]


def test_anthropic_request_body(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    runner(mode, server, key_file).stream(MODELS["anthropic"], HISTORY, tools=TOOLS)
    [request] = play.requests()
    body = request.json()
    assert body["anthropic_version"] == DEFAULT_ANTHROPIC_VERSION == "vertex-2023-10-16"
    assert "model" not in body
    assert body["stream"] is True
    assert body["max_tokens"] == 4096
    assert body["system"] == "Be brief."
    assert body["messages"][1]["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {"location": "Paris"}},
    ]
    assert body["tools"][0]["input_schema"] == TOOLS[0]["function"]["parameters"]
    assert "anthropic-beta" not in request.headers


def test_anthropic_version_and_beta_settings(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    play.anthropic_version = "2026-10-21"
    settings = vertex(server, key_file, anthropic_version="2026-10-21", beta=["a-1", "b-2"])
    answer = Runner(mode, providers=settings).chat(MODELS["anthropic"], QUESTION)
    assert answer.tool_calls[0].name == "get_weather"
    [request] = play.requests()
    assert request.json()["anthropic_version"] == "2026-10-21"
    assert request.headers["anthropic-beta"] == "a-1,b-2"


@pytest.mark.parametrize("family", ["google", "anthropic"])
def test_multi_turn_tool_use(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str, family: str
) -> None:
    """The answer's ``message`` and a tool result make a next request the server accepts."""
    run = runner(mode, server, key_file)
    first = run.stream(MODELS[family], QUESTION, tools=TOOLS).response
    call = first.tool_calls[0]
    turn = [*QUESTION, first.message, {"role": "tool", "tool_call_id": call.id, "content": "21C"}]
    second = run.chat(MODELS[family], turn, tools=TOOLS)
    assert second.tool_calls  # the play answers every good request with its tool call
    sent = play.requests()[1].json()
    if family == "google":
        assert sent["contents"][-1]["parts"][0]["functionResponse"]["name"] == call.name
    else:
        assert sent["messages"][-1]["content"][0]["tool_use_id"] == call.id


# --- Tokens ----------------------------------------------------------------------------------


def _concurrently(
    mode: str, options: dict[str, Any], count: int, *, warm_up: Any = None
) -> list[Any]:
    """``count`` streams at once on one client, Gemini and Claude models in turn; with
    ``warm_up``, one call first and then ``warm_up()``, on the same client."""
    models = [MODELS["google" if i % 2 else "anthropic"] for i in range(count)]
    if mode == "sync":
        results: list[Any] = [None] * count
        with Client(**options) as client:
            if warm_up is not None:
                client.chat(MODELS["google"], QUESTION)
                warm_up()

            def run(index: int) -> None:
                try:
                    results[index] = client.stream(models[index], QUESTION).collect()
                except Exception as error:  # reported by the caller's assertion
                    results[index] = error

            threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        return results

    async def main() -> list[Any]:
        async with AsyncClient(**options) as client:
            if warm_up is not None:
                await client.chat(MODELS["google"], QUESTION)
                warm_up()
            streams = [client.stream(model, QUESTION).collect() for model in models]
            return list(await asyncio.gather(*streams, return_exceptions=True))

    return asyncio.run(main())


def test_concurrent_requests_share_one_token_exchange(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    play.endpoint.delay = 0.3  # every request arrives while the one exchange is under way
    options = {"providers": vertex(server, key_file), "retry": FAST}
    results = _concurrently(mode, options, 8)
    assert all(isinstance(r, fluent_ai.ChatResponse) for r in results), results
    assert play.endpoint.exchanges() == 1
    assert play.tokens == play.endpoint.issued * 8


@pytest.mark.parametrize("operation", ["stream", "chat"])
def test_expired_token_is_refreshed_once(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str, operation: str
) -> None:
    play.expire_next = 1
    run = runner(mode, server, key_file, max_retries=0)  # the refresh is not a retry
    if operation == "stream":
        result = run.stream(MODELS["google"], QUESTION, tools=TOOLS)
        assert result.error is None, result.error
        assert result.of("ToolCallDone")
    else:
        assert run.chat(MODELS["anthropic"], QUESTION).tool_calls
    first, second = play.endpoint.issued
    assert play.tokens == [first, second]
    assert play.endpoint.exchanges() == 2
    assert play.endpoint.rejections == []


def test_racing_401s_refresh_once(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    """Requests that all meet the same expired token cause one new exchange between them."""

    def expire() -> None:
        play.expired.add(play.endpoint.issued[0])
        play.endpoint.delay = 0.3
        play.tokens.clear()

    options = {"providers": vertex(server, key_file), "retry": FAST}
    results = _concurrently(mode, options, 6, warm_up=expire)
    assert all(isinstance(r, fluent_ai.ChatResponse) for r in results), results
    old, new = play.endpoint.issued
    assert play.tokens.count(old) >= 1  # a request signed after the refresh skips the 401
    assert play.tokens.count(new) == 6
    assert len(play.tokens) == play.tokens.count(old) + 6
    assert play.endpoint.exchanges() == 2


def test_rejected_twice_raises_authentication_error(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    play.expire_next = 10
    with pytest.raises(e.AuthenticationError, match="invalid authentication credentials") as info:
        runner(mode, server, key_file).chat(MODELS["google"], QUESTION)
    assert info.value.status_code == 401
    assert len(play.requests()) == 2  # the refused token, then one fresh one: no more
    assert play.endpoint.exchanges() == 2


def test_token_endpoint_failure_is_retried(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    server.fail("POST", "/token", status=503)
    assert runner(mode, server, key_file).chat(MODELS["anthropic"], QUESTION).tool_calls
    assert play.endpoint.exchanges() == 2
    assert len(play.requests()) == 1


def test_refused_key_is_an_authentication_error(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    server.fail("POST", "/token", status=400, body={"error": "invalid_grant"}, times=5)
    with pytest.raises(e.AuthenticationError, match="Google token request"):
        runner(mode, server, key_file).chat(MODELS["google"], QUESTION)
    assert play.endpoint.exchanges() == 1
    assert play.requests() == []


# --- Faults ----------------------------------------------------------------------------------


def _google_error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def test_429_waits_for_retry_after(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    path = play.path("google", GEMINI, True)
    error = _google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.")
    server.once("POST", path, json_response(error, 429, {"Retry-After": "1"}))
    result = runner(mode, server, key_file).stream(MODELS["google"], QUESTION)
    assert result.error is None, result.error
    assert result.times[0] - result.started >= 1.0  # FAST's own backoff is a few ms
    assert len(play.requests()) == 2
    assert play.endpoint.exchanges() == 1  # the token outlives the retry


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str, status: int
) -> None:
    path = play.path("anthropic", CLAUDE, True)
    server.once("POST", path, json_response(_google_error(status, "INTERNAL", "boom"), status))
    result = runner(mode, server, key_file).stream(MODELS["anthropic"], QUESTION)
    assert result.error is None, result.error
    assert len(play.requests()) == 2


def test_server_errors_past_the_retries_raise(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    path = play.path("google", GEMINI, False)
    error = json_response(_google_error(500, "INTERNAL", "Internal error encountered."), 500)
    server.once("POST", path, error, times=3)
    with pytest.raises(e.ServerError, match="Internal error encountered") as info:
        runner(mode, server, key_file).chat(MODELS["google"], QUESTION)
    assert info.value.provider == "vertex"
    assert len(play.requests()) == 3


def test_dropped_connection_before_the_answer_is_retried(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    server.disconnect("POST", play.path("google", GEMINI, True))
    result = runner(mode, server, key_file).stream(MODELS["google"], QUESTION)
    assert result.error is None, result.error
    assert len(play.requests()) == 2


@pytest.mark.parametrize("family", ["google", "anthropic"])
def test_disconnect_mid_stream_is_not_replayed(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str, family: str
) -> None:
    model = GEMINI if family == "google" else CLAUDE
    chunks = events_split(transcript(EXPECTED[family][0]))
    cut = Response(200, dict(SSE), chunks, disconnect_after=2 if family == "google" else 5)
    server.once("POST", play.path(family, model, True), cut)
    result = runner(mode, server, key_file).stream(MODELS[family], QUESTION)
    assert isinstance(result.error, e.StreamInterrupted)
    assert isinstance(result.error, e.ConnectionError)
    assert result.text and EXPECTED[family][4].startswith(result.text)
    assert result.error.partial_text == result.text
    assert len(play.requests()) == 1


def test_gemini_error_mid_stream(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    first = events_split(transcript("gemini_text_and_function_call.txt"))[0]
    error = b'data: {"error": {"code": 503, "message": "The model is overloaded.", '
    error += b'"status": "UNAVAILABLE"}}\r\n\r\n'
    play.streams["google"] = [first, error]
    result = runner(mode, server, key_file).stream(MODELS["google"], QUESTION)
    names = [type(e).__name__ for e in result.events]
    assert names == ["TextDelta", "Usage", "ProviderErrorEvent", "Finish"]
    assert isinstance(result.error, e.StreamInterrupted)
    assert isinstance(result.error, e.ServerError)
    assert "overloaded" in str(result.error)
    assert result.error.partial_text == "Let me look up the current weather"
    assert len(play.requests()) == 1


def test_anthropic_error_mid_stream(
    server: LoopbackServer, play: VertexPlay, key_file: Path, mode: str
) -> None:
    play.streams["anthropic"] = events_split(transcript("anthropic_error_overloaded.txt"))
    result = runner(mode, server, key_file).stream(MODELS["anthropic"], QUESTION)
    assert isinstance(result.error, e.StreamInterrupted)
    assert isinstance(result.error, e.ServerError)
    assert result.error.partial_text == "Hey! What"
    assert result.of("ProviderErrorEvent")[0].type == "overloaded_error"
    assert len(play.requests()) == 1


# --- Settings --------------------------------------------------------------------------------


def test_project_from_the_key_file_and_default_location(
    server: LoopbackServer, rsa_key: rsa.RSAPrivateKey, tmp_path: Path, mode: str
) -> None:
    server.reset()
    play = VertexPlay(server, rsa_key, project=KEY_PROJECT, location="us-central1")
    key_file = write_key(tmp_path / "key.json", pem_of(rsa_key), play.endpoint.url)
    settings = {"base_url": server.url + "/v1", "credentials_file": str(key_file)}
    answer = Runner(mode, providers={"vertex": settings}).chat(MODELS["google"], QUESTION)
    assert answer.tool_calls[0].name == "getWeather"
    assert len(play.requests()) == 1


def test_project_location_key_and_base_url_from_the_environment(
    server: LoopbackServer,
    rsa_key: rsa.RSAPrivateKey,
    tmp_path: Path,
    mode: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.reset()
    play = VertexPlay(server, rsa_key, project="env-project", location="asia-northeast1")
    key_file = write_key(tmp_path / "key.json", pem_of(rsa_key), play.endpoint.url)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "asia-northeast1")
    monkeypatch.setenv("FLUENT_AI_VERTEX_BASE_URL", server.url + "/v1")
    result = Runner(mode).stream(MODELS["anthropic"], QUESTION)
    assert result.error is None, result.error
    assert len(play.requests()) == 1


def test_an_access_token_fetched_elsewhere(
    server: LoopbackServer, play: VertexPlay, mode: str
) -> None:
    play.accepted.add("ya29.from-gcloud")
    settings = {
        "base_url": server.url + "/v1",
        "project": PROJECT,
        "location": LOCATION,
        "access_token": "ya29.from-gcloud",
        "quota_project": "billing-project",
    }
    assert Runner(mode, providers={"vertex": settings}).chat(MODELS["google"], QUESTION)
    [request] = play.requests()
    assert request.headers["x-goog-user-project"] == "billing-project"
    assert play.endpoint.exchanges() == 0


def _url(settings: dict[str, str], model: str, *, stream: bool = True) -> str:
    adapter = adapter_for(resolve("vertex", {"vertex": {"access_token": "t", **settings}}))
    params = ChatParams(model=model, messages=QUESTION, stream=stream)
    return adapter.for_model(model).chat_request(params).url


def test_hosts_and_paths() -> None:
    assert _url({"project": "p", "location": "global"}, "gemini-2.5-pro") == (
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global"
        "/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert _url({"project": "p", "location": "us-east5"}, CLAUDE, stream=False) == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5"
        f"/publishers/anthropic/models/{CLAUDE}:rawPredict"
    )
    assert _url({"project": "p", "location": "eu"}, "anthropic/m").startswith(
        "https://aiplatform.eu.rep.googleapis.com/v1/projects/p/locations/eu"
        "/publishers/anthropic/models/m:"
    )
    assert "/publishers/google/models/gemma-3:" in _url({"project": "p"}, "google/gemma-3")


def test_configuration_errors(mode: str) -> None:
    with pytest.raises(e.ConfigurationError, match="vertex/claude"):
        _url({"project": "p"}, "llama-4")
    with pytest.raises(e.ConfigurationError, match="GOOGLE_CLOUD_PROJECT"):
        _url({}, GEMINI)
    # No key file anywhere: the error says where one is looked for.
    settings = {"vertex": {"project": "p", "base_url": "http://127.0.0.1:9/v1"}}
    with pytest.raises(e.ConfigurationError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        Runner(mode, providers=settings).chat(MODELS["google"], QUESTION)
    settings["vertex"]["access_token"] = "t"
    with pytest.raises(e.ConfigurationError, match="embeddings"):
        Runner(mode, providers=settings).call("embed", "vertex/text-embedding-005", ["a"])


# --- Secrets ---------------------------------------------------------------------------------


def _everything(value: Any) -> str:
    texts = [str(value), repr(value)]
    if isinstance(value, BaseException):
        texts += traceback.format_exception(type(value), value, value.__traceback__)
        link: BaseException | None = value
        while link is not None:
            texts += [repr(link.args), repr(getattr(link, "__dict__", ""))]
            link = link.__cause__ or link.__context__
    return "\n".join(texts)


def _echo(status: int) -> Any:
    def answer(request: Request) -> Response:
        said = f"token {request.headers.get('authorization')} is not valid here"
        return json_response(_google_error(status, "UNAUTHENTICATED", said), status)

    return answer


def _echo_mid_stream(request: Request) -> Response:
    first = events_split(transcript("gemini_text_and_function_call.txt"))[0]
    said = f"bad {request.headers.get('authorization')}"
    error = b'data: {"error": {"code": 400, "message": "' + said.encode() + b'"}}\r\n\r\n'
    return Response(200, dict(SSE), [first, error])


def test_credentials_never_show(
    play: VertexPlay,
    key_file: Path,
    rsa_key: rsa.RSAPrivateKey,
    mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    metrics = fluent_ai.Metrics()
    options = {
        "providers": vertex(play.server, key_file),
        "metrics": metrics,
        "retry": FAST,
        "timeout": Timeout(total=10),
    }
    stream_path = play.path("google", GEMINI, True)
    setups = [
        lambda: None,  # a success first
        lambda: play.server.once("POST", stream_path, _echo(401), times=2),  # refresh, then 401
        lambda: play.server.once("POST", stream_path, _echo(400)),
        lambda: play.server.once("POST", stream_path, _echo_mid_stream),
    ]
    shown: list[str] = []
    if mode == "sync":
        with Client(**options) as client:
            shown += [repr(client), repr(client.resolve_provider("vertex"))]
            shown += [repr(part) for part in client._settings.provider("vertex")]
            for setup in setups:
                setup()
                try:
                    with client.stream(MODELS["google"], QUESTION) as stream:
                        shown += [repr(event) for event in stream]
                        shown.append(repr(stream.response))
                except Exception as error:
                    shown.append(_everything(error))
            shown.append(repr(client.chat(MODELS["anthropic"], QUESTION)))
    else:

        async def main() -> None:
            async with AsyncClient(**options) as client:
                shown.append(repr(client._settings.provider("vertex")))
                for setup in setups:
                    setup()
                    try:
                        async with client.stream(MODELS["google"], QUESTION) as stream:
                            shown.extend([repr(event) async for event in stream])
                    except Exception as error:
                        shown.append(_everything(error))
                shown.append(repr(await client.chat(MODELS["anthropic"], QUESTION)))

        asyncio.run(main())
    shown += [metrics.prometheus(), repr(metrics.snapshot()), fluent_ai.metrics.prometheus()]
    shown += [record.getMessage() for record in caplog.records]
    shown += [repr(vars(record)) for record in caplog.records]
    pem = pem_of(rsa_key)
    secrets = [
        *play.endpoint.issued,
        *play.endpoint.assertions,
        pem,
        pem.splitlines()[len(pem.splitlines()) // 2],
    ]
    assert len(play.endpoint.issued) >= 2 and play.endpoint.assertions
    leaks = [
        (s[:12], t[max(0, t.find(s) - 300) : t.find(s) + 50])
        for s in secrets
        for t in shown
        if s in t
    ]
    assert not leaks, leaks[:3]
    assert sum("[REDACTED]" in text for text in shown) >= 3  # echoed, then redacted


def test_tokens_serve_both_families_for_a_while(
    server: LoopbackServer, play: VertexPlay, key_file: Path
) -> None:
    """One client, many calls over time: one exchange while the token is fresh."""
    with Client(providers=vertex(play.server, key_file), retry=FAST) as client:
        for family in ("google", "anthropic", "google", "anthropic"):
            assert client.chat(MODELS[family], QUESTION).tool_calls
            time.sleep(0.01)
    assert play.endpoint.exchanges() == 1
