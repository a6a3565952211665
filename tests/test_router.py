"""The router with its default in-memory state, against loopback providers: failover on
5xx/429/timeouts and the return after the cooldown, the never-replay rule of streams,
fallbacks across aliases (context window, content policy), strategies, budgets, providers'
rate-limit headers, and what a route records (sync and async)."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest
import trio
from router_helpers import USER, Provider, deployment

from fluent_ai import BreakerPolicy, Metrics, Timeout
from fluent_ai.errors import (
    ArgumentTypeError,
    BadRequestError,
    CircuitOpenError,
    ContextWindowExceededError,
    InvalidArgumentError,
    RateLimitError,
    ServerError,
    StreamInterrupted,
)
from fluent_ai.router import AsyncRouter, MemoryState, RedisState, Router
from fluent_ai.router._state import View

FAST = BreakerPolicy(failure_threshold=1, recovery_time=0.6)


@pytest.fixture
def make() -> Iterator[Callable[..., Provider]]:
    made: list[Provider] = []

    def factory(name: str, **fields: Any) -> Provider:
        made.append(Provider(name, **fields))
        return made[-1]

    yield factory
    for provider in made:
        provider.close()


class _Loop:
    """One event loop in a thread for a test's async routers (their connections belong to it),
    and every router made, closed at the end."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.routers: list[Any] = []

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def close(self) -> None:
        for router in self.routers:
            if isinstance(router, Router):
                router.close()
            else:
                self.run(router.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


_LOOP: list[_Loop] = []


@pytest.fixture(autouse=True)
def loop() -> Iterator[_Loop]:
    runner = _Loop()
    _LOOP.append(runner)
    yield runner
    _LOOP.remove(runner)
    runner.close()


def _router(kind: str, model_list: Any, **options: Any) -> Any:
    options.setdefault("breaker", FAST)
    options.setdefault("metrics", Metrics())
    router = (Router if kind == "sync" else AsyncRouter)(model_list, **options)
    _LOOP[-1].routers.append(router)
    return router


def _chat(router: Any, alias: str = "m", **options: Any) -> Any:
    if isinstance(router, Router):
        return router.chat(alias, USER, **options)
    return _LOOP[-1].run(router.chat(alias, USER, **options))


def _stream(router: Any, alias: str = "m") -> tuple[list[Any], Any, BaseException | None]:
    """The events the caller got, the stream, and the error raised (if any)."""
    events: list[Any] = []
    if isinstance(router, Router):
        stream = router.stream(alias, USER)
        try:
            with stream:
                for event in stream:
                    events.append(event)
        except Exception as error:
            return events, stream, error
        return events, stream, None

    async def run() -> tuple[list[Any], Any, BaseException | None]:
        stream = router.stream(alias, USER)
        try:
            async with stream:
                async for event in stream:
                    events.append(event)
        except Exception as error:
            return events, stream, error
        return events, stream, None

    return _LOOP[-1].run(run())


KINDS = ["sync", "async"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", ["503", "429", "timeout", "refused"])
def test_traffic_moves_away_from_a_failing_deployment_and_comes_back(
    make: Callable[..., Provider], kind: str, fault: str
) -> None:
    a, b = make("a"), make("b")
    router = _router(
        kind,
        {"m": [deployment(a), deployment(b)]},
        strategy="round_robin",
        timeout=Timeout(connect=1, total=1.0),
    )
    if fault == "503":
        a.mode, a.status = "status", 503
    elif fault == "429":
        a.mode, a.status, a.headers = "status", 429, {"retry-after": "0.6"}
    elif fault == "timeout":
        a.mode, a.stall = "stall", 2.5
    else:
        a.server.close()
    answers = [_chat(router) for _ in range(6)]
    assert {r.route.deployment for r in answers} == {"b"}
    # The first call tried a, then b; later calls skip a while it cools down.
    assert [t.deployment for t in answers[0].route.attempts] == ["a", "b"]
    assert answers[0].route.attempts[0].reason == "error"
    assert answers[0].text == "from b"
    assert all(r.route.attempts[-1].outcome == "ok" for r in answers)
    sent_to_a = a.received
    assert sent_to_a <= 3, "a cooling deployment kept getting traffic"
    assert any(r.route.skipped.get("a") in ("cooling", "paused") for r in answers[1:])
    if fault == "refused":
        return
    a.mode = "ok"
    time.sleep(0.65)  # the cooldown (breaker recovery_time, or the retry-after)
    back = [_chat(router).route.deployment for _ in range(4)]
    assert "a" in back, f"traffic never came back to a: {back}"


@pytest.mark.parametrize("kind", KINDS)
def test_a_request_error_is_not_failed_over(make: Callable[..., Provider], kind: str) -> None:
    a, b = make("a", mode="status", status=400), make("b")
    a.error = {"error": {"message": "messages: bad role", "type": "invalid_request_error"}}
    router = _router(kind, {"m": [deployment(a, priority=0), deployment(b, priority=1)]})
    with pytest.raises(BadRequestError) as caught:
        _chat(router)
    assert b.received == 0
    assert [t.deployment for t in caught.value.route.attempts] == ["a"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", KINDS)
def test_stream_fails_over_only_before_the_first_event(
    make: Callable[..., Provider], kind: str
) -> None:
    a, b = make("a", mode="status", status=502), make("b")
    router = _router(kind, {"m": [deployment(a, priority=0), deployment(b, priority=1)]})
    events, stream, error = _stream(router)
    assert error is None
    texts = [e.text for e in events if type(e).__name__ == "TextDelta"]
    assert texts == ["from b", "!"]  # only b's events reached the caller
    assert stream.response.text == "from b!"
    assert stream.response.route.deployment == "b"
    assert [t.deployment for t in stream.route.attempts] == ["a", "b"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_cut_after_its_first_event_is_not_replayed(
    make: Callable[..., Provider], kind: str
) -> None:
    a, b = make("a", mode="cut"), make("b")
    router = _router(kind, {"m": [deployment(a, priority=0), deployment(b, priority=1)]})
    events, _, error = _stream(router)
    assert isinstance(error, StreamInterrupted)
    assert error.partial_text == "from a"
    assert [e.text for e in events if type(e).__name__ == "TextDelta"] == ["from a"]
    assert b.received == 0, "the stream was replayed on another deployment"
    assert [t.deployment for t in error.route.attempts] == ["a"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", KINDS)
def test_fallback_aliases_context_window_and_content_policy(
    make: Callable[..., Provider], kind: str
) -> None:
    small, big, safe, other = make("small"), make("big"), make("safe"), make("other")
    router = _router(
        kind,
        {
            "m": [deployment(small)],
            "big": [deployment(big)],
            "safe": [deployment(safe)],
            "other": [deployment(other)],
        },
        fallbacks={"m": ["other"]},
        context_window_fallbacks={"m": ["big"]},
        content_policy_fallbacks={"m": ["safe"]},
    )
    small.mode, small.status = "status", 400
    small.error = {
        "error": {
            "message": "This model's maximum context length is 8192 tokens",
            "code": "context_length_exceeded",
            "type": "invalid_request_error",
        }
    }
    answer = _chat(router)
    assert answer.text == "from big" and answer.route.attempts[0].reason == "context_window"
    small.error = {
        "error": {
            "message": "Your request was rejected by our content_policy",
            "code": "content_policy_violation",
            "type": "invalid_request_error",
        }
    }
    answer = _chat(router)
    assert answer.text == "from safe" and answer.route.attempts[0].reason == "content_policy"
    assert other.received == 0
    small.mode, small.status, small.error = "status", 500, None
    answer = _chat(router)
    assert answer.text == "from other"
    assert [t.alias for t in answer.route.attempts] == ["m", "other"]


def test_context_window_error_without_a_fallback_is_raised(make: Callable[..., Provider]) -> None:
    small, twin = make("small", mode="status", status=400), make("twin")
    small.error = {
        "error": {"message": "maximum context length exceeded", "code": "context_length_exceeded"}
    }
    router = _router("sync", {"m": [deployment(small, priority=0), deployment(twin, priority=1)]})
    with pytest.raises(ContextWindowExceededError):
        _chat(router)
    assert twin.received == 0


def test_every_deployment_cooling_raises_circuit_open_without_sending(
    make: Callable[..., Provider],
) -> None:
    a = make("a", mode="status", status=500)
    router = _router(
        "sync", {"m": [deployment(a)]}, breaker=BreakerPolicy(failure_threshold=1, recovery_time=30)
    )
    with pytest.raises(ServerError):
        _chat(router)
    before = a.received
    with pytest.raises(CircuitOpenError) as caught:
        _chat(router)
    assert a.received == before
    assert caught.value.retry_after is not None and 29 < caught.value.retry_after <= 30
    assert router.circuit_state("a") == "open"


def test_strategies(make: Callable[..., Provider]) -> None:
    a, b, c = make("a"), make("b", delay=0.2), make("c")
    models = {"m": [deployment(a), deployment(b), deployment(c, weight=0)]}
    rr = _router("sync", models, strategy="round_robin")
    assert [_chat(rr).route.deployment for _ in range(6)] == ["a", "b", "c"] * 2
    weighted = _router("sync", models)
    assert "c" not in {_chat(weighted).route.deployment for _ in range(30)}
    fast = _router("sync", models, strategy="lowest_latency")
    chosen = [_chat(fast).route.deployment for _ in range(12)]
    assert chosen.count("b") <= 2, chosen  # tried once (unknown latency), then avoided
    cheap = _router(
        "sync",
        {"m": [deployment(a, model="openai/gpt-4.1"), deployment(b, model="openai/gpt-4.1-mini")]},
        strategy="lowest_cost",
    )
    assert {_chat(cheap).route.deployment for _ in range(4)} == {"b"}
    priority = _router("sync", {"m": [deployment(a, priority=1), deployment(b, priority=0)]})
    assert {_chat(priority).route.deployment for _ in range(5)} == {"b"}


def test_least_in_flight_spreads_concurrent_calls(make: Callable[..., Provider]) -> None:
    a, b = make("a", delay=0.2), make("b", delay=0.2)
    router = _router("sync", {"m": [deployment(a), deployment(b)]}, strategy="least_in_flight")

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(_chat(router).route.deployment))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
        # The second chooses once the first is in flight.
        end = time.monotonic() + 5
        while router.state.view(["a", "b"]) == [View(0.0, 0), View(0.0, 0)]:
            assert time.monotonic() < end
            time.sleep(0.005)
    for t in threads:
        t.join()
    assert sorted(results) == ["a", "b"]


@pytest.mark.parametrize("kind", KINDS)
def test_rpm_budget_raise_and_wait(make: Callable[..., Provider], kind: str) -> None:
    a = make("a")
    router = _router(kind, {"m": [deployment(a, rpm=3)]}, on_limit="raise", window=6.0)
    for _ in range(3):
        _chat(router)
    with pytest.raises(RateLimitError) as caught:
        _chat(router)
    assert a.received == 3
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 6.1
    waiting = _router(kind, {"m": [deployment(a, name="w", rpm=3)]}, window=0.6)
    started = time.monotonic()
    answers = [_chat(waiting) for _ in range(3)]
    three = time.monotonic() - started
    answers.append(_chat(waiting))
    assert time.monotonic() - started >= 0.6  # the 4th waited for the 1st to leave the window
    if three < 0.5:  # (a machine slower than that let the window pass by itself)
        assert answers[-1].route.waited > 0


def test_a_budget_over_one_deployment_moves_to_the_next(make: Callable[..., Provider]) -> None:
    a, b = make("a"), make("b")
    router = _router(
        "sync",
        {"m": [deployment(a, rpm=2, priority=0), deployment(b, priority=1)]},
        on_limit="raise",
    )
    chosen = [_chat(router).route.deployment for _ in range(5)]
    assert chosen == ["a", "a", "b", "b", "b"]
    assert a.received == 2


def test_tokens_budget_estimates_then_corrects_with_usage(make: Callable[..., Provider]) -> None:
    a = make("a")
    a.usage = {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}
    state = MemoryState()
    router = _router("sync", {"m": [deployment(a, tpm=45)]}, state=state, on_limit="raise")
    big = [{"role": "user", "content": "x" * 200}]  # ~60 tokens estimated: over 45
    with pytest.raises(RateLimitError) as caught:
        router.chat("m", big)
    assert caught.value.retry_after is None  # it can never fit
    for _ in range(4):
        router.chat("m", USER)  # ~16 estimated each, corrected to 10 used
    assert state.used("deployment:a:tpm") == 40
    with pytest.raises(RateLimitError):
        router.chat("m", USER)
    assert a.received == 4


def test_key_budget_is_shared_by_deployments_with_the_same_key(
    make: Callable[..., Provider],
) -> None:
    a, b = make("a"), make("b")
    models = {
        "m": [
            deployment(a, model="shared/m", key_rpm=3),
            deployment(b, model="shared/m", key_rpm=3),
        ]
    }
    router = _router("sync", models, on_limit="raise")
    for _ in range(3):
        _chat(router)
    with pytest.raises(RateLimitError):
        _chat(router)
    assert a.received + b.received == 3


def test_providers_rate_limit_headers_slow_down_before_a_429(make: Callable[..., Provider]) -> None:
    a, b = make("a"), make("b")
    a.answer_headers = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "400ms",
    }
    router = _router("sync", {"m": [deployment(a, priority=0), deployment(b, priority=1)]})
    assert _chat(router).route.deployment == "a"
    second = _chat(router)
    assert second.route.deployment == "b" and second.route.skipped == {"a": "paused"}
    assert a.received == 1
    a.answer_headers = {}
    time.sleep(0.45)
    assert _chat(router).route.deployment == "a"


def test_route_metrics_and_hooks(make: Callable[..., Provider]) -> None:
    a, b = make("a", mode="status", status=503), make("b")
    metrics = Metrics()
    seen: list[tuple[str, str]] = []
    routes: list[Any] = []
    router = _router(
        "sync",
        {"m": [deployment(a, priority=0), deployment(b, priority=1)]},
        metrics=metrics,
        on_attempt=lambda route, attempt: seen.append((attempt.deployment, attempt.outcome)),
        on_route=routes.append,
    )
    answer = _chat(router)
    assert seen == [("a", "ServerError"), ("b", "ok")]
    assert routes == [answer.route]
    assert answer.route.to_dict()["attempts"][0]["status"] == 503
    counters = metrics.snapshot()["counters"]
    assert counters["fluent_ai_router_attempts"] == {
        "alias=m,deployment=a,outcome=ServerError": 1.0,
        "alias=m,deployment=b,outcome=ok": 1.0,
    }
    assert counters["fluent_ai_router_failovers"] == {"alias=m,reason=error": 1.0}
    embedded = router.embed("m", ["x", "y"])
    assert embedded.route.deployment == "b" and len(embedded.embeddings) == 2
    cohere = deployment(b, name="rerank", model="co/rerank", dialect="cohere")
    reranker = _router("sync", {"r": [cohere]})
    ranked = reranker.rerank("r", "q", ["d1", "d2"])
    assert ranked.route.deployment == "rerank" and [r.index for r in ranked.results] == [0, 1]


def test_bad_arguments_name_what_was_wrong() -> None:
    with pytest.raises(InvalidArgumentError, match="strategy"):
        Router({"m": [{"model": "openai/x"}]}, strategy="fastest")
    with pytest.raises(InvalidArgumentError, match="model"):
        Router({"m": [{"model": "no-provider"}]})
    with pytest.raises(InvalidArgumentError, match="fallbacks"):
        Router({"m": [{"model": "openai/x"}]}, fallbacks={"m": ["nope"]})
    with pytest.raises(InvalidArgumentError, match="unique"):
        Router({"m": [{"model": "openai/x", "name": "d"}, {"model": "openai/y", "name": "d"}]})
    with pytest.raises(InvalidArgumentError, match="rpm"):
        Router({"m": [{"model": "openai/x", "rpm": 0}]})
    with pytest.raises(ArgumentTypeError, match="retries"):
        Router({"m": [{"model": "openai/x"}]}, retries="2")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="window"):
        Router({"m": [{"model": "openai/x"}]}, window=0)
    with pytest.raises(ArgumentTypeError, match="state"):
        Router({"m": [{"model": "openai/x"}]}, state="redis://x")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="on_limit"):
        Router({"m": [{"model": "openai/x"}]}, on_limit="block")
    router = _router(
        "sync",
        {
            "m": [
                {"model": "openai/x", "api_key": "sk-secret-value"},
                {"model": "openai/y", "settings": {"api_key": "sk-secret-value"}},
            ]
        },
    )
    with pytest.raises(InvalidArgumentError, match="not an alias"):
        router.chat("openai/x", USER)
    assert "sk-secret-value" not in repr(router) + repr(router.aliases)


def test_the_failover_example_runs() -> None:
    # The child imports fluent_ai as this process does (the installed wheel, or PYTHONPATH).
    env = dict(os.environ)
    done = subprocess.run(
        [sys.executable, "-m", "fluent_ai.examples.router_failover"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert "east down  'hello from west'      tried east:ConnectionError -> west:ok" in lines
    assert "recovered  'hello from east'      tried east:ok" in lines


def test_async_router_on_trio_with_the_memory_state(make: Callable[..., Provider]) -> None:
    a, b = make("a", mode="status", status=503), make("b")

    async def run() -> tuple[str, list[str]]:
        router = AsyncRouter(
            {"m": [deployment(a, priority=0), deployment(b, priority=1)]},
            breaker=FAST,
            metrics=Metrics(),
        )
        answer = await router.chat("m", USER)
        texts = []
        async with router.stream("m", USER) as stream:
            async for event in stream:
                if type(event).__name__ == "TextDelta":
                    texts.append(event.text)
        await router.aclose()
        return answer.text, texts

    assert trio.run(run) == ("from b", ["from b", "!"])


def test_a_bad_argument_is_raised_and_costs_no_budget(make: Callable[..., Provider]) -> None:
    a = make("a")
    state = MemoryState()
    router = _router("sync", {"m": [deployment(a, rpm=5, tpm=1000)]}, state=state)
    with pytest.raises(InvalidArgumentError, match="temperature"):
        router.chat("m", USER, temperature=7)
    assert a.received == 0
    assert state.used("deployment:a:rpm") == 0 and state.used("deployment:a:tpm") == 0


def test_an_abandoned_stream_is_released_at_once(make: Callable[..., Provider]) -> None:
    # A loop left with break and the stream dropped: no reference cycle keeps it, so the
    # deployment's connection and the in-flight count are released without the collector.
    a = make("a")
    metrics, state = Metrics(), MemoryState()
    router = _router("sync", {"m": [deployment(a)]}, metrics=metrics, state=state)
    closed: list[str] = []
    router._core.on_route = lambda route: closed.append(route.attempts[-1].outcome)
    gc.disable()
    try:
        for _ in range(20):
            stream = router.stream("m", USER)
            for _event in stream:
                break
            del stream
            assert state.view(["a"])[0].in_flight == 0
    finally:
        gc.enable()
    assert closed == ["closed"] * 20
    gauges = metrics.snapshot()["gauges"]["fluent_ai_requests_in_flight"]
    assert all(series["value"] == 0 for series in gauges.values())


def test_output_tokens_are_learned_so_real_use_stays_within_the_budget(
    make: Callable[..., Provider],
) -> None:
    # Each answer uses 100 tokens, a call is estimated at 13 before any answer: the first
    # answer teaches the router ~87 output tokens, so the third call (200 + 100 > 250) is
    # refused; estimating the input alone would have let it through (200 + 13) and used 300.
    a = make("a")
    a.usage = {"prompt_tokens": 10, "completion_tokens": 90, "total_tokens": 100}
    state = MemoryState()
    router = _router("sync", {"m": [deployment(a, tpm=250)]}, state=state, on_limit="raise")
    router.chat("m", USER)
    router.chat("m", USER)
    assert state.used("deployment:a:tpm") == 200
    with pytest.raises(RateLimitError):
        router.chat("m", USER)
    assert a.received == 2
    router.chat("m", USER, max_tokens=20)  # a call that bounds its output is estimated by it
    assert a.received == 3


def test_a_failed_call_gives_its_tokens_back_but_not_its_request(
    make: Callable[..., Provider],
) -> None:
    a, b = make("a", mode="status", status=503), make("b")
    state = MemoryState()
    models = {"m": [deployment(a, rpm=10, tpm=1000, priority=0), deployment(b, priority=1)]}
    router = _router("sync", models, state=state)
    assert _chat(router).route.deployment == "b"
    assert state.used("deployment:a:rpm") == 1
    assert state.used("deployment:a:tpm") == 0


def test_redis_state_without_the_redis_package_says_which_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if not installed
    with pytest.raises(ImportError, match=r"fluent-ai\[redis\]"):
        RedisState("redis://127.0.0.1:6379/0")


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_whose_first_event_is_an_error_fails_over(
    make: Callable[..., Provider], kind: str
) -> None:
    a, b = make("a", mode="error_event"), make("b")
    router = _router(kind, {"m": [deployment(a, priority=0), deployment(b, priority=1)]})
    events, stream, error = _stream(router)
    assert error is None, error
    assert [e.text for e in events if type(e).__name__ == "TextDelta"] == ["from b", "!"]
    assert not [e for e in events if type(e).__name__ == "ProviderErrorEvent"]
    attempt = stream.route.attempts[0]
    assert (attempt.deployment, attempt.reason) == ("a", "error")
