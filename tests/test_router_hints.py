"""Providers' rate-limit headers as the router reads them (``fluent_ai/router/_hints.py``):
OpenAI-style durations, Anthropic's RFC 3339 resets, ``retry-after`` in seconds, as an HTTP
date and in milliseconds; a pause only when nothing (or too little) is left."""

from __future__ import annotations

import email.utils

import pytest

from fluent_ai.router._hints import MAX_PAUSE, parse_duration, pause_from_headers

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("2m59.56s", 179.56),
        ("1h2m3s", 3723.0),
        ("0.5", 0.5),
        ("7", 7.0),
        ("", None),
        ("soon", None),
        ("1s garbage", None),
        ("5x", None),
    ],
)
def test_durations(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == (None if seconds is None else pytest.approx(seconds))


def test_openai_requests_left_zero_pauses_until_the_reset() -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.5s"}
    assert pause_from_headers(headers, 10, NOW) == pytest.approx(1.5)
    headers["x-ratelimit-remaining-requests"] = "1"  # one left: go on
    assert pause_from_headers(headers, 10, NOW) == 0.0


def test_too_few_tokens_left_for_the_next_call() -> None:
    headers = {"x-ratelimit-remaining-tokens": "99", "x-ratelimit-reset-tokens": "250ms"}
    assert pause_from_headers(headers, 100, NOW) == pytest.approx(0.25)
    assert pause_from_headers(headers, 99, NOW) == 0.0


def test_anthropic_resets_are_times() -> None:
    reset = "2027-01-15T08:00:03Z"
    now = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    headers = {
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": reset,
    }
    assert pause_from_headers(headers, 1, now) == pytest.approx(3.0)
    headers = {
        "anthropic-ratelimit-input-tokens-remaining": "10",
        "anthropic-ratelimit-input-tokens-reset": "2027-01-15T08:00:01+00:00",
    }
    assert pause_from_headers(headers, 50, now) == pytest.approx(1.0)


def test_retry_after_forms_and_the_cap() -> None:
    assert pause_from_headers({"retry-after": "2"}, 1, NOW) == 2.0
    assert pause_from_headers({"retry-after-ms": "300"}, 1, NOW) == pytest.approx(0.3)
    date = email.utils.formatdate(NOW + 4, usegmt=True)
    assert pause_from_headers({"retry-after": date}, 1, NOW) == pytest.approx(4.0)
    assert pause_from_headers({"retry-after": "86400"}, 1, NOW) == MAX_PAUSE
    assert pause_from_headers({"retry-after": "later"}, 1, NOW) == 0.0


def test_an_unknown_reset_pauses_one_second_and_nothing_else_pauses() -> None:
    assert pause_from_headers({"x-ratelimit-remaining-requests": "0"}, 1, NOW) == 1.0
    assert pause_from_headers({"x-ratelimit-remaining-requests": "n/a"}, 1, NOW) == 0.0
    assert pause_from_headers({"content-type": "application/json"}, 1, NOW) == 0.0
