"""CircuitBreaker on both backends: transitions on a fake clock, threads, clock handling,
validation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from fluent_ai import _core, _purepy


class FakeClock:
    """A clock the test moves by hand; counts how often it is read."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


def test_transitions(core: ModuleType) -> None:
    clock = FakeClock()
    breaker = core.CircuitBreaker(failure_threshold=3, recovery_time=10.0, clock=clock)
    assert breaker.state == "closed"
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # consecutive failures only
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed"
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now += 9.999
    assert not breaker.allow()
    assert breaker.state == "open"
    clock.now += 0.001
    assert breaker.allow()  # the first trial call
    assert breaker.state == "half_open"
    assert not breaker.allow()  # half_open_max_calls=1
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_a_failed_trial_reopens_for_a_full_recovery_time(core: ModuleType) -> None:
    clock = FakeClock()
    breaker = core.CircuitBreaker(
        failure_threshold=1, recovery_time=5.0, half_open_max_calls=2, clock=clock
    )
    breaker.record_failure()
    clock.now += 5.0
    assert [breaker.allow() for _ in range(3)] == [True, True, False]
    clock.now += 1.0
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()


def test_outcomes_reported_while_open_are_ignored(core: ModuleType) -> None:
    clock = FakeClock()
    breaker = core.CircuitBreaker(failure_threshold=1, recovery_time=5.0, clock=clock)
    breaker.record_failure()
    breaker.record_success()
    assert breaker.state == "open"
    clock.now += 4.0
    breaker.record_failure()  # does not restart the recovery time
    clock.now += 1.0
    assert breaker.allow()


def test_the_clock_is_read_only_when_a_transition_needs_it() -> None:
    def script(core: ModuleType) -> tuple[int, str]:
        clock = FakeClock()
        breaker = core.CircuitBreaker(failure_threshold=2, recovery_time=1.0, clock=clock)
        for _ in range(5):
            breaker.allow()
            breaker.record_success()
        assert clock.reads == 0
        breaker.record_failure()
        assert clock.reads == 0
        breaker.record_failure()  # opens: reads the time
        assert clock.reads == 1
        breaker.allow()
        clock.now += 1
        breaker.allow()
        breaker.allow()  # half-open, trial used up: no read
        return clock.reads, breaker.state

    assert script(_core) == script(_purepy) == (3, "half_open")


def test_a_failing_clock_leaves_the_state_unchanged(core: ModuleType) -> None:
    def broken() -> float:
        raise RuntimeError("clock is broken")

    breaker = core.CircuitBreaker(failure_threshold=1, clock=broken)
    assert breaker.allow()
    with pytest.raises(RuntimeError, match="clock is broken"):
        breaker.record_failure()
    assert breaker.state == "closed"


def test_clock_values_are_checked(core: ModuleType) -> None:
    breaker = core.CircuitBreaker(failure_threshold=1, clock=lambda: "soon")
    with pytest.raises(TypeError, match=r"^clock\(\) must return a number, not str$"):
        breaker.record_failure()
    counter = iter(range(100))
    ints = core.CircuitBreaker(failure_threshold=1, recovery_time=2, clock=lambda: next(counter))
    ints.record_failure()  # opened at 0
    assert not ints.allow()  # 1
    assert ints.allow()  # 2


def test_the_default_clock_is_monotonic(core: ModuleType) -> None:
    for clock in (None, time.monotonic):
        breaker = core.CircuitBreaker(failure_threshold=1, recovery_time=0.05, clock=clock)
        breaker.record_failure()
        assert not breaker.allow()
        time.sleep(0.06)
        assert breaker.allow()
        assert breaker.state == "half_open"


def run_threads(count: int, body: Callable[[], None]) -> None:
    start = threading.Barrier(count)

    def run() -> None:
        start.wait()
        body()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.parametrize("trials", [1, 3])
def test_half_open_lets_exactly_the_trials_through_under_threads(
    core: ModuleType, trials: int
) -> None:
    for _ in range(20):
        clock = FakeClock()
        breaker = core.CircuitBreaker(
            failure_threshold=1, recovery_time=1.0, half_open_max_calls=trials, clock=clock
        )
        breaker.record_failure()
        clock.now += 1.0
        allowed: list[bool] = []
        run_threads(8, lambda b=breaker, a=allowed: a.extend(b.allow() for _ in range(200)))
        assert sum(allowed) == trials
        assert breaker.state == "half_open"


def test_concurrent_failures_open_it_once_and_a_success_closes_it(core: ModuleType) -> None:
    clock = FakeClock()
    breaker = core.CircuitBreaker(failure_threshold=500, recovery_time=30.0, clock=clock)

    def fail() -> None:
        for _ in range(100):
            breaker.record_failure()

    run_threads(8, fail)
    assert breaker.state == "open"
    assert clock.reads == 1
    clock.now += 30.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"


BAD_ARGUMENTS: list[dict[str, Any]] = [
    {"failure_threshold": 0},
    {"failure_threshold": -1},
    {"failure_threshold": 1.5},
    {"failure_threshold": True},
    {"half_open_max_calls": 2.0},
    {"recovery_time": -1.0},
    {"recovery_time": float("nan")},
    {"recovery_time": float("inf")},
    {"recovery_time": "30"},
    {"half_open_max_calls": 0},
    {"clock": 3},
]


@pytest.mark.parametrize("arguments", BAD_ARGUMENTS, ids=repr)
def test_bad_arguments_fail_identically(arguments: dict[str, Any]) -> None:
    outcomes = []
    for core in (_core, _purepy):
        with pytest.raises((TypeError, ValueError, OverflowError)) as caught:
            core.CircuitBreaker(**arguments)
        outcomes.append((type(caught.value), str(caught.value)))
    assert outcomes[0] == outcomes[1]


def test_properties_and_repr(core: ModuleType) -> None:
    breaker = core.CircuitBreaker(failure_threshold=2, recovery_time=3, half_open_max_calls=4)
    assert (breaker.failure_threshold, breaker.recovery_time, breaker.half_open_max_calls) == (
        2,
        3.0,
        4,
    )
    assert repr(breaker) == (
        "CircuitBreaker(state='closed', failure_threshold=2, recovery_time=3.0, "
        "half_open_max_calls=4)"
    )
    assert core.CircuitBreaker(2**62).failure_threshold == 2**62 - 1
