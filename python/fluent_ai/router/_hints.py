"""Providers' rate-limit headers, read to slow down before a 429.

OpenAI-style (OpenAI, Groq, Azure, Together, ...): ``x-ratelimit-remaining-requests`` /
``-tokens`` with ``x-ratelimit-reset-requests`` / ``-tokens`` as durations (``1s``, ``6m0s``,
``20ms``, ``2m59.56s``). Anthropic: ``anthropic-ratelimit-{requests,tokens,input-tokens,
output-tokens}-remaining`` with ``-reset`` as an RFC 3339 time. ``retry-after`` (seconds or an
HTTP date) and ``retry-after-ms`` on any answer.
"""

from __future__ import annotations

import datetime
import email.utils
import re
import time
from collections.abc import Mapping

__all__ = ["MAX_PAUSE", "parse_duration", "pause_from_headers"]

MAX_PAUSE = 60.0
"""The longest pause taken from headers (a provider's reset in hours is not waited for)."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float | None:
    """``6m0s`` -> 360.0, ``20ms`` -> 0.02, ``1.5`` -> 1.5; ``None`` when not a duration."""
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT[unit] for number, unit in parts)


def _until(text: str, now: float) -> float | None:
    """Seconds until an RFC 3339 or HTTP date, or a duration."""
    duration = parse_duration(text)
    if duration is not None:
        return duration
    try:
        when = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def _number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def pause_from_headers(
    headers: Mapping[str, str], next_tokens: float, now: float | None = None
) -> float:
    """Seconds to leave a deployment alone after an answer with ``headers`` (0: go on): the
    provider said no request, or fewer tokens than ``next_tokens``, are left before a reset,
    or asked to retry after a while. Capped at :data:`MAX_PAUSE`."""
    now = time.time() if now is None else now
    pause = 0.0
    for remaining, reset, needed in (
        ("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests", 1.0),
        ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens", next_tokens),
        ("anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset", 1.0),
        ("anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset", next_tokens),
        (
            "anthropic-ratelimit-input-tokens-remaining",
            "anthropic-ratelimit-input-tokens-reset",
            next_tokens,
        ),
    ):
        left = _number(headers, remaining)
        if left is None or left >= needed:
            continue
        text = headers.get(reset)
        wait = _until(text, now) if text else None
        pause = max(pause, 1.0 if wait is None else wait)
    retry_ms = _number(headers, "retry-after-ms")
    if retry_ms is not None and retry_ms > 0:
        pause = max(pause, retry_ms / 1000.0)
    elif headers.get("retry-after"):
        wait = _until(headers["retry-after"], now)
        if wait:
            pause = max(pause, wait)
    return min(pause, MAX_PAUSE)
