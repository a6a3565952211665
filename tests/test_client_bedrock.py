"""Bedrock Converse and ConverseStream end to end, sync and async: the loopback server checks
every request's SigV4 signature (recomputed server-side, double-encoded path included) and its
body, and answers with exact event-stream bytes in any chunking, or with faults."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bedrock_play import (
    CHAT_PATH,
    KEY_ID,
    MODEL,
    REGION,
    REQUEST_ID,
    SECRET,
    STREAM_PATH,
    TOKEN,
    WHOLE,
    encode,
    event,
    exception,
    messages_of,
    overrides,
    play,
    transcript,
)
from client_helpers import FAST, Runner, mode, server  # noqa: F401
from fake_providers import TOOLS
from loopback import LoopbackServer, Response, chunked, json_response
from sigv4_verify import sigv4_required, verify_request
from test_aws_credentials import AWS_VARIABLES
from test_client_secrets import everything

import fluent_ai
from fluent_ai import AsyncClient, Client, StreamDecoder, Timeout
from fluent_ai import errors as e
from fluent_ai.providers._aws_eventstream import encode_message
from fluent_ai.providers.base import ChatParams

NAME = f"bedrock/{MODEL}"
TOOL_USE = "bedrock_converse_stream_tool_use.json"
EXCEPTION = "bedrock_converse_stream_exception.json"
FULL_TEXT = "I'll check the current weather in Seattle for you."
QUESTION = [{"role": "user", "content": "What's the weather in Seattle?"}]
PNG = "data:image/png;base64,iVBORw0KGgo="


@pytest.fixture(autouse=True)
def no_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Nothing of this machine's AWS setup reaches the tests."""
    for name in (*AWS_VARIABLES, "AWS_BEARER_TOKEN_BEDROCK", "FLUENT_AI_BEDROCK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    yield


def expected_events(data: bytes) -> list[Any]:
    decoder = StreamDecoder("bedrock")
    return [*decoder.feed(data), *decoder.finish()]


# --- The wire format -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [TOOL_USE, EXCEPTION])
def test_the_encoder_reproduces_the_transcripts(name: str) -> None:
    described = json.loads(
        (Path(__file__).parents[2] / "shared/spec/transcripts" / name).read_text()
    )
    for message in described["messages"]:
        headers = [(h["name"], h["value"]) for h in message["headers"]]
        payload = message["payload_utf8"].encode()
        assert encode_message(headers, payload).hex() == message["hex"]
        assert encode(headers, payload).hex() == message["hex"]  # the test server's own


# --- Streams and whole answers ------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 7, 64, 100_000])
def test_streamed_chat_with_tools(server: LoopbackServer, mode: str, size: int) -> None:
    data = transcript(TOOL_USE)
    play(server, stream=chunked(data, size))
    runner = Runner(mode, providers=overrides(server))
    result = runner.stream(NAME, QUESTION, tools=TOOLS, max_tokens=1024, temperature=0.2)
    assert result.error is None, result.error
    assert result.events == expected_events(data)
    [done] = result.of("ToolCallDone")
    assert (done.id, done.name) == ("tooluse_Ks3VdKnzRJmTXJzAKd2pqg", "get_weather")
    assert done.arguments == {"location": "Seattle, WA", "unit": "fahrenheit"}
    response = result.response
    assert response.text == "I'll check the current weather in Seattle for you."
    assert (response.finish_reason, response.raw_finish_reason) == ("tool_calls", "tool_use")
    assert (response.usage.input_tokens, response.usage.output_tokens) == (412, 87)
    assert (response.provider, response.model) == ("bedrock", MODEL)
    request = server.requests[-1]
    assert request.path == STREAM_PATH
    assert request.headers["x-amz-security-token"] == TOKEN
    assert request.json()["inferenceConfig"] == {"maxTokens": 1024, "temperature": 0.2}
    # The whole answer (Converse) gives the same response.
    whole = runner.chat(NAME, QUESTION, tools=TOOLS)
    assert server.requests[-1].path == CHAT_PATH
    assert whole == response
    assert whole.request_id == REQUEST_ID
    assert whole.raw == WHOLE
    assert whole.message["tool_calls"][0]["id"] == "tooluse_Ks3VdKnzRJmTXJzAKd2pqg"


def test_the_colon_is_encoded_twice_in_the_signed_path(server: LoopbackServer, mode: str) -> None:
    play(server, stream=[transcript(TOOL_USE)])
    Runner(mode, providers=overrides(server)).stream(NAME, QUESTION, tools=TOOLS)
    request = server.requests[-1]
    assert request.target == STREAM_PATH  # %3A on the wire
    verdict = verify_request(
        request, secrets={KEY_ID: SECRET}, region=REGION, service="bedrock", session_token=TOKEN
    )
    assert verdict.ok
    assert verdict.canonical_request.splitlines()[1] == STREAM_PATH.replace("%3A", "%253A")
    signed = request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert signed == "content-type;host;x-amz-date;x-amz-security-token"


def test_model_ids_with_slashes_are_one_segment(server: LoopbackServer, mode: str) -> None:
    arn = "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-v2"
    wire = (
        "arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile"
        "%2Fus.anthropic.claude-v2"
    )
    play(server, model_path=f"/model/{wire}")
    answer = Runner(mode, providers=overrides(server)).chat(f"bedrock/{arn}", QUESTION, tools=TOOLS)
    assert answer.model == arn
    assert server.requests[-1].target == f"/model/{wire}/converse"


def test_generated_streams_in_random_chunks(server: LoopbackServer, mode: str) -> None:
    """Reasoning, text and two tool calls (arguments in many fragments), cache usage, cut at
    random points: the same events and answer as the decoder gives the whole bytes."""
    rng = random.Random(4)
    arguments = [json.dumps({"city": city, "days": n}) for n, city in enumerate(["Oslo", "Lima"])]
    messages = [event("messageStart", {"role": "assistant"})]
    messages += [
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": d}})
        for d in ({"text": "Two cities, "}, {"text": "two calls."}, {"signature": "c2ln"})
    ]
    messages.append(event("contentBlockStop", {"contentBlockIndex": 0}))
    for piece in ("Checking ", "both ", "cities."):
        messages.append(
            event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": piece}})
        )
    messages.append(event("contentBlockStop", {"contentBlockIndex": 1}))
    for offset, text in enumerate(arguments):
        index = 2 + offset
        start = {"toolUse": {"toolUseId": f"tooluse_{index}", "name": "get_weather"}}
        messages.append(event("contentBlockStart", {"contentBlockIndex": index, "start": start}))
        cuts = sorted(rng.sample(range(1, len(text)), 4))
        for piece in (text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])):
            delta = {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}
            messages.append(event("contentBlockDelta", delta))
        messages.append(event("contentBlockStop", {"contentBlockIndex": index}))
    messages.append(event("messageStop", {"stopReason": "tool_use"}))
    usage = {"inputTokens": 10, "outputTokens": 20, "totalTokens": 37, "cacheReadInputTokens": 7}
    messages.append(event("metadata", {"usage": usage, "metrics": {"latencyMs": 9}}))
    data = b"".join(messages)
    expected = expected_events(data)
    for _ in range(3):
        cuts = sorted(rng.sample(range(1, len(data)), 12))
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
        play(server, stream=chunks)
        result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION, tools=TOOLS)
        assert result.error is None, result.error
        assert result.events == expected
        response = result.response
        assert response.reasoning == "Two cities, two calls."
        assert response.text == "Checking both cities."
        assert [json.dumps(c.arguments) for c in response.tool_calls] == arguments
        assert (response.usage.input_tokens, response.usage.cache_read_tokens) == (17, 7)


def test_a_tool_call_arrives_before_the_rest(server: LoopbackServer, mode: str) -> None:
    pieces = messages_of(transcript(TOOL_USE))
    stop = next(
        i
        for i, m in enumerate(pieces)
        if b"contentBlockStop" in m and b'"contentBlockIndex":1' in m
    )
    play(server, stream=pieces, pauses={stop + 1: 0.4})
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION, tools=TOOLS)
    assert result.error is None, result.error
    done = next(i for i, ev in enumerate(result.events) if type(ev).__name__ == "ToolCallDone")
    assert result.times[-1] - result.times[done] > 0.3


# --- The request ----------------------------------------------------------------------------------

HISTORY: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {
        "role": "developer",
        "content": [{"type": "text", "text": "Use tools.", "cache_control": {"type": "ephemeral"}}],
    },
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {
                "id": "call_a",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
            },
            {
                "id": "call_b",
                "type": "function",
                "function": {"name": "get_weather", "arguments": ""},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "call_a", "content": '{"temp_c": 21}'},
    {"role": "tool", "tool_call_id": "call_b", "content": "no such city", "is_error": True},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "And this?"},
            {"type": "image_url", "image_url": {"url": PNG}},
        ],
    },
]


def test_a_tool_use_conversation(server: LoopbackServer, mode: str) -> None:
    play(server)
    Runner(mode, providers=overrides(server)).chat(
        NAME,
        HISTORY,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=64,
        temperature=0.1,
        extra={"inferenceConfig": {"topP": 0.9}, "additionalModelRequestFields": {"top_k": 5}},
    )
    request = server.requests[-1]
    assert request.path == CHAT_PATH  # accepted by the server's checks (else a 400 above)
    body = request.json()
    assert "model" not in body and "stream" not in body
    assert body["system"] == [
        {"text": "Be brief."},
        {"text": "Use tools."},
        {"cachePoint": {"type": "default"}},
    ]
    assert body["messages"] == [
        {"role": "user", "content": [{"text": "Weather in Paris and Rome?"}]},
        {
            "role": "assistant",
            "content": [
                {"text": "Checking."},
                {
                    "toolUse": {
                        "toolUseId": "call_a",
                        "name": "get_weather",
                        "input": {"location": "Paris"},
                    }
                },
                {"toolUse": {"toolUseId": "call_b", "name": "get_weather", "input": {}}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "call_a", "content": [{"text": '{"temp_c": 21}'}]}},
                {
                    "toolResult": {
                        "toolUseId": "call_b",
                        "content": [{"text": "no such city"}],
                        "status": "error",
                    }
                },
                {"text": "And this?"},
                {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}},
            ],
        },
    ]
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "description": "Current weather of a city",
                    "inputSchema": {"json": TOOLS[0]["function"]["parameters"]},
                }
            }
        ],
        "toolChoice": {"tool": {"name": "get_weather"}},
    }
    assert body["inferenceConfig"] == {"maxTokens": 64, "temperature": 0.1, "topP": 0.9}
    assert body["additionalModelRequestFields"] == {"top_k": 5}


def test_the_answer_is_the_next_turn(server: LoopbackServer, mode: str) -> None:
    play(server, stream=[transcript(TOOL_USE)])
    runner = Runner(mode, providers=overrides(server))
    reply = runner.stream(NAME, QUESTION, tools=TOOLS).response
    follow = [*QUESTION, reply.message]
    follow.append({"role": "tool", "tool_call_id": reply.tool_calls[0].id, "content": "54F"})
    runner.chat(NAME, follow, tools=TOOLS)
    turns = server.requests[-1].json()["messages"]
    assert turns[1]["content"][1]["toolUse"]["input"] == reply.tool_calls[0].arguments
    assert turns[2]["content"][0]["toolResult"]["toolUseId"] == reply.tool_calls[0].id


def bedrock_body(**options: Any) -> dict[str, Any]:
    """The body the adapter builds (no server: the rules of one field at a time)."""
    with Client(providers={"bedrock": {"region": REGION}}) as client:
        adapter = client._settings.provider("bedrock")[1]
        body: dict[str, Any] = adapter.chat_body(ChatParams(model=MODEL, **options))  # type: ignore[attr-defined]
        return body


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("auto", {"auto": {}}), ("required", {"any": {}}), ({"any": {}}, {"any": {}}), (None, None)],
)
def test_tool_choice(choice: Any, expected: Any) -> None:
    body = bedrock_body(messages=QUESTION, tools=TOOLS, tool_choice=choice)
    assert body["toolConfig"].get("toolChoice") == expected


def test_tool_choice_none_leaves_the_tools_out_unless_the_history_has_tool_blocks() -> None:
    assert "toolConfig" not in bedrock_body(messages=QUESTION, tools=TOOLS, tool_choice="none")
    body = bedrock_body(messages=HISTORY, tools=TOOLS, tool_choice="none")
    assert "toolChoice" not in body["toolConfig"] and body["toolConfig"]["tools"]


def test_response_format_and_unsupported_parts() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = bedrock_body(
        messages=QUESTION,
        response_format={"type": "json_schema", "json_schema": {"name": "out", "schema": schema}},
    )
    json_schema = body["outputConfig"]["textFormat"]["structure"]["jsonSchema"]
    assert json.loads(json_schema["schema"]) == schema and json_schema["name"] == "out"
    web = [
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}],
        }
    ]
    with pytest.raises(e.ConfigurationError, match="data: URL"):
        bedrock_body(messages=web)
    s3 = [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "s3://b/a.jpg"}}]}
    ]
    assert bedrock_body(messages=s3)["messages"][0]["content"] == [
        {"image": {"format": "jpeg", "source": {"s3Location": {"uri": "s3://b/a.jpg"}}}}
    ]
    with pytest.raises(e.UnsupportedParameterError, match="response_format"):
        bedrock_body(messages=QUESTION, response_format={"type": "json_object"})


# --- Faults before the first byte -----------------------------------------------------------------

THROTTLED = json_response(
    {"message": "Too many requests, please wait before trying again."},
    429,
    {
        "x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
        "retry-after": "0.01",
        "x-amzn-requestid": "req-throttled",
    },
)


def aws_error(kind: str, message: str, status: int) -> Response:
    headers = {
        "x-amzn-errortype": f"{kind}:http://internal.amazon.com/",
        "x-amzn-requestid": "req-e",
    }
    return json_response({"message": message}, status, headers)


@pytest.mark.parametrize(
    "fault", [THROTTLED, aws_error("ServiceUnavailableException", "busy", 503)]
)
def test_a_retried_fault_before_any_byte(
    server: LoopbackServer, mode: str, fault: Response
) -> None:
    play(server, stream=[transcript(TOOL_USE)])
    server.once("POST", STREAM_PATH, fault)
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION, tools=TOOLS)
    assert result.error is None, result.error
    assert server.count(STREAM_PATH) == 2
    assert result.response.tool_calls[0].name == "get_weather"


def test_throttling_that_lasts(server: LoopbackServer, mode: str) -> None:
    play(server)
    server.once("POST", CHAT_PATH, THROTTLED, times=3)
    with pytest.raises(e.RateLimitError) as caught:
        Runner(mode, providers=overrides(server)).chat(NAME, QUESTION)
    error = caught.value
    assert (error.status_code, error.retry_after, error.request_id) == (429, 0.01, "req-throttled")
    assert error.provider == "bedrock" and "ThrottlingException" in str(error)
    assert server.count(CHAT_PATH) == 3  # max_retries=2


@pytest.mark.parametrize(
    ("fault", "cls", "attempts"),
    [
        (
            aws_error("ValidationException", "Input is too long for requested model.", 400),
            e.ContextWindowExceededError,
            1,
        ),
        (
            aws_error(
                "ValidationException",
                "The model returned the following errors: input length "
                "and `max_tokens` exceed context limit: 196595 + 8192 > 200000",
                400,
            ),
            e.ContextWindowExceededError,
            1,
        ),
        (aws_error("ValidationException", "Malformed input request", 400), e.BadRequestError, 1),
        (
            aws_error("AccessDeniedException", "You don't have access to the model", 403),
            e.PermissionDeniedError,
            1,
        ),
        (aws_error("ResourceNotFoundException", "Model not found", 404), e.NotFoundError, 1),
        (aws_error("InternalServerException", "oops", 500), e.ServerError, 3),
        (aws_error("ModelTimeoutException", "slow", 408), e.TimeoutError, 3),
    ],
)
def test_http_errors(
    server: LoopbackServer, mode: str, fault: Response, cls: type[Exception], attempts: int
) -> None:
    play(server)
    server.once("POST", STREAM_PATH, fault, times=3)
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION)
    assert type(result.error) is cls, result.error
    assert isinstance(result.error, e.APIError) and result.error.request_id == "req-e"
    assert server.count(STREAM_PATH) == attempts


def test_a_bad_signature_is_refused(server: LoopbackServer, mode: str) -> None:
    play(server, secrets={KEY_ID: "another secret"})
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION)
    assert isinstance(result.error, e.PermissionDeniedError)
    assert "InvalidSignatureException" in str(result.error)
    assert "signature mismatch" in str(result.error)
    assert server.count(STREAM_PATH) == 1


# --- Faults in the stream ------------------------------------------------------------------------


def test_a_disconnect_mid_stream(server: LoopbackServer, mode: str) -> None:
    play(server, stream=messages_of(transcript(TOOL_USE)), disconnect_after=7)
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION, tools=TOOLS)
    assert isinstance(result.error, e.StreamInterrupted)
    assert isinstance(result.error, e.ConnectionError)
    assert result.error.partial_text == result.text == FULL_TEXT
    [partial] = result.error.partial_tool_calls
    assert (partial.name, partial.raw) == ("get_weather", '{"location": "Sea')
    assert server.count(STREAM_PATH) == 1  # never replayed


@pytest.mark.parametrize("disconnect", [True, False])
def test_a_cut_before_the_first_event_is_retried(
    server: LoopbackServer, mode: str, disconnect: bool
) -> None:
    """Dropped inside the first message, or ended there cleanly: both are a cut stream."""
    data = transcript(TOOL_USE)
    play(server, stream=[data])
    head = [data[:50], data[50:60]] if disconnect else [data[:50]]
    cut = Response(
        200, {"content-type": "application/vnd.amazon.eventstream"}, head, disconnect_after=1
    )
    server.once("POST", STREAM_PATH, cut)
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION, tools=TOOLS)
    assert result.error is None, result.error
    assert result.events == expected_events(data)
    assert server.count(STREAM_PATH) == 2


def test_an_exception_message_mid_stream(server: LoopbackServer, mode: str) -> None:
    data = transcript(EXCEPTION)
    play(server, stream=chunked(data, 19))
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION)
    error = result.error
    assert isinstance(error, e.StreamInterrupted) and isinstance(error, e.RateLimitError)
    assert error.partial_text == "Seattle is"
    assert "Too many tokens, please wait before trying again." in str(error)
    [provider_error] = result.of("ProviderErrorEvent")
    assert provider_error.type == "throttlingException"
    assert result.events[-1].reason == "error"
    assert server.count(STREAM_PATH) == 1


def test_an_exception_before_any_event_is_retried(server: LoopbackServer, mode: str) -> None:
    data = transcript(TOOL_USE)
    play(server, stream=[data])
    busy = exception("serviceUnavailableException", "Bedrock is unable to process your request.")
    server.once(
        "POST",
        STREAM_PATH,
        Response(200, {"content-type": "application/vnd.amazon.eventstream"}, [busy]),
    )
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION, tools=TOOLS)
    assert result.error is None, result.error
    assert server.count(STREAM_PATH) == 2


def test_a_context_exception_before_any_event(server: LoopbackServer, mode: str) -> None:
    too_long = exception("validationException", "Input is too long for requested model.")
    play(server, stream=[event("messageStart", {"role": "assistant"}) + too_long])
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION)
    assert isinstance(result.error, e.ContextWindowExceededError), result.error
    assert server.count(STREAM_PATH) == 1


@pytest.mark.parametrize("at", [0, 3])
def test_a_corrupt_message_crc(server: LoopbackServer, mode: str, at: int) -> None:
    pieces = messages_of(transcript(TOOL_USE))
    pieces[at] = pieces[at][:-1] + bytes([pieces[at][-1] ^ 0xFF])
    play(server, stream=pieces)
    result = Runner(mode, providers=overrides(server)).stream(NAME, QUESTION, tools=TOOLS)
    error = result.error
    if at == 0:  # nothing reached the caller: the decode error itself, not retried
        assert isinstance(error, e.EventStreamError) and error.kind == "message_crc"
    else:
        assert isinstance(error, e.StreamInterrupted), error
        assert isinstance(error.__cause__, e.EventStreamError)
        assert error.__cause__.kind == "message_crc"
        assert error.partial_text == FULL_TEXT
    assert server.count(STREAM_PATH) == 1


def test_a_stall_between_events(server: LoopbackServer, mode: str) -> None:
    play(server, stream=messages_of(transcript(TOOL_USE)), pauses={3: 1.5})
    runner = Runner(mode, providers=overrides(server), timeout=Timeout(idle=0.3, total=10))
    result = runner.stream(NAME, QUESTION, tools=TOOLS)
    assert isinstance(result.error, e.StreamInterrupted) and isinstance(
        result.error, e.TimeoutError
    )


# --- Credentials, region, endpoints ---------------------------------------------------------------


def test_credentials_from_the_environment(
    server: LoopbackServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    play(server, region="eu-west-3", session_token=None)
    answer = Runner(mode, providers={"bedrock": {"base_url": server.url}}).chat(NAME, QUESTION)
    assert answer.text.startswith("I'll check")
    assert "x-amz-security-token" not in server.requests[-1].headers
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_REGION", REGION)  # AWS_REGION before AWS_DEFAULT_REGION
    play(server, session_token=TOKEN)
    Runner(mode, providers={"bedrock": {"base_url": server.url}}).chat(NAME, QUESTION)
    assert server.requests[-1].headers["x-amz-security-token"] == TOKEN


def test_credentials_and_region_from_a_profile(
    server: LoopbackServer, mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = nope\n\n"
        f"[work]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
        f"aws_session_token = {TOKEN}\n"
    )
    config = tmp_path / "config"
    config.write_text("[default]\nregion = us-east-1\n\n[profile work]\nregion = ap-south-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    play(server, region="ap-south-1")
    providers = {"bedrock": {"base_url": server.url, "profile": "work"}}
    Runner(mode, providers=providers).chat(NAME, QUESTION)
    assert server.requests[-1].path == CHAT_PATH
    monkeypatch.setenv("AWS_PROFILE", "work")
    with Client() as client:
        assert client.resolve_provider("bedrock").base_url == (
            "https://bedrock-runtime.ap-south-1.amazonaws.com"
        )
    Runner(mode, providers={"bedrock": {"base_url": server.url}}).chat(NAME, QUESTION)
    assert server.count(CHAT_PATH) == 2


def test_the_base_url(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with Client(providers={"bedrock": {"region": "eu-central-1"}}) as client:
        assert client.resolve_provider("bedrock").base_url == (
            "https://bedrock-runtime.eu-central-1.amazonaws.com"
        )
    monkeypatch.setenv("AWS_REGION", "ca-central-1")
    with Client() as client:
        resolved = client.resolve_provider("bedrock")
        assert resolved.base_url == "https://bedrock-runtime.ca-central-1.amazonaws.com"
        adapter = client._settings.provider("bedrock")[1]
        assert adapter.models_url() == (
            "bedrock",
            "https://bedrock.ca-central-1.amazonaws.com/foundation-models",
        )
    monkeypatch.setenv("FLUENT_AI_BEDROCK_BASE_URL", server.url + "/proxy")
    play(server, model_path=f"/proxy/model/{STREAM_PATH.split('/')[2]}")
    settings = overrides(server, base_url=None, region=REGION)
    with Client(providers=settings, retry=FAST) as client:
        assert client.chat(NAME, QUESTION).text.startswith("I'll check")
    assert server.requests[-1].path == "/proxy" + CHAT_PATH


def test_missing_settings_are_named(server: LoopbackServer, mode: str) -> None:
    server.reset()
    with pytest.raises(e.ConfigurationError, match="AWS_ACCESS_KEY_ID") as caught:
        Runner(mode, providers={"bedrock": {"base_url": server.url, "region": REGION}}).chat(
            NAME, QUESTION
        )
    assert SECRET not in everything(caught.value)
    keys = {"aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET}
    with pytest.raises(e.ConfigurationError, match="AWS_REGION"):
        Runner(mode, providers={"bedrock": {"base_url": server.url, **keys}}).chat(NAME, QUESTION)
    with pytest.raises(e.ConfigurationError, match="region"):
        Client().resolve_provider("bedrock")
    assert not server.requests


def test_a_bedrock_api_key(
    server: LoopbackServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reset()
    server.json("POST", CHAT_PATH, WHOLE, require={"authorization": "Bearer bedrock-api-key"})
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key")
    providers = {"bedrock": {"base_url": server.url}}
    assert Runner(mode, providers=providers).chat(NAME, QUESTION).tool_calls
    assert "x-amz-date" not in server.requests[-1].headers
    # Explicit AWS credentials choose SigV4 over the key in the environment.
    play(server)
    Runner(mode, providers=overrides(server)).chat(NAME, QUESTION)
    assert server.requests[-1].headers["authorization"].startswith("AWS4-HMAC-SHA256 ")


def test_list_models_from_the_control_plane(server: LoopbackServer, mode: str) -> None:
    summaries = {
        "modelSummaries": [
            {
                "modelId": MODEL,
                "modelName": "Claude 3.5 Sonnet v2",
                "providerName": "Anthropic",
                "inputModalities": ["TEXT", "IMAGE"],
                "outputModalities": ["TEXT"],
                "responseStreamingSupported": True,
                "modelLifecycle": {"status": "ACTIVE"},
            },
            {
                "modelId": "amazon.titan-embed-text-v2:0",
                "inputModalities": ["TEXT"],
                "outputModalities": ["EMBEDDING"],
            },
        ]
    }
    server.reset()
    handler = sigv4_required(
        lambda _request: json_response(summaries),
        secrets={KEY_ID: SECRET},
        region=REGION,
        session_token=TOKEN,
    )
    server.route("GET", "/foundation-models", handler)
    models = Runner(mode, providers=overrides(server)).call("list_models", "bedrock")
    by_id = {model.id: model for model in models}
    assert set(by_id) == {MODEL, "amazon.titan-embed-text-v2:0"}
    claude = by_id[MODEL]
    assert (claude.provider, claude.mode, claude.vision) == ("bedrock", "chat", True)
    assert by_id["amazon.titan-embed-text-v2:0"].mode == "embedding"
    assert server.requests[-1].method == "GET"


# --- Secrets -------------------------------------------------------------------------------------

ERROR_HEADERS = [(":message-type", "error"), (":error-code", "E")]
ECHO = f"The security token included in the request is invalid: {TOKEN} (secret {SECRET})"


def secret_scenarios() -> list[tuple[str, Response | None]]:
    pieces = messages_of(transcript(TOOL_USE))
    corrupt = [*pieces[:3], pieces[3][:-1] + b"\x00"]
    stream = {"content-type": "application/vnd.amazon.eventstream"}
    return [
        ("ok", None),
        ("403", aws_error("UnrecognizedClientException", ECHO, 403)),
        ("429", aws_error("ThrottlingException", ECHO, 429)),
        ("500", Response(500, {"content-type": "text/plain"}, ECHO.encode())),
        ("event", Response(200, stream, [*pieces[:2], exception("validationException", ECHO)])),
        ("first", Response(200, stream, [exception("throttlingException", ECHO)])),
        ("error", Response(200, stream, [encode([*ERROR_HEADERS, (":error-message", ECHO)], b"")])),
        ("cut", Response(200, stream, pieces, disconnect_after=2)),
        ("corrupt", Response(200, stream, corrupt)),
    ]


def test_the_secret_key_and_session_token_never_show(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    metrics = fluent_ai.Metrics()
    options: dict[str, Any] = {"providers": overrides(server), "metrics": metrics, "retry": FAST}
    shown: list[str] = []
    play(server, stream=messages_of(transcript(TOOL_USE)))
    with Client(**options) as client:
        resolved, adapter, auth = client._settings.provider("bedrock")
        params = ChatParams(model=MODEL, messages=QUESTION, stream=True)
        shown += [repr(client), repr(resolved), str(resolved), repr(adapter), repr(auth)]
        shown.append(repr(adapter.chat_request(params)))
        for _case, fault in secret_scenarios():
            for path in (STREAM_PATH, CHAT_PATH):
                server.drop_faults()
                if fault is not None:
                    server.once("POST", path, fault, times=3)
                shown += _run_sync(client, path == STREAM_PATH)
    asyncio.run(_run_async(options, shown, server))
    assert all(r.headers.get("x-amz-security-token") == TOKEN for r in server.requests)
    shown += [metrics.prometheus(), repr(metrics.snapshot()), fluent_ai.metrics.prometheus()]
    shown += [record.getMessage() for record in caplog.records]
    shown += [repr(record.args) for record in caplog.records]
    shown += [repr(vars(record)) for record in caplog.records]
    for secret in (SECRET, TOKEN):
        leaks = [text for text in shown if secret in text]
        assert not leaks, [
            t[max(0, t.find(secret) - 800) : t.find(secret) + 100] for t in leaks[:2]
        ]
    assert sum("[REDACTED]" in text for text in shown) >= 8  # redacted where echoed


def _run_sync(client: Client, streamed: bool) -> list[str]:
    shown = []
    try:
        if streamed:
            with client.stream(NAME, QUESTION, tools=TOOLS) as stream:
                shown.append(repr(stream))
                shown += [repr(event) for event in stream]
                shown.append(repr(stream.response))
        else:
            answer = client.chat(NAME, QUESTION, tools=TOOLS)
            shown += [repr(answer), str(answer)]
    except Exception as error:
        shown.append(everything(error))
    return shown


async def _run_async(options: dict[str, Any], shown: list[str], server: LoopbackServer) -> None:
    async with AsyncClient(**options) as client:
        for _case, fault in secret_scenarios():
            server.drop_faults()
            if fault is not None:
                server.once("POST", STREAM_PATH, fault, times=3)
            try:
                async with client.stream(NAME, QUESTION) as stream:
                    shown += [repr(event) async for event in stream]
            except Exception as error:
                shown.append(everything(error))
