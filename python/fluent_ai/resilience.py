"""Retries, circuit breakers, rate limits and deadlines for the clients (no HTTP here).

The rules follow the official OpenAI and Anthropic SDKs (../shared/spec/providers.md §2.6):
a request is retried on connection errors and on HTTP 408, 409, 429 and 5xx, unless the
response says ``x-should-retry: false`` (and always when it says ``true``). The wait is the
provider's ``retry-after-ms`` / ``retry-after`` when it gives one of at most
``RetryPolicy.max_retry_after`` seconds, otherwise exponential backoff with full jitter:
``uniform(0, min(backoff_max, backoff_base * 2**attempt))``. A wait that would pass the call's
total deadline is not taken: the error is raised at once.

The sync clients bound a blocked socket read with :class:`Watchdog` (one daemon thread for the
process), since httpx fixes a stream's read timeout when the body starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import math
import os
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable, Union

from ._backend import core
from ._signatures import guard_signatures
from ._validation import INT64_MAX, MAX_SECONDS, check_count, check_number
from .errors import CircuitOpenError

__all__ = [
    "Alarm",
    "BreakerPolicy",
    "Breakers",
    "Deadline",
    "RateLimit",
    "RateLimiters",
    "RetryPolicy",
    "TokenBucket",
    "Watchdog",
    "should_retry",
]

Clock = Callable[[], float]

# Bounds of a retry policy: more retries than this would hammer a failing provider for ever
# (and bill each answer that did arrive), and a wait longer than a day is a typo; both are
# refused when the policy (or the client's / a call's ``max_retries``) is made.
MAX_RETRIES = 100
MAX_RETRY_WAIT = 86400.0


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried (see the module documentation).

    ``max_retries`` is the number of retries after the first attempt; ``backoff_base`` and
    ``backoff_max`` (seconds) shape the exponential backoff; a ``retry-after`` longer than
    ``max_retry_after`` seconds is ignored in favour of the backoff.
    """

    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        check_count("RetryPolicy.max_retries", self.max_retries, maximum=MAX_RETRIES)
        for name in ("backoff_base", "backoff_max", "max_retry_after"):
            check_number(
                f"RetryPolicy.{name}", getattr(self, name), minimum=0.0, maximum=MAX_RETRY_WAIT
            )

    def delay(
        self, attempt: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
        if retry_after is not None and 0 <= retry_after <= self.max_retry_after:
            return retry_after
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** min(attempt, 62))
        return (rng or random).uniform(0.0, ceiling)


def should_retry(status: int | None, headers: Mapping[str, str] | None = None) -> bool:
    """Whether a failure is worth retrying: ``status`` ``None`` is a connection failure."""
    flag = (headers or {}).get("x-should-retry", "").strip().lower()
    if flag == "true":
        return True
    if flag == "false":
        return False
    return status is None or status in (408, 409, 429) or status >= 500


class Deadline:
    """The end of a call's ``total`` time (``None``: no end)."""

    __slots__ = ("_clock", "end", "started")

    def __init__(self, total: float | None, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.end = math.inf if total is None else self.started + total

    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` without a deadline."""
        if self.end == math.inf:
            return None
        return max(0.0, self.end - self._clock())

    def elapsed(self) -> float:
        return self._clock() - self.started

    def allows(self, seconds: float) -> bool:
        """Whether waiting ``seconds`` still ends before the deadline."""
        return self._clock() + seconds < self.end

    def cap(self, seconds: float | None) -> float | None:
        """``seconds`` cut to the time left (``None`` stays ``None`` without a deadline)."""
        left = self.remaining()
        if seconds is None:
            return left
        return seconds if left is None else min(seconds, left)


# --- Circuit breakers ----------------------------------------------------------------------


@dataclass(frozen=True)
class BreakerPolicy:
    """Settings of the circuit breaker kept for each provider endpoint (see
    ``fluent_ai.CircuitBreaker``): ``failure_threshold`` consecutive failures (connection
    errors, timeouts, HTTP 5xx) open it for ``recovery_time`` seconds."""

    failure_threshold: int = 5
    recovery_time: float = 30.0
    half_open_max_calls: int = 1

    def __post_init__(self) -> None:
        check_count("BreakerPolicy.failure_threshold", self.failure_threshold, minimum=1)
        check_number("BreakerPolicy.recovery_time", self.recovery_time, minimum=0.0)
        check_count("BreakerPolicy.half_open_max_calls", self.half_open_max_calls, minimum=1)


class _Breaker:
    """One endpoint's ``CircuitBreaker`` plus when it last opened (for ``retry_after``)."""

    __slots__ = ("_clock", "_opened_at", "_recovery", "breaker")

    def __init__(self, policy: BreakerPolicy, clock: Clock) -> None:
        self.breaker = core.CircuitBreaker(
            policy.failure_threshold, policy.recovery_time, policy.half_open_max_calls, clock
        )
        self._clock = clock
        self._recovery = policy.recovery_time
        self._opened_at = -math.inf

    def check(self, provider: str) -> None:
        """Raises :class:`CircuitOpenError` when no call may go now."""
        if self.breaker.allow():
            return
        wait = max(0.0, self._opened_at + self._recovery - self._clock())
        raise CircuitOpenError(
            f"the circuit breaker of {provider!r} is open after repeated failures; "
            f"the next trial call is allowed in {wait:.1f}s",
            provider=provider,
            retry_after=wait,
        )

    def success(self) -> None:
        self.breaker.record_success()

    def failure(self) -> None:
        self.breaker.record_failure()
        if self.breaker.state == "open":
            self._opened_at = self._clock()


class Breakers:
    """The circuit breakers of one client, one per endpoint key (created on first use);
    ``policy=None`` disables them."""

    def __init__(self, policy: BreakerPolicy | None, clock: Clock = time.monotonic) -> None:
        self._policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._breakers: dict[str, _Breaker] = {}

    def get(self, endpoint: str) -> _Breaker | None:
        if self._policy is None:
            return None
        breaker = self._breakers.get(endpoint)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.get(endpoint)
                if breaker is None:
                    breaker = _Breaker(self._policy, self._clock)
                    self._breakers[endpoint] = breaker
        return breaker

    def state(self, endpoint: str) -> str:
        """``closed``, ``open`` or ``half_open`` (``closed`` for an endpoint never used)."""
        breaker = self._breakers.get(endpoint)
        return "closed" if breaker is None else str(breaker.breaker.state)


# --- Rate limits ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """A client-side limit of ``requests_per_second`` per API key, with bursts of ``burst``
    requests (a token bucket). Calls over the limit wait for their turn."""

    requests_per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        # At least one request a year: a slower rate makes one wait longer than any clock or
        # sleep can count (``OverflowError`` in ``time.sleep``).
        check_number(
            "RateLimit.requests_per_second", self.requests_per_second, minimum=1 / MAX_SECONDS
        )
        check_count("RateLimit.burst", self.burst, minimum=1, maximum=INT64_MAX)


RateLimits = Union[RateLimit, Mapping[str, RateLimit], None]


class TokenBucket:
    """A thread-safe token bucket. :meth:`reserve` takes a token, going into debt when none
    is left, and returns how long the caller must wait for it: callers are served in the
    order they reserve."""

    __slots__ = ("_clock", "_lock", "_rate", "_size", "_tokens", "_updated")

    def __init__(self, limit: RateLimit, clock: Clock = time.monotonic) -> None:
        self._rate = limit.requests_per_second
        self._size = float(limit.burst)
        self._tokens = float(limit.burst)
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._size, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self._rate


class RateLimiters:
    """The token buckets of one client: one per provider and API key. ``limits`` is one
    :class:`RateLimit` for every provider, a mapping of provider name to limit, or ``None``."""

    def __init__(self, limits: RateLimits, clock: Clock = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def reserve(self, provider: str, api_key: str | None) -> float:
        """Seconds to wait before sending a request to ``provider`` with ``api_key``."""
        limit = self._limit(provider)
        if limit is None:
            return 0.0
        # Buckets are keyed by a digest: the key itself is not kept in another place.
        digest = hashlib.sha256((api_key or "").encode()).hexdigest()[:16]
        with self._lock:
            bucket = self._buckets.get((provider, digest))
            if bucket is None:
                bucket = self._buckets[(provider, digest)] = TokenBucket(limit, self._clock)
        return bucket.reserve()

    def _limit(self, provider: str) -> RateLimit | None:
        if self._limits is None or isinstance(self._limits, RateLimit):
            return self._limits
        return self._limits.get(provider)


# --- Watchdog for blocking reads -----------------------------------------------------------


class Alarm:
    """A deadline for the blocking reads of one response on one thread.

    The reading thread moves ``deadline`` (:meth:`set`, :meth:`clear`); when it passes, the
    watchdog thread sets ``fired`` and calls ``interrupt`` (which shuts the socket down, so the
    blocked read returns). ``reason`` says which limit it was.
    """

    __slots__ = ("_scheduled", "_watchdog", "deadline", "done", "fired", "interrupt", "reason")

    def __init__(self, watchdog: Watchdog, interrupt: Callable[[], None]) -> None:
        self._watchdog = watchdog
        self._scheduled = math.inf
        self.deadline = math.inf
        self.interrupt = interrupt
        self.fired = False
        self.done = False
        self.reason = ""

    def set(self, deadline: float, reason: str) -> None:
        if deadline >= self._scheduled and not self.fired:
            # The watchdog wakes at the earlier time and looks again: no lock, nothing queued.
            # The reason goes first, so a deadline the thread sees has its reason.
            self.reason = reason
            self.deadline = deadline
            return
        self._watchdog.arm(self, deadline, reason)

    def clear(self) -> None:
        """No limit while the caller, not the network, has the turn."""
        if not self.fired:
            # A later deadline only ever delays the thread (see ``set``): no lock needed.
            self.deadline = math.inf

    def cancel(self) -> None:
        self.done = True
        self.deadline = math.inf
        # The watchdog's heap keeps the alarm until its time comes: it must not keep the
        # response (and its connection) alive that long.
        self.interrupt = _nothing


def _nothing() -> None:
    pass


class Watchdog:
    """One daemon thread that fires :class:`Alarm` objects whose deadline passed."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Alarm]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def alarm(self, interrupt: Callable[[], None]) -> Alarm:
        return Alarm(self, interrupt)

    def arm(self, alarm: Alarm, deadline: float, reason: str) -> None:
        """Moves ``alarm``'s deadline (under the lock, so the thread never misses a change)."""
        with self._cond:
            if alarm.fired:
                # Its socket is shut down: the reading thread reports the limit that fired, not
                # the one it moved to after an event that arrived as the alarm went off.
                return
            alarm.deadline = deadline
            alarm.reason = reason
            if deadline >= alarm._scheduled:
                return  # the thread wakes at the earlier time and looks again
            alarm._scheduled = deadline
            heapq.heappush(self._heap, (deadline, next(self._order), alarm))
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="fluent-ai-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            alarm = self._next_due()
            # A socket already closed is fine: the read it would have ended is over.
            with contextlib.suppress(Exception):
                alarm.interrupt()

    def _next_due(self) -> Alarm:
        with self._cond:
            while True:
                if not self._heap:
                    self._cond.wait()
                    continue
                when, _, alarm = self._heap[0]
                now = self._clock()
                if when > now:
                    self._cond.wait(when - now)
                    continue
                heapq.heappop(self._heap)
                if alarm._scheduled == when:
                    alarm._scheduled = math.inf
                if alarm.done or alarm.fired:
                    continue
                if alarm.deadline > now:
                    if alarm.deadline < alarm._scheduled and alarm.deadline != math.inf:
                        alarm._scheduled = alarm.deadline
                        heapq.heappush(self._heap, (alarm.deadline, next(self._order), alarm))
                    continue
                alarm.fired = True
                return alarm


WATCHDOG = Watchdog()
"""The process's watchdog (its thread starts on the first scheduled alarm)."""


# A misspelt keyword raises UnknownArgumentError (with the close match), not a bare TypeError.
for _policy in (RetryPolicy, BreakerPolicy, RateLimit):
    guard_signatures(_policy)
