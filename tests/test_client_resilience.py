"""Errors, retries, timeouts, breakers and rate limits of both clients against the loopback
server: HTTP errors before any byte, dropped connections, stalls, malformed frames and error
events inside a stream."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import builtins
import pickle
import socket
import time
from typing import Any

import pytest
from client_helpers import FAST, Runner, Streamed, mode, server  # noqa: F401
from fake_providers import (
    KEY,
    OPENAI_TOOLS_WHOLE,
    TOOLS,
    anthropic_checks,
    frames,
    install,
    openai_checks,
    sse_json,
    transcript,
)
from loopback import LoopbackServer, Response, json_response

import fluent_ai
from fluent_ai import BreakerPolicy, Client, RateLimit, RetryPolicy, Timeout
from fluent_ai import errors as e

MESSAGES = [{"role": "user", "content": "Hi"}]
OPENAI = "openai/gpt-4o"
CLAUDE = "anthropic/claude-sonnet-4-5"
CHAT = "/v1/chat/completions"
TOOL_STREAM = frames(transcript("openai_chat_parallel_tool_calls.txt"))


def providers(server: LoopbackServer) -> dict[str, dict[str, str]]:
    return {
        "openai": {"base_url": server.url + "/v1", "api_key": KEY},
        "anthropic": {"base_url": server.url, "api_key": KEY},
    }


def play(server: LoopbackServer, chunks: list[bytes] = TOOL_STREAM, **options: Any) -> None:
    server.reset()
    install(
        server,
        CHAT,
        auth=("authorization", f"Bearer {KEY}"),
        checks=openai_checks(),
        stream=chunks,
        whole=OPENAI_TOOLS_WHOLE,
        **options,
    )


def runner(server: LoopbackServer, mode: str, **options: Any) -> Runner:
    return Runner(mode, providers=providers(server), **options)


def stream_once(server: LoopbackServer, mode: str, **options: Any) -> tuple[Streamed, float]:
    started = time.monotonic()
    result = runner(server, mode, **options).stream(OPENAI, MESSAGES, tools=TOOLS)
    return result, time.monotonic() - started


# --- HTTP errors before any byte ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, e.BadRequestError),
        (401, e.AuthenticationError),
        (403, e.PermissionDeniedError),
        (404, e.NotFoundError),
        (422, e.BadRequestError),
    ],
)
def test_client_errors_are_typed_and_not_retried(
    server: LoopbackServer, mode: str, status: int, cls: type[e.APIError]
) -> None:
    play(server)
    server.fail(
        "POST",
        CHAT,
        status=status,
        headers={"x-request-id": "req_123"},
        body={"error": {"message": "nope", "type": "invalid_request_error"}},
        times=5,
    )
    with pytest.raises(cls) as caught:
        runner(server, mode).chat(OPENAI, MESSAGES)
    error = caught.value
    assert type(error) is cls
    assert (error.provider, error.status_code, error.request_id) == ("openai", status, "req_123")
    assert "nope" in error.message
    assert server.count(CHAT) == 1
    result, _ = stream_once(server, mode)
    assert type(result.error) is cls
    assert result.events == []
    assert server.count(CHAT) == 2


def test_context_window_errors(server: LoopbackServer, mode: str) -> None:
    play(server)
    message = "This model's maximum context length is 128000 tokens."
    body = {"error": {"message": message, "code": "context_length_exceeded"}}
    server.fail("POST", CHAT, status=400, body=body)
    with pytest.raises(e.ContextWindowExceededError):
        runner(server, mode).chat(OPENAI, MESSAGES)


@pytest.mark.parametrize(
    ("headers", "least"),
    [({"retry-after": "0.2"}, 0.2), ({"retry-after-ms": "150"}, 0.15), ({}, 0.0)],
)
def test_429_is_retried_after_the_time_the_provider_asks(
    server: LoopbackServer, mode: str, headers: dict[str, str], least: float
) -> None:
    play(server)
    server.fail("POST", CHAT, status=429, headers=headers)
    started = time.monotonic()
    response = runner(server, mode).chat(OPENAI, MESSAGES)
    assert time.monotonic() - started >= least
    assert response.finish_reason == "tool_calls"
    assert server.count(CHAT) == 2


def test_server_errors_are_retried_then_raised(server: LoopbackServer, mode: str) -> None:
    play(server)
    server.fail("POST", CHAT, status=500)
    server.fail("POST", CHAT, status=503)
    assert runner(server, mode).chat(OPENAI, MESSAGES).usage.total_tokens == 209
    assert server.count(CHAT) == 3
    server.fail("POST", CHAT, status=503, times=3, headers={"x-request-id": "req_9"})
    with pytest.raises(e.ServerError) as caught:
        runner(server, mode).chat(OPENAI, MESSAGES)
    assert (caught.value.status_code, caught.value.request_id) == (503, "req_9")
    assert server.count(CHAT) == 6
    server.fail("POST", CHAT, status=500, times=3)
    with pytest.raises(e.ServerError):
        runner(server, mode, retry=RetryPolicy(max_retries=0)).chat(OPENAI, MESSAGES)
    assert server.count(CHAT) == 7


@pytest.mark.parametrize("status", [408, 409])
def test_408_and_409_are_retried(server: LoopbackServer, mode: str, status: int) -> None:
    play(server)
    server.fail("POST", CHAT, status=status)
    assert runner(server, mode).chat(OPENAI, MESSAGES).finish_reason == "tool_calls"
    assert server.count(CHAT) == 2


def test_x_should_retry_overrides_the_status(server: LoopbackServer, mode: str) -> None:
    play(server)
    server.fail("POST", CHAT, status=500, headers={"x-should-retry": "false"})
    with pytest.raises(e.ServerError):
        runner(server, mode).chat(OPENAI, MESSAGES)
    assert server.count(CHAT) == 1
    server.fail("POST", CHAT, status=400, headers={"x-should-retry": "true"})
    assert runner(server, mode).chat(OPENAI, MESSAGES).finish_reason == "tool_calls"
    assert server.count(CHAT) == 3


def test_a_wait_past_the_deadline_is_not_taken(server: LoopbackServer, mode: str) -> None:
    play(server)
    server.fail("POST", CHAT, status=429, headers={"retry-after": "30"})
    started = time.monotonic()
    with pytest.raises(e.RateLimitError) as caught:
        runner(server, mode, timeout=Timeout(total=5)).chat(OPENAI, MESSAGES)
    assert time.monotonic() - started < 2
    assert caught.value.retry_after == 30


def test_error_body_with_status_200(server: LoopbackServer, mode: str) -> None:
    server.reset()
    body = {"error": {"message": "upstream overloaded", "code": 503}}
    server.json("POST", CHAT, body)
    with pytest.raises(e.ServerError, match="upstream overloaded"):
        runner(server, mode).chat(OPENAI, MESSAGES)
    assert server.count(CHAT) == 3


# --- Connections that fail ------------------------------------------------------------------


def test_dropped_connections_are_retried(server: LoopbackServer, mode: str) -> None:
    play(server)
    server.disconnect("POST", CHAT, times=2)
    assert runner(server, mode).chat(OPENAI, MESSAGES).finish_reason == "tool_calls"
    server.disconnect("POST", CHAT, times=3)
    with pytest.raises(e.ConnectionError) as caught:
        runner(server, mode).chat(OPENAI, MESSAGES)
    assert isinstance(caught.value, builtins.ConnectionError)
    assert server.count(CHAT) == 6


def test_refused_connection(mode: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    providers = {"openai": {"base_url": f"http://127.0.0.1:{port}/v1", "api_key": KEY}}
    with pytest.raises(e.ConnectionError):
        Runner(mode, providers=providers).chat(OPENAI, MESSAGES)


def test_stream_broken_before_its_first_event_is_retried(server: LoopbackServer, mode: str) -> None:
    play(server)
    # Headers and a keep-alive comment, then the connection drops: nothing reached the caller.
    broken = Response(200, {"content-type": "text/event-stream"}, [b": hi\n\n", b"x"])
    broken.disconnect_after = 1
    server.once("POST", CHAT, broken)
    result, _ = stream_once(server, mode)
    assert result.error is None
    assert len(result.of("ToolCallDone")) == 2
    assert server.count(CHAT) == 2


def test_stream_broken_after_events_raises_stream_interrupted(
    server: LoopbackServer, mode: str
) -> None:
    # The connection drops in the middle of the second tool call's arguments.
    cut = next(i for i, piece in enumerate(TOOL_STREAM) if b"cker" in piece)
    play(server, disconnect_after=cut + 1)
    result, _ = stream_once(server, mode)
    error = result.error
    assert isinstance(error, e.StreamInterrupted)
    assert isinstance(error, e.ConnectionError)
    assert error.provider == "openai"
    assert [c.name for c in error.tool_calls] == ["GetWeatherArgs"]
    (partial,) = error.partial_tool_calls
    assert (partial.name, partial.raw) == ("get_stock_price", '{"ticker"')
    assert [c.name for c in result.of("ToolCallDone")] == ["GetWeatherArgs"]
    assert server.count(CHAT) == 1  # never replayed
    assert result.response is None


def test_stream_that_ends_without_its_end_marker(server: LoopbackServer, mode: str) -> None:
    text = frames(transcript("openai_chat_usage.txt"))
    play(server, text[:-3])  # no finish chunk, no usage, no [DONE]
    result, _ = stream_once(server, mode)
    assert isinstance(result.error, e.StreamInterrupted)
    assert isinstance(result.error.__cause__, e.ConnectionError)
    assert result.error.partial_text == result.text
    assert result.text.startswith("I'm unable to provide real-time weather updates.")
    assert server.count(CHAT) == 1
    # Before any event, the same is a retryable failure.
    play(server, [b": waiting\n\n"])
    result, _ = stream_once(server, mode)
    assert type(result.error) is e.ConnectionError
    assert server.count(CHAT) == 3


# --- Error events and malformed frames inside the stream ------------------------------------


def test_openai_error_event_after_text(server: LoopbackServer, mode: str) -> None:
    play(server, frames(transcript("openai_error_midstream.txt")))
    result, _ = stream_once(server, mode)
    names = [type(event).__name__ for event in result.events]
    assert names[-2:] == ["ProviderErrorEvent", "Finish"]
    assert result.events[-1] == fluent_ai.Finish("error", "server_error")
    error = result.error
    assert isinstance(error, e.StreamInterrupted)
    assert isinstance(error, e.ServerError)
    assert error.partial_text == 'The question "'
    assert "The server had an error" in str(error)
    assert server.count(CHAT) == 1


def test_anthropic_overloaded_event_after_text(server: LoopbackServer, mode: str) -> None:
    server.reset()
    install(
        server,
        "/v1/messages",
        auth=("x-api-key", KEY),
        checks=anthropic_checks(),
        stream=frames(transcript("anthropic_error_overloaded.txt")),
    )
    result = runner(server, mode).stream(CLAUDE, MESSAGES)
    assert isinstance(result.error, e.StreamInterrupted)
    assert isinstance(result.error, e.ServerError)
    assert result.error.partial_text == "Hey! What"
    assert isinstance(result.events[-2], fluent_ai.ProviderErrorEvent)


def test_error_event_before_any_other_is_retried(server: LoopbackServer, mode: str) -> None:
    play(server)
    error = sse_json({"error": {"message": "Overloaded", "type": "server_error"}})
    server.once("POST", CHAT, Response(200, {"content-type": "text/event-stream"}, [error]))
    result, _ = stream_once(server, mode)
    assert result.error is None
    assert not result.of("ProviderErrorEvent")
    assert server.count(CHAT) == 2
    # A kind that retrying does not fix is raised at once, as the matching HTTP error.
    bad = sse_json({"error": {"message": "bad tools", "type": "invalid_request_error"}})
    server.once("POST", CHAT, Response(200, {"content-type": "text/event-stream"}, [bad]))
    result, _ = stream_once(server, mode)
    assert type(result.error) is e.BadRequestError
    assert result.events == []
    assert server.count(CHAT) == 3


def test_malformed_frame(server: LoopbackServer, mode: str) -> None:
    play(server, [*TOOL_STREAM[:3], b"data: {not json}\n\n", *TOOL_STREAM[3:]])
    result, _ = stream_once(server, mode)
    assert isinstance(result.error, e.StreamInterrupted)
    assert isinstance(result.error.__cause__, e.JsonStreamError)
    decoder = fluent_ai.StreamDecoder("openai-chat")
    assert result.events == decoder.feed(b"".join(TOOL_STREAM[:3]))
    assert server.count(CHAT) == 1
    play(server, [b"data: {not json}\n\n", *TOOL_STREAM])
    result, _ = stream_once(server, mode)
    assert isinstance(result.error, e.JsonStreamError)
    assert server.count(CHAT) == 1


# --- Timeouts -------------------------------------------------------------------------------


def test_stall_before_the_first_event(server: LoopbackServer, mode: str) -> None:
    play(server, pauses={0: 3.0})
    result, took = stream_once(server, mode, timeout=Timeout(first_event=0.3, total=10))
    assert type(result.error) is e.TimeoutError
    assert isinstance(result.error, builtins.TimeoutError)
    assert "first_event" in str(result.error)
    assert 0.25 < took < 2
    assert server.count(CHAT) == 1  # the caller's limit: not retried


def test_stall_before_the_response_headers(server: LoopbackServer, mode: str) -> None:
    play(server)
    server.stall("POST", CHAT, 3.0)
    result, took = stream_once(server, mode, timeout=Timeout(first_event=0.3))
    assert type(result.error) is e.TimeoutError
    assert took < 2
    started = time.monotonic()
    server.stall("POST", CHAT, 3.0)
    with pytest.raises(e.TimeoutError, match="total"):
        runner(server, mode, timeout=0.3).chat(OPENAI, MESSAGES)
    assert time.monotonic() - started < 2


def test_stall_between_events(server: LoopbackServer, mode: str) -> None:
    play(server, pauses={6: 3.0})
    result, took = stream_once(server, mode, timeout=Timeout(first_event=5, idle=0.3))
    error = result.error
    assert isinstance(error, e.StreamInterrupted)
    assert isinstance(error, e.TimeoutError)
    assert isinstance(error, builtins.TimeoutError)
    assert "idle" in str(error)
    assert took < 2
    assert len(result.events) >= 3


@pytest.mark.parametrize("keepalive", [b": keep-alive\n\n", b"\n"])
def test_keep_alive_comments_are_not_events(
    server: LoopbackServer, mode: str, keepalive: bytes
) -> None:
    # 30 keep-alives, 0.1 s apart, between two events: idle=0.5 must still pass.
    chunks = [*TOOL_STREAM[:4], *[keepalive] * 30, *TOOL_STREAM[4:]]
    play(server, chunks, pauses={i: 0.1 for i in range(4, 34)})
    result, took = stream_once(server, mode, timeout=Timeout(idle=0.5))
    assert isinstance(result.error, e.TimeoutError)
    assert isinstance(result.error, e.StreamInterrupted)
    assert took < 2.5


def test_anthropic_pings_are_not_events(server: LoopbackServer, mode: str) -> None:
    server.reset()
    pieces = frames(transcript("anthropic_text.txt"))
    ping = b'event: ping\ndata: {"type": "ping"}\n\n'
    chunks = [*pieces[:3], *[ping] * 30, *pieces[3:]]
    install(
        server,
        "/v1/messages",
        auth=("x-api-key", KEY),
        checks=anthropic_checks(),
        stream=chunks,
        pauses={i: 0.1 for i in range(3, 33)},
    )
    result = runner(server, mode, timeout=Timeout(idle=0.5)).stream(CLAUDE, MESSAGES)
    assert isinstance(result.error, e.TimeoutError)


def test_idle_does_not_limit_the_wait_for_the_first_event(
    server: LoopbackServer, mode: str
) -> None:
    play(server, pauses={0: 0.7})
    result, took = stream_once(server, mode, timeout=Timeout(idle=0.2))
    assert result.error is None
    assert took >= 0.7


def test_slow_but_steady_stream_within_idle(server: LoopbackServer, mode: str) -> None:
    play(server, delay=0.02)
    result, _ = stream_once(server, mode, timeout=Timeout(first_event=0.3, idle=0.3))
    assert result.error is None
    assert result.response.finish_reason == "tool_calls"


def test_total_timeout_of_a_stream(server: LoopbackServer, mode: str) -> None:
    play(server, delay=0.05)
    result, took = stream_once(server, mode, timeout=Timeout(total=0.5))
    assert isinstance(result.error, e.TimeoutError)
    assert "total" in str(result.error)
    assert took < 1.5


def test_idle_counts_only_while_the_caller_waits(server: LoopbackServer) -> None:
    # The caller spends 0.5 s on each of the first events; idle=0.3 must not fire.
    play(server)
    client = Client(providers=providers(server), retry=FAST, timeout=Timeout(idle=0.3))
    with client, client.stream(OPENAI, MESSAGES, tools=TOOLS) as stream:
        for number, _ in enumerate(stream):
            if number < 2:
                time.sleep(0.5)
        assert stream.response.finish_reason == "tool_calls"


def test_per_call_timeout_overrides_the_clients(server: LoopbackServer) -> None:
    play(server, pauses={0: 3.0})
    with Client(providers=providers(server), timeout=Timeout(first_event=10)) as client:
        started = time.monotonic()
        with pytest.raises(e.TimeoutError):
            client.stream(OPENAI, MESSAGES, timeout=Timeout(first_event=0.3)).collect()
        assert time.monotonic() - started < 2


# --- Breakers and rate limits ---------------------------------------------------------------


def test_circuit_breaker_opens_and_recovers(server: LoopbackServer) -> None:
    play(server)
    server.fail("POST", CHAT, status=503, times=2)
    policy = BreakerPolicy(failure_threshold=2, recovery_time=0.3)
    options: dict[str, Any] = {"retry": RetryPolicy(max_retries=0), "breaker": policy}
    with Client(providers=providers(server), **options) as client:
        for _ in range(2):
            with pytest.raises(e.ServerError):
                client.chat(OPENAI, MESSAGES)
        assert client.circuit_state("openai") == "open"
        with pytest.raises(e.CircuitOpenError) as caught:
            client.chat(OPENAI, MESSAGES)
        assert 0 < caught.value.retry_after <= 0.3
        assert caught.value.provider == "openai"
        assert server.count(CHAT) == 2  # not sent
        with pytest.raises(e.CircuitOpenError):
            client.stream(OPENAI, MESSAGES).collect()
        time.sleep(0.35)
        assert client.chat(OPENAI, MESSAGES).finish_reason == "tool_calls"
        assert client.circuit_state("openai") == "closed"
    # Client errors do not open it.
    server.fail("POST", CHAT, status=400, times=5)
    with Client(providers=providers(server), **options) as client:
        for _ in range(4):
            with pytest.raises(e.BadRequestError):
                client.chat(OPENAI, MESSAGES)
        assert client.circuit_state("openai") == "closed"


def test_a_trial_stream_closed_early_still_closes_the_breaker(server: LoopbackServer) -> None:
    play(server)
    server.fail("POST", CHAT, status=503)
    policy = BreakerPolicy(failure_threshold=1, recovery_time=0.2)
    with Client(
        providers=providers(server), retry=RetryPolicy(max_retries=0), breaker=policy
    ) as client:
        with pytest.raises(e.ServerError):
            client.chat(OPENAI, MESSAGES)
        time.sleep(0.25)
        with client.stream(OPENAI, MESSAGES, tools=TOOLS) as stream:
            next(iter(stream))  # the half-open trial, left after one event
        assert client.circuit_state("openai") == "closed"
        assert client.chat(OPENAI, MESSAGES).finish_reason == "tool_calls"


def test_breakers_are_per_endpoint(server: LoopbackServer) -> None:
    play(server)
    server.fail("POST", CHAT, status=503, times=1)
    overrides = {**providers(server), "groq": {"base_url": server.url + "/v1", "api_key": KEY}}
    policy = BreakerPolicy(failure_threshold=1, recovery_time=30)
    with Client(providers=overrides, retry=RetryPolicy(max_retries=0), breaker=policy) as client:
        with pytest.raises(e.ServerError):
            client.chat(OPENAI, MESSAGES)
        assert client.circuit_state("openai") == "open"
        assert client.chat("groq/llama", MESSAGES).finish_reason == "tool_calls"


def test_rate_limit_per_key(server: LoopbackServer) -> None:
    play(server)
    limit = RateLimit(requests_per_second=10, burst=1)
    with Client(providers=providers(server), rate_limit=limit) as client:
        started = time.monotonic()
        for _ in range(4):
            client.chat(OPENAI, MESSAGES)
        assert time.monotonic() - started >= 0.28
    other = {**providers(server), "groq": {"base_url": server.url + "/v1", "api_key": "other"}}
    server.route("POST", CHAT, json_response(OPENAI_TOOLS_WHOLE))
    with Client(providers=other, rate_limit={"openai": limit}) as client:
        started = time.monotonic()
        for _ in range(4):
            client.chat("groq/llama", MESSAGES)  # no limit for groq
        assert time.monotonic() - started < 0.28


def test_metrics_count_requests_attempts_and_retries(server: LoopbackServer) -> None:
    play(server)
    server.fail("POST", CHAT, status=429, headers={"retry-after": "0"})
    metrics = fluent_ai.Metrics()
    with Client(providers=providers(server), metrics=metrics, retry=FAST) as client:
        client.chat(OPENAI, MESSAGES)
        client.stream(OPENAI, MESSAGES, tools=TOOLS).collect()
    snapshot = metrics.snapshot()
    counters = snapshot["counters"]
    assert counters["fluent_ai_requests"] == {
        "operation=chat,outcome=ok,provider=openai": 1.0,
        "operation=stream,outcome=ok,provider=openai": 1.0,
    }
    attempts = counters["fluent_ai_http_attempts"]
    assert attempts["operation=chat,provider=openai,status=429"] == 1.0
    assert attempts["operation=chat,provider=openai,status=200"] == 1.0
    assert counters["fluent_ai_retries"] == {"operation=chat,provider=openai": 1.0}
    assert counters["fluent_ai_stream_events"]["dialect=openai-chat,event=ToolCallDone"] == 2.0
    histograms = snapshot["histograms"]
    assert histograms["fluent_ai_request_seconds"]["operation=chat,provider=openai"]["count"] == 1
    assert histograms["fluent_ai_stream_first_event_seconds"]["provider=openai"]["count"] == 1
    in_flight = snapshot["gauges"]["fluent_ai_requests_in_flight"]["provider=openai"]
    assert in_flight == {"value": 0.0, "peak": 1.0}


def test_stream_interrupted_pickles() -> None:
    cls = e.stream_interrupted(e.TimeoutError)
    error = cls("late", provider="openai", partial_text="par", tool_calls=["x"])
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert isinstance(copy, e.TimeoutError)
    assert (copy.partial_text, copy.tool_calls, copy.provider) == ("par", ["x"], "openai")
    assert e.stream_interrupted(e.APIError) is e.StreamInterrupted
    assert e.stream_interrupted(ValueError) is e.StreamInterrupted
