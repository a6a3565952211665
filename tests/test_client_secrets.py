"""The canary key never leaves the request headers: every provider the clients speak is run
with it, through successes and every kind of failure (including servers that echo the key
back), and repr, str, exceptions (whole chains and tracebacks), log records at every level
and the metrics are searched for it."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from bedrock_play import CHAT_PATH, STREAM_PATH, messages_of
from bedrock_play import MODEL as BEDROCK_MODEL
from bedrock_play import SECRET as AWS_SECRET
from bedrock_play import TOKEN as SESSION_TOKEN
from bedrock_play import overrides as bedrock_overrides
from bedrock_play import play as bedrock_play
from bedrock_play import transcript as bedrock_transcript
from client_helpers import FAST, server  # noqa: F401
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_providers import (
    ANTHROPIC_TOOLS_WHOLE,
    KEY,
    OPENAI_TOOLS_WHOLE,
    TOOLS,
    frames,
    sse_json,
    transcript,
)
from loopback import LoopbackServer, Response, chunked, json_response
from vertex_play import GEMINI, SSE, VertexPlay, pem_of, write_key

import fluent_ai
from fluent_ai import AsyncClient, Client, Timeout
from fluent_ai._http import httpx
from fluent_ai.providers.base import ChatParams
from fluent_ai.providers.registry import PROVIDERS

MESSAGES = [{"role": "user", "content": "Hi"}]
ECHO = f"Incorrect API key provided: {KEY}. You can find your key at ..."


def everything(value: Any) -> str:
    """Every text an object shows and every text reachable from it: str, repr, args, for
    exceptions the formatted traceback and the whole ``__cause__``/``__context__`` chain, and
    recursively the attributes, mappings, sequences, and httpx requests and responses
    (their URL and every raw header, which httpx's repr would mask) of each."""
    texts: list[str] = []
    if isinstance(value, BaseException):
        texts += traceback.format_exception(type(value), value, value.__traceback__)
    _walk(value, texts, set(), 0)
    return "\n".join(texts)


# Objects whose attributes are walked: exceptions, fluent-ai's and httpx's own objects.
_WALKED_MODULES = ("fluent_ai", "httpx", "httpcore", "h11", "anyio", "builtins")


def _walk(value: Any, texts: list[str], seen: set[int], depth: int) -> None:
    if depth > 12 or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (str, bytes, bytearray)):
        texts.append(value if isinstance(value, str) else bytes(value).decode("latin-1"))
        return
    if value is None or isinstance(value, (bool, int, float)):
        return
    for show in (repr, str):
        try:
            texts.append(show(value))
        except Exception as error:  # a property that refuses (httpx's unset .request)
            texts.append(type(error).__name__)
    children: list[Any] = []
    if isinstance(value, BaseException):
        children += [value.args, value.__cause__, value.__context__]
        children.append(getattr(value, "__notes__", None))
    if isinstance(value, httpx.Request):
        children += [str(value.url), value.headers.raw, value.method]
    elif isinstance(value, httpx.Response):
        children += [value.headers.raw, getattr(value, "_request", None)]
    elif isinstance(value, httpx.Headers):
        children.append(value.raw)
    if isinstance(value, Mapping):
        children += [item for pair in value.items() for item in pair]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children += list(value)
    module = type(value).__module__ or ""
    if isinstance(value, BaseException) or module.startswith(_WALKED_MODULES):
        if hasattr(value, "__dict__"):
            children += list(vars(value).values())
        for cls in type(value).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                children.append(getattr(value, slot, None))
    for child in children:
        _walk(child, texts, seen, depth + 1)


# Per dialect: (stream chunks, an error event echoing the key, the whole answer).
def _dialect_data(name: str) -> tuple[list[bytes], bytes, object]:
    if name == "anthropic":
        error = {"type": "error", "error": {"type": "invalid_request_error", "message": ECHO}}
        return (
            frames(transcript("anthropic_tool_use.txt")),
            sse_json(error, "error"),
            (ANTHROPIC_TOOLS_WHOLE),
        )
    if name == "gemini":
        error = {"error": {"code": 400, "message": ECHO, "status": "INVALID_ARGUMENT"}}
        return (
            chunked(transcript("gemini_text_and_function_call.txt"), 300),
            sse_json(error),
            {"candidates": [{"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}]},
        )
    if name == "cohere":
        end = {"type": "message-end", "delta": {"finish_reason": "ERROR", "error": ECHO}}
        return (
            frames(transcript("cohere_v2_tool_call.txt")),
            sse_json(end),
            {
                "finish_reason": "COMPLETE",
                "message": {"content": [{"type": "text", "text": "hi"}]},
            },
        )
    if name == "ollama":
        lines = transcript("ollama_chat_tool_call.ndjson").splitlines(keepends=True)
        error = json.dumps({"error": ECHO}).encode() + b"\n"
        return lines, error, {"message": {"content": "hi"}, "done": True, "done_reason": "stop"}
    stream = frames(transcript("openai_chat_parallel_tool_calls.txt"))
    error = {"error": {"message": ECHO, "type": "invalid_request_error"}}
    return stream, sse_json(error), OPENAI_TOOLS_WHOLE


def scenarios(name: str) -> list[tuple[str, Any]]:
    """(case, answer) pairs in ``name``'s dialect: a success and every kind of failure, the
    errors echoing the key as some servers do."""
    sse = {"content-type": "text/event-stream"}
    stream, echoed, whole = _dialect_data(name)
    return [
        ("ok", Response(200, sse, stream)),
        ("whole", json_response(whole)),
        ("401", json_response({"error": {"message": ECHO, "type": "auth"}}, 401)),
        ("500", Response(500, {"content-type": "text/plain"}, ECHO.encode())),
        ("429", json_response({"error": {"message": ECHO}}, 429, {"retry-after": "0"})),
        ("event", Response(200, sse, [*stream[:2], echoed])),
        ("first-event", Response(200, sse, [echoed])),
        ("not-json", Response(200, {"content-type": "application/json"}, ECHO.encode())),
        ("cut", Response(200, sse, stream, disconnect_after=2)),
        ("stall", Response(200, sse, stream, pauses={2: 2.0})),
        ("drop", Response(disconnect=True)),
    ]


CHAT_DIALECTS = ("openai-chat", "azure-openai", "anthropic", "gemini", "cohere", "ollama")


def chat_providers(server: LoopbackServer) -> dict[str, dict[str, Any]]:
    """Every provider with a chat adapter, pointed at the server with the canary key."""
    names = [n for n, s in PROVIDERS.items() if s.dialect in CHAT_DIALECTS]
    overrides: dict[str, dict[str, Any]] = {
        name: {"base_url": f"{server.url}/{name}", "api_key": KEY} for name in names
    }
    overrides["azure"] = {"endpoint": f"{server.url}/azure", "api_key": KEY}
    return overrides


def path_of(name: str, case: str) -> str:
    paths = {
        "anthropic": "/anthropic/v1/messages",
        "azure": "/azure/openai/deployments/m/chat/completions",
        "cohere": "/cohere/v2/chat",
        "ollama": "/ollama/api/chat",
    }
    if name == "gemini":
        method = "generateContent" if case == "whole" else "streamGenerateContent"
        return f"/gemini/v1beta/models/m:{method}"
    return paths.get(name, f"/{name}/chat/completions")


def test_the_key_never_shows(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    metrics = fluent_ai.Metrics()
    overrides = chat_providers(server)
    options: dict[str, Any] = {
        "providers": overrides,
        "metrics": metrics,
        "retry": FAST,
        "timeout": Timeout(first_event=0.3, idle=0.3, total=5),
    }
    shown: list[str] = []
    server.reset()
    with Client(**options) as client:
        shown += [repr(client), str(client)]
        for name in overrides:
            resolved = client.resolve_provider(name)
            shown += [repr(resolved), str(resolved)]
            _, adapter, auth = client._settings.provider(name)
            shown += [repr(adapter), repr(auth)]
            shown.append(repr(adapter.chat_request(_params())))
            for case, answer in scenarios(name):
                if case == "stall" and name not in ("openai", "anthropic", "azure"):
                    continue  # a stall costs the idle timeout: a few providers show it
                server.drop_faults()
                server.once("POST", path_of(name, case), answer, times=3)
                shown += _run_sync(client, name, case)
    asyncio.run(_run_async(options, shown, server))
    assert len(server.requests) > 100
    names = ("authorization", "x-api-key", "api-key", "x-goog-api-key")
    assert all(KEY in "".join(r.headers.get(n, "") for n in names) for r in server.requests)
    shown += [metrics.prometheus(), repr(metrics.snapshot()), fluent_ai.metrics.prometheus()]
    shown += [record.getMessage() for record in caplog.records]
    shown += [repr(record.args) for record in caplog.records]
    shown += [repr(vars(record)) for record in caplog.records]
    leaks = [text for text in shown if KEY in text]
    assert not leaks, [
        text[max(0, text.find(KEY) - 1500) : text.find(KEY) + 200] for text in leaks[:3]
    ]
    # The key itself was redacted where it was echoed, not dropped silently.
    assert any("[REDACTED]" in text for text in shown)


def _params() -> Any:
    return ChatParams(model="m", messages=MESSAGES, tools=TOOLS, stream=True)


def _run_sync(client: Client, name: str, case: str) -> list[str]:
    shown = []
    try:
        if case == "whole":
            answer = client.chat(f"{name}/m", MESSAGES, tools=TOOLS)
            shown += [repr(answer), str(answer), repr(answer.raw)]
        else:
            with client.stream(f"{name}/m", MESSAGES, tools=TOOLS) as stream:
                shown.append(repr(stream))
                for event in stream:
                    shown.append(repr(event))
                shown.append(repr(stream.response))
    except Exception as error:
        shown.append(everything(error))
    return shown


async def _run_async(options: dict[str, Any], shown: list[str], server: LoopbackServer) -> None:
    async with AsyncClient(**options) as client:
        for name in ("openai", "anthropic", "groq", "azure", "gemini", "cohere", "ollama"):
            for case, answer in scenarios(name):
                server.drop_faults()
                server.once("POST", path_of(name, case), answer, times=3)
                try:
                    async with client.stream(f"{name}/m", MESSAGES) as stream:
                        async for event in stream:
                            shown.append(repr(event))
                except Exception as error:
                    shown.append(everything(error))
                if case == "whole":
                    try:
                        shown.append(repr(await client.chat(f"{name}/m", MESSAGES)))
                    except Exception as error:
                        shown.append(everything(error))


def test_refused_connection_and_timeouts_do_not_show_the_key() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    overrides = {"openai": {"base_url": f"http://127.0.0.1:{port}/v1", "api_key": KEY}}
    client = Client(providers=overrides, retry=FAST)
    with client, pytest.raises(fluent_ai.errors.ConnectionError) as caught:
        client.chat("openai/m", MESSAGES)
    assert KEY not in everything(caught.value)


def test_credentials_in_provider_settings_do_not_show(server: LoopbackServer) -> None:
    server.reset()
    server.route(
        "POST",
        "/azure/openai/deployments/m/chat/completions",
        json_response({"error": {"message": ECHO}}, 401),
    )
    overrides = {
        "azure": {"endpoint": f"{server.url}/azure", "azure_ad_token": KEY},
        "openai": {"base_url": server.url, "api_key": KEY},
    }
    with Client(providers=overrides, retry=FAST) as client:
        shown = [repr(client.resolve_provider(name)) for name in overrides]
        with pytest.raises(fluent_ai.errors.AuthenticationError) as caught:
            client.chat("azure/m", MESSAGES)
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    shown.append(everything(caught.value))
    # A credential under a wrong or misspelled setting name, or of a wrong type, is refused
    # without showing it.
    for settings in ({"client_secret": KEY}, {"api_key": KEY + " "}, {"api_key": KEY.encode()}):
        with pytest.raises(fluent_ai.errors.InvalidArgumentError) as refused:
            Client(providers={"openai": settings})
        shown.append(everything(refused.value))
    assert not [text for text in shown if KEY in text]


# --- Every auth scheme, through transport failures, embeddings and rerank --------------------

# (provider, dialect path prefix, the header that carries the key) per API-key scheme.
SCHEMES = {
    "bearer": ("openai", "authorization"),
    "x-api-key": ("anthropic", "x-api-key"),
    "x-goog-api-key": ("gemini", "x-goog-api-key"),
    "api-key": ("azure", "api-key"),
}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scheme_overrides(base: str, provider: str) -> dict[str, dict[str, Any]]:
    if provider == "azure":
        return {"azure": {"endpoint": f"{base}/azure", "api_key": KEY}}
    return {provider: {"base_url": f"{base}/{provider}", "api_key": KEY}}


def _calls(provider: str) -> list[tuple[str, tuple[Any, ...]]]:
    calls: list[tuple[str, tuple[Any, ...]]] = [("chat", (f"{provider}/m", MESSAGES))]
    calls.append(("stream", (f"{provider}/m", MESSAGES)))
    if provider in ("openai", "gemini", "azure"):
        calls.append(("embed", (f"{provider}/m", ["a", "b"])))
    return calls


def _shown_by_calls(options: dict[str, Any], calls: list[tuple[str, tuple[Any, ...]]]) -> list[str]:
    """Runs each call on both clients; returns everything each failure shows."""
    shown: list[str] = []
    with Client(**options) as client:
        # A client holds the key (to send it): its repr and its parts' reprs must not show it.
        name = calls[0][1][0].split("/")[0]
        shown += [repr(client), str(client), *map(repr, client._settings.provider(name))]
        for method, args in calls:
            try:
                if method == "stream":
                    with client.stream(*args) as stream:
                        shown += [repr(event) for event in stream]
                else:
                    shown.append(repr(getattr(client, method)(*args)))
            except Exception as error:
                shown.append(everything(error))

    async def run() -> None:
        async with AsyncClient(**options) as client:
            for method, args in calls:
                try:
                    if method == "stream":
                        async with client.stream(*args) as stream:
                            shown.extend([repr(event) async for event in stream])
                    else:
                        shown.append(repr(await getattr(client, method)(*args)))
                except Exception as error:
                    shown.append(everything(error))

    asyncio.run(run())
    return shown


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        text
        for record in caplog.records
        for text in (record.getMessage(), repr(record.args), repr(vars(record)))
    ]


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_transport_failures_never_show_the_key(
    scheme: str, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Connection refused, a server that never answers (first-event and total timeouts), a
    dropped connection before the headers and mid-stream (StreamInterrupted), a 401 and a 500
    echoing the key: on chat, stream and embed, sync and async, for each way a key is sent."""
    caplog.set_level(logging.DEBUG)
    provider, header = SCHEMES[scheme]
    metrics = fluent_ai.Metrics()
    timeout = Timeout(connect=1, first_event=0.3, idle=0.3, total=2)
    base: dict[str, Any] = {"metrics": metrics, "retry": FAST, "timeout": timeout}
    calls = _calls(provider)
    refused = f"http://127.0.0.1:{_closed_port()}"
    shown = _shown_by_calls({**base, "providers": _scheme_overrides(refused, provider)}, calls)
    stream, _, _ = _dialect_data(PROVIDERS[provider].dialect)
    sse = {"content-type": "text/event-stream"}
    faults = [
        Response(stall=1.0),  # no headers within first_event (stream) / total (chat)
        Response(disconnect=True),
        Response(200, sse, stream, disconnect_after=2),
        Response(200, sse, stream, pauses={2: 1.0}),
        json_response({"error": {"message": ECHO, "type": "authentication_error"}}, 401),
        Response(500, {"content-type": "text/plain"}, ECHO.encode()),
    ]
    options = {**base, "providers": _scheme_overrides(server.url, provider)}
    server.reset()
    for fault in faults:
        server.drop_faults()
        for method, _ in calls:
            case = "whole" if method != "stream" else "ok"
            path = path_of(provider, case) if method != "embed" else _embed_path(provider)
            server.once("POST", path, fault, times=30)
        shown += _shown_by_calls(options, calls)
    assert len(server.requests) >= len(faults) * len(calls)
    assert all(KEY in r.headers.get(header, "") for r in server.requests)
    shown += [metrics.prometheus(), repr(metrics.snapshot())]
    shown += _logged(caplog)
    leaks = [text for text in shown if KEY in text]
    assert not leaks, [t[max(0, t.find(KEY) - 600) : t.find(KEY) + 100] for t in leaks[:3]]
    assert any("[REDACTED]" in text for text in shown)
    kinds = " ".join(shown)
    for expected in ("ConnectionError", "TimeoutError", "StreamInterrupted", "ServerError"):
        assert expected in kinds


def _embed_path(provider: str) -> str:
    if provider == "gemini":
        return "/gemini/v1beta/models/m:batchEmbedContents"
    if provider == "azure":
        return "/azure/openai/deployments/m/embeddings"
    return f"/{provider}/embeddings"


def test_rerank_failures_never_show_the_key(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    calls = [("rerank", ("cohere/r", "q", ["a", "b"])), ("embed", ("cohere/e", ["a"]))]
    refused = f"http://127.0.0.1:{_closed_port()}"
    options: dict[str, Any] = {"retry": FAST, "timeout": Timeout(connect=1, total=0.5)}
    overrides = {"cohere": {"base_url": refused, "api_key": KEY}}
    shown = _shown_by_calls({**options, "providers": overrides}, calls)
    server.reset()
    options["providers"] = {"cohere": {"base_url": server.url, "api_key": KEY}}
    for fault in (
        Response(stall=1.0),
        Response(disconnect=True),
        json_response({"message": ECHO}, 401),
    ):
        server.drop_faults()
        server.once("POST", "/v2/rerank", fault, times=10)
        server.once("POST", "/v2/embed", fault, times=10)
        shown += _shown_by_calls(options, calls)
    assert server.requests and all(
        r.headers["authorization"] == f"Bearer {KEY}" for r in server.requests
    )
    shown += _logged(caplog)
    assert not [t for t in shown if KEY in t]


def test_credentials_in_a_base_url_are_a_secret(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """``http://user:password@host`` works (the password is sent as HTTP Basic auth), and
    neither httpx's log line, nor reprs, nor any exception shows the password."""
    caplog.set_level(logging.DEBUG)
    password = KEY
    host = server.url.split("//", 1)[1]
    mine = {"dialect": "openai-chat", "base_url": f"http://fluent:{password}@{host}/basic"}
    options: dict[str, Any] = {"providers": {"mine": mine}, "retry": FAST}
    server.reset()
    server.route("POST", "/basic/chat/completions", json_response(OPENAI_TOOLS_WHOLE))
    shown: list[str] = []
    with Client(**options) as client:
        shown += [repr(client.resolve_provider("mine")), repr(client)]
        shown.append(repr(client.chat("mine/m", MESSAGES)))
        server.once("POST", "/basic/chat/completions", json_response({"error": ECHO}, 401))
        with pytest.raises(fluent_ai.errors.AuthenticationError) as caught:
            client.chat("mine/m", MESSAGES)
        shown.append(everything(caught.value))
    basic = base64.b64encode(f"fluent:{password}".encode()).decode()
    assert [r.headers["authorization"] for r in server.requests] == [f"Basic {basic}"] * 2
    refused = {
        "dialect": "openai-chat",
        "base_url": f"http://u:{password}@127.0.0.1:{_closed_port()}",
    }
    shown += _shown_by_calls(
        {**options, "providers": {"mine": refused}}, [("chat", ("mine/m", MESSAGES))]
    )
    logged = _logged(caplog)
    assert any("HTTP Request: POST http://" in text for text in logged)  # httpx's INFO line
    shown += logged
    for secret in (password, basic):
        assert not [t for t in shown if secret in t], secret


# --- Google service account (Vertex AI) and AWS SigV4 (Bedrock) --------------------------------


def test_service_account_secrets_never_show(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """The private key, the signed assertions and the access tokens, through a token endpoint
    that refuses connections, stalls or answers 500, and a Vertex endpoint that stalls, drops
    or answers 401 echoing the token."""
    caplog.set_level(logging.DEBUG)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server.reset()
    play = VertexPlay(server, key, project="p", location="europe-west4")
    metrics = fluent_ai.Metrics()
    options: dict[str, Any] = {
        "metrics": metrics,
        "retry": FAST,
        "timeout": Timeout(connect=1, first_event=0.3, idle=0.3, total=1),
    }

    def settings(token_uri: str) -> dict[str, Any]:
        key_file = write_key(tmp_path / "key.json", pem_of(key), token_uri)
        base = {"base_url": server.url + "/v1", "project": "p", "location": "europe-west4"}
        return {"vertex": {**base, "credentials_file": str(key_file)}}

    model = f"vertex/{GEMINI}"
    calls = [("chat", (model, MESSAGES)), ("stream", (model, MESSAGES))]
    refused = f"http://127.0.0.1:{_closed_port()}/token"
    shown = _shown_by_calls({**options, "providers": settings(refused)}, calls)
    token_path = play.endpoint.path
    for fault in (Response(stall=1.5), Response(500, {}, b"token endpoint down")):
        server.drop_faults()
        server.once("POST", token_path, fault, times=30)
        shown += _shown_by_calls({**options, "providers": settings(play.endpoint.url)}, calls)
    server.drop_faults()
    stream = play.streams["google"]
    echo = {"error": {"code": 401, "message": "token ya29 rejected: {token}"}}
    for fault in (
        Response(stall=1.0),
        Response(disconnect=True),
        Response(200, dict(SSE), stream, disconnect_after=len(stream) - 2),
        Response(200, dict(SSE), stream, pauses={len(stream) - 2: 1.0}),
        _echo_token(echo),
    ):
        server.drop_faults()
        for streaming in (True, False):
            server.once("POST", play.path("google", GEMINI, streaming), fault, times=30)
        shown += _shown_by_calls({**options, "providers": settings(play.endpoint.url)}, calls)
    pem = pem_of(key)
    secrets = [*play.endpoint.issued, *play.endpoint.assertions, pem, pem.splitlines()[5]]
    assert play.endpoint.issued and play.endpoint.assertions
    shown += [metrics.prometheus(), *_logged(caplog)]
    leaks = [
        (s[:16], t[max(0, t.find(s) - 400) : t.find(s) + 60])
        for s in secrets
        for t in shown
        if s in t
    ]
    assert not leaks, leaks[:3]
    kinds = " ".join(shown)
    for expected in ("ConnectionError", "TimeoutError", "StreamInterrupted", "AuthenticationError"):
        assert expected in kinds


def _echo_token(body: dict[str, Any]) -> Any:
    """A 401 whose message repeats the bearer token the request carried."""

    def answer(request: Any) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        text = json.dumps(body).replace("{token}", token)
        return Response(401, {"content-type": "application/json"}, text.encode())

    return answer


def test_sigv4_secrets_never_show_on_transport_failures(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The AWS secret key and session token (sent as ``x-amz-security-token``, which httpx
    does not mask), through refused connections, stalls, drops and cut streams."""
    caplog.set_level(logging.DEBUG)
    options: dict[str, Any] = {
        "retry": FAST,
        "timeout": Timeout(connect=1, first_event=0.3, idle=0.3, total=2),
    }
    calls = [("chat", (f"bedrock/{BEDROCK_MODEL}", MESSAGES))]
    calls.append(("stream", (f"bedrock/{BEDROCK_MODEL}", MESSAGES)))
    refused = bedrock_overrides(server, base_url=f"http://127.0.0.1:{_closed_port()}")
    shown = _shown_by_calls({**options, "providers": refused}, calls)
    pieces = messages_of(bedrock_transcript("bedrock_converse_stream_tool_use.json"))
    bedrock_play(server, stream=pieces)
    stream = {"content-type": "application/vnd.amazon.eventstream"}
    for fault in (
        Response(stall=1.0),
        Response(disconnect=True),
        Response(200, stream, pieces, disconnect_after=2),
        Response(200, stream, pieces, pauses={2: 1.0}),
    ):
        server.drop_faults()
        for path in (STREAM_PATH, CHAT_PATH):
            server.once("POST", path, fault, times=30)
        shown += _shown_by_calls({**options, "providers": bedrock_overrides(server)}, calls)
    assert server.requests
    assert all(r.headers.get("x-amz-security-token") == SESSION_TOKEN for r in server.requests)
    shown += _logged(caplog)
    for secret in (AWS_SECRET, SESSION_TOKEN):
        leaks = [
            t[max(0, t.find(secret) - 400) : t.find(secret) + 60] for t in shown if secret in t
        ]
        assert not leaks, leaks[:2]
    assert "StreamInterrupted" in " ".join(shown)


def test_a_credential_in_a_custom_header_is_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    """A gateway key in a header of the ``headers`` setting (named like a credential) is kept
    out of exceptions like the provider's own key."""
    caplog.set_level(logging.DEBUG)
    gateway = "gw-canary-0f9e8d7c6b5a"
    settings = {
        "base_url": f"http://127.0.0.1:{_closed_port()}/v1",
        "api_key": KEY,
        "headers": {"X-Gateway-Api-Key": gateway, "X-Portkey-Virtual-Token": gateway + "2"},
    }
    options: dict[str, Any] = {"providers": {"openai": settings}, "retry": FAST}
    shown = _shown_by_calls(options, [("chat", ("openai/m", MESSAGES))])
    shown += _logged(caplog)
    assert any("ConnectionError" in text for text in shown)
    for secret in (KEY, gateway, gateway + "2"):
        assert not [t for t in shown if secret in t], secret


def test_credentials_in_a_url_setting_are_a_secret(server: LoopbackServer) -> None:
    """Azure's ``endpoint`` with ``user:password@``: the password is sent as Basic auth only
    when no key replaces it, and no repr or exception shows it."""
    password = "pw-canary-3c2b1a09"
    host = server.url.split("//", 1)[1]
    settings = {"endpoint": f"http://u:{password}@{host}/azure", "api_key": KEY}
    server.reset()
    server.route(
        "POST",
        "/azure/openai/deployments/m/chat/completions",
        json_response({"error": {"message": f"bad {password} {KEY}"}}, 401),
    )
    with Client(providers={"azure": settings}, retry=FAST) as client:
        shown = [repr(client.resolve_provider("azure")), repr(client)]
        with pytest.raises(fluent_ai.errors.AuthenticationError) as caught:
            client.chat("azure/m", MESSAGES)
    shown.append(everything(caught.value))
    assert server.requests[0].headers["api-key"] == KEY
    assert "[REDACTED]@" in shown[0]
    for secret in (password, KEY):
        assert not [t for t in shown if secret in t], secret
