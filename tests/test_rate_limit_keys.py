"""Rate limits are a token bucket per provider and API key: two keys of one provider never
share a bucket, calls with the same key always do. Checked on ``RateLimiters`` with a manual
clock, and through ``Client`` against a loopback server (waits read from the metrics)."""

# The fixture server comes from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import threading

import pytest
from client_helpers import server  # noqa: F401
from fake_providers import OPENAI_TOOLS_WHOLE
from loopback import LoopbackServer

import fluent_ai
from fluent_ai import Client, RateLimit
from fluent_ai.resilience import RateLimiters

MESSAGES = [{"role": "user", "content": "Hi"}]
CHAT = "/v1/chat/completions"


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_two_keys_of_one_provider_have_their_own_buckets() -> None:
    clock = ManualClock()
    limiters = RateLimiters(RateLimit(requests_per_second=2, burst=1), clock)
    assert limiters.reserve("openai", "key-a") == 0.0
    assert limiters.reserve("openai", "key-b") == 0.0
    assert limiters.reserve("openai", None) == 0.0  # no key is a key of its own
    # The same key shares its bucket: the next token is half a second away.
    assert limiters.reserve("openai", "key-a") == pytest.approx(0.5)
    assert limiters.reserve("openai", "key-b") == pytest.approx(0.5)
    assert limiters.reserve("openai", "key-a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiters.reserve("openai", "key-b") == pytest.approx(0.0)
    assert limiters.reserve("openai", "key-a") == pytest.approx(0.5)


def test_the_same_key_of_two_providers_has_two_buckets() -> None:
    limiters = RateLimiters(RateLimit(requests_per_second=1, burst=2), ManualClock())
    for provider in ("openai", "groq", "anthropic"):
        assert limiters.reserve(provider, "shared") == 0.0
        assert limiters.reserve(provider, "shared") == 0.0
        assert limiters.reserve(provider, "shared") == pytest.approx(1.0)


def test_a_mapping_limits_only_the_providers_it_names() -> None:
    limiters = RateLimiters({"openai": RateLimit(requests_per_second=1)}, ManualClock())
    assert [limiters.reserve("openai", "k") for _ in range(2)] == [0.0, pytest.approx(1.0)]
    assert [limiters.reserve("groq", "k") for _ in range(5)] == [0.0] * 5


def test_keys_that_share_a_prefix_or_differ_by_case_are_distinct() -> None:
    limiters = RateLimiters(RateLimit(requests_per_second=1), ManualClock())
    keys = ["sk-abc", "sk-abcd", "SK-ABC", "sk-abc ", ""]
    assert [limiters.reserve("openai", k) for k in keys] == [0.0] * len(keys)


def test_concurrent_callers_of_one_key_are_spaced_and_other_keys_are_not() -> None:
    clock = ManualClock()
    limiters = RateLimiters(RateLimit(requests_per_second=10, burst=1), clock)
    waits: dict[str, list[float]] = {"a": [], "b": []}

    def take(key: str) -> None:
        for _ in range(20):
            waits[key].append(limiters.reserve("openai", key))

    threads = [threading.Thread(target=take, args=(k,)) for k in ("a", "a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 40 reservations of key a: each 0.1 s after the previous; key b's 20 are on their own.
    assert sorted(waits["a"]) == pytest.approx([i / 10 for i in range(40)])
    assert sorted(waits["b"][:20]) == pytest.approx([i / 10 for i in range(20)])


def waits_of(metrics: fluent_ai.Metrics) -> int:
    histogram = metrics.snapshot()["histograms"].get("fluent_ai_rate_limit_wait_seconds", {})
    return int(sum(series["count"] for series in histogram.values()))


def test_clients_with_two_keys_do_not_wait_for_each_other(server: LoopbackServer) -> None:
    server.reset()
    server.json("POST", CHAT, OPENAI_TOOLS_WHOLE)
    limit = RateLimit(requests_per_second=1, burst=1)
    clients = []
    for key in ("key-a", "key-b"):
        providers = {"openai": {"base_url": server.url + "/v1", "api_key": key}}
        clients.append(Client(providers=providers, rate_limit=limit, metrics=fluent_ai.Metrics()))
    first, second = clients
    with first, second:
        first.chat("openai/gpt-4o", MESSAGES)
        second.chat("openai/gpt-4o", MESSAGES)
        assert (waits_of(first.metrics), waits_of(second.metrics)) == (0, 0)
        # The same key again: its bucket is empty, so this call waits for a token.
        first.chat("openai/gpt-4o", MESSAGES)
        assert waits_of(first.metrics) == 1
        assert waits_of(second.metrics) == 0
    assert server.count(CHAT) == 3
