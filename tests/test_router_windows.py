"""The sliding-window rule of the router's budgets (``fluent_ai/router/_windows.py``, the
rule the Redis script runs too), on the in-memory state with a clock the test moves: in any
interval of ``window`` seconds at most ``limit`` units are admitted, a refusal's wait is
exact (refused just before it, admitted at it), and a need larger than its limit never fits."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from fluent_ai.router import MemoryState
from fluent_ai.router._state import Admission


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _state(window: float) -> tuple[MemoryState, Clock]:
    clock = Clock()
    state = MemoryState(clock=clock)
    state.configure(window)
    return state, clock


@settings(max_examples=150, deadline=None)
@given(
    window=st.sampled_from([1.0, 6.0, 60.0]),
    limit=st.integers(1, 20),
    steps=st.lists(st.tuples(st.floats(0.0, 0.5), st.integers(0, 6)), min_size=1, max_size=120),
)
def test_no_window_ever_holds_more_than_the_limit(
    window: float, limit: int, steps: list[tuple[float, int]]
) -> None:
    state, clock = _state(window)
    admitted: list[tuple[float, int]] = []
    for gap, amount in steps:
        clock.now += gap * window / 2
        result = state.admit([("k", limit, amount)], "d", "c", 60.0)
        if isinstance(result, Admission):
            admitted.append((clock.now, amount))
        else:
            assert result > 0
            assert (result == math.inf) == (amount > limit)
    for start, _ in admitted:
        inside = sum(a for t, a in admitted if start <= t < start + window)
        assert inside <= limit, (start, inside)


@settings(max_examples=150, deadline=None)
@given(
    window=st.sampled_from([1.0, 60.0]),
    limit=st.integers(1, 10),
    first=st.floats(0.0, 0.999),
    later=st.floats(0.0, 3.0),
    amount=st.integers(1, 10),
)
def test_a_refusal_says_exactly_how_long_to_wait(
    window: float, limit: int, first: float, later: float, amount: int
) -> None:
    amount = min(amount, limit)
    state, clock = _state(window)
    clock.now = math.floor(clock.now) + first * window / 60  # somewhere in a bucket
    assert isinstance(state.admit([("k", limit, limit)], "d", "a", 60.0), Admission)
    clock.now += later * window / 3
    wait = state.admit([("k", limit, amount)], "d", "b", 60.0)
    if isinstance(wait, Admission):
        return  # the full window had passed already
    assert 0 < wait <= window + window / 60
    at = clock.now + wait
    clock.now = at - 1e-6 * window
    assert not isinstance(state.admit([("k", limit, amount)], "d", "c", 60.0), Admission)
    clock.now = at
    assert isinstance(state.admit([("k", limit, amount)], "d", "d", 60.0), Admission)


def test_all_budgets_of_a_call_or_none() -> None:
    state, _ = _state(60.0)
    assert isinstance(state.admit([("a", 5, 1), ("b", 1, 1)], "d", "1", 60.0), Admission)
    assert not isinstance(state.admit([("a", 5, 1), ("b", 1, 1)], "d", "2", 60.0), Admission)
    assert state.used("a") == 1  # the refused call took nothing from "a"
