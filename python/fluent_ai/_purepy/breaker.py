"""The circuit breaker: the pure-Python mirror of ``rust/breaker.rs`` (same rules, messages).

closed: ``allow()`` is true; ``failure_threshold`` consecutive failures open the breaker, a
success resets the count. open: ``allow()`` is false until ``recovery_time`` seconds have
passed since it opened; the first ``allow()`` after that moves it to half_open and is the
first trial call. half_open: at most ``half_open_max_calls`` trial calls are allowed; a success
closes the breaker, a failure opens it again. Outcomes reported while open are ignored.
The clock is read (outside the lock) only when a transition needs the time.
"""

from __future__ import annotations

import time
from threading import Lock
from typing import Callable, final

from .._validation import argument_error, check_limit, check_number
from ._arguments import real

__all__ = ["CircuitBreaker"]

_CLOSED, _OPEN, _HALF_OPEN = "closed", "open", "half_open"
#: Counts share a 64-bit word with the phase in the native core.
_COUNT_LIMIT = ((1 << 64) - 1) >> 2


@final
class CircuitBreaker:
    """A thread-safe circuit breaker: ``closed`` -> ``open`` -> ``half_open`` -> ``closed``."""

    __slots__ = (
        "_clock",
        "_count",
        "_failure_threshold",
        "_half_open_max_calls",
        "_lock",
        "_opened_at",
        "_phase",
        "_recovery_time",
    )

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_time: float = 30.0,
        half_open_max_calls: int = 1,
        clock: Callable[[], float] | None = None,
    ) -> None:
        threshold = check_limit("failure_threshold", failure_threshold, 1)
        recovery = check_number("recovery_time", recovery_time, minimum=0.0)
        trials = check_limit("half_open_max_calls", half_open_max_calls, 1)
        if clock is not None and not callable(clock):
            message = f"clock must be callable, not {type(clock).__name__}"
            raise argument_error(message, "clock", "a callable", wrong_type=True)
        self._failure_threshold = min(threshold, _COUNT_LIMIT)
        self._recovery_time = recovery
        self._half_open_max_calls = min(trials, _COUNT_LIMIT)
        self._clock: Callable[[], float] = time.monotonic if clock is None else clock
        self._lock = Lock()
        self._phase = _CLOSED
        #: consecutive failures when closed, trial calls let through when half-open
        self._count = 0
        self._opened_at = 0.0

    def _now(self) -> float:
        value = self._clock()
        try:
            return real(value)
        except Exception:
            raise TypeError(f"clock() must return a number, not {type(value).__name__}") from None

    def allow(self) -> bool:
        """May a call go ahead now? In ``half_open`` each ``True`` is one trial call, whose
        outcome must be reported with ``record_success()`` or ``record_failure()``."""
        now: float | None = None
        while True:
            with self._lock:
                if self._phase == _CLOSED:
                    return True
                if self._phase == _HALF_OPEN:
                    if self._count >= self._half_open_max_calls:
                        return False
                    self._count += 1
                    return True
                if now is not None:
                    if now - self._opened_at < self._recovery_time:
                        return False
                    self._phase, self._count = _HALF_OPEN, 1
                    return True
            now = self._now()

    def record_success(self) -> None:
        """A call succeeded: reset the failure count, or close a half-open breaker."""
        with self._lock:
            if self._phase != _OPEN:
                self._phase, self._count = _CLOSED, 0

    def record_failure(self) -> None:
        """A call failed: count it; open at the threshold, or reopen a half-open breaker."""
        now: float | None = None
        while True:
            with self._lock:
                if self._phase == _OPEN:
                    return
                opens = self._phase == _HALF_OPEN or self._count + 1 >= self._failure_threshold
                if not opens:
                    self._count += 1
                    return
                if now is not None:
                    self._phase, self._count, self._opened_at = _OPEN, 0, now
                    return
            now = self._now()

    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half_open"``."""
        return self._phase

    @property
    def failure_threshold(self) -> int:
        return self._failure_threshold

    @property
    def recovery_time(self) -> float:
        return self._recovery_time

    @property
    def half_open_max_calls(self) -> int:
        return self._half_open_max_calls

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(state={self._phase!r}, failure_threshold={self._failure_threshold}, "
            f"recovery_time={self._recovery_time!r}, "
            f"half_open_max_calls={self._half_open_max_calls})"
        )
