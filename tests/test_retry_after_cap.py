"""``RetryPolicy.max_retry_after``: a provider's ``retry-after`` up to the cap is the wait; a
longer one is replaced by the policy's backoff. Checked on the policy itself (seeded random
source, no clock) and end to end against a loopback server answering 429, where the wait
taken is read from the client's log line (no timing assertion that could flake)."""

# The fixtures server and mode come from client_helpers (imported by name).
# ruff: noqa: F811

from __future__ import annotations

import logging
import random
import re
import time

import pytest
from client_helpers import Runner, mode, server  # noqa: F401
from fake_providers import KEY, OPENAI_TOOLS_WHOLE
from loopback import LoopbackServer

from fluent_ai import RetryPolicy, Timeout
from fluent_ai import errors as e

MESSAGES = [{"role": "user", "content": "Hi"}]
CHAT = "/v1/chat/completions"


def backoff(policy: RetryPolicy, attempt: int, seed: int) -> float:
    ceiling = min(policy.backoff_max, policy.backoff_base * 2.0**attempt)
    return random.Random(seed).uniform(0.0, ceiling)


@pytest.mark.parametrize("attempt", [0, 1, 4])
def test_a_retry_after_up_to_the_cap_is_the_wait(attempt: int) -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=8.0, max_retry_after=10.0)
    for retry_after in (0.0, 0.25, 9.999, 10.0):
        assert policy.delay(attempt, retry_after, random.Random(7)) == retry_after


@pytest.mark.parametrize("attempt", [0, 1, 4])
def test_a_retry_after_over_the_cap_is_replaced_by_the_backoff(attempt: int) -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=8.0, max_retry_after=10.0)
    for retry_after in (10.001, 11.0, 3600.0):
        for seed in range(5):
            delay = policy.delay(attempt, retry_after, random.Random(seed))
            assert delay == backoff(policy, attempt, seed)
            assert delay <= min(8.0, 0.5 * 2**attempt)


def test_a_cap_of_zero_honours_only_zero() -> None:
    policy = RetryPolicy(backoff_base=0.001, backoff_max=0.001, max_retry_after=0.0)
    assert policy.delay(0, 0.0) == 0.0
    assert policy.delay(0, 0.5) <= 0.001


def test_a_negative_retry_after_is_ignored() -> None:
    policy = RetryPolicy(backoff_base=0.001, backoff_max=0.001)
    assert 0.0 <= policy.delay(0, -5.0) <= 0.001


def waits_logged(records: list[logging.LogRecord]) -> list[float]:
    """The waits the client announced ("retrying openai chat in 0.123s ...")."""
    found = (re.search(r" in (\d+\.\d+)s ", r.getMessage()) for r in records)
    return [float(m.group(1)) for m in found if m]


def answer_after_429(server: LoopbackServer, headers: dict[str, str]) -> None:
    server.reset()
    server.json("POST", CHAT, OPENAI_TOOLS_WHOLE)
    server.fail("POST", CHAT, status=429, headers=headers)


def runner(server: LoopbackServer, mode: str, policy: RetryPolicy) -> Runner:
    providers = {"openai": {"base_url": server.url + "/v1", "api_key": KEY}}
    # The total deadline is shorter than the over-the-cap retry-after: were the cap ignored,
    # the call would refuse that wait and raise RateLimitError at once.
    return Runner(mode, providers=providers, retry=policy, timeout=Timeout(connect=2, total=20))


def test_over_the_cap_the_client_waits_the_backoff(
    server: LoopbackServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    answer_after_429(server, {"retry-after": "30"})
    policy = RetryPolicy(max_retries=1, backoff_base=0.01, backoff_max=0.02, max_retry_after=1)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="fluent_ai"):
        response = runner(server, mode, policy).chat("openai/gpt-4o", MESSAGES)
    assert response.finish_reason == "tool_calls"
    assert server.count(CHAT) == 2
    waits = waits_logged(caplog.records)
    assert len(waits) == 1 and waits[0] <= 0.02, waits
    assert time.monotonic() - started < 15  # far from the 30 s the server asked for


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after-ms": "300"}, 0.3), ({"retry-after": "0.25"}, 0.25), ({"retry-after": "1"}, 1)],
)
def test_within_the_cap_the_client_waits_what_the_server_asked(
    server: LoopbackServer,
    mode: str,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    expected: float,
) -> None:
    answer_after_429(server, headers)
    # A backoff that could never produce the expected wait: the wait is the server's.
    policy = RetryPolicy(max_retries=1, backoff_base=0.001, backoff_max=0.001, max_retry_after=1)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="fluent_ai"):
        response = runner(server, mode, policy).chat("openai/gpt-4o", MESSAGES)
    assert response.finish_reason == "tool_calls"
    assert waits_logged(caplog.records) == [expected]
    assert time.monotonic() - started >= expected  # a sleep never ends early


def test_over_the_cap_without_retries_left_raises_with_the_servers_value(
    server: LoopbackServer, mode: str
) -> None:
    answer_after_429(server, {"retry-after": "30"})
    policy = RetryPolicy(max_retries=0, max_retry_after=1)
    with pytest.raises(e.RateLimitError) as caught:
        runner(server, mode, policy).chat("openai/gpt-4o", MESSAGES)
    assert caught.value.retry_after == 30
    assert server.count(CHAT) == 1
