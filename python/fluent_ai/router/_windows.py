"""Sliding-window budgets without I/O: the rule the in-memory state runs in Python and the
Redis state runs in Lua (``_redis_scripts.py``), kept identical.

A window of ``window`` seconds is cut into 60 buckets of ``window / 60`` seconds; a unit
admitted at time ``t`` is counted in bucket ``floor(t / width)``. Admitting ``amount`` units
at bucket ``b`` requires the buckets ``b - 60 .. b`` (61 of them) plus ``amount`` to stay
within the limit. Any interval of ``window`` seconds touches at most 61 consecutive buckets,
and the last admission into such a run of buckets checked all of them, so at most ``limit``
units are admitted in ANY ``window``-second interval (exact, not a fixed-window
approximation); the price is that a unit may be kept up to one bucket longer than the window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["BUCKETS", "Need", "admit", "wait_for"]

BUCKETS = 60
"""Buckets per window; a window check spans ``BUCKETS + 1`` of them."""

Need = tuple[str, int, float]
"""One budget a request draws on: (key, limit, amount)."""


def wait_for(buckets: Mapping[int, float], current: int, amount: float, limit: float) -> float:
    """Buckets still to expire (in bucket widths from the start of ``current``) before
    ``amount`` fits; 0 when it fits now, ``inf`` when it never can."""
    if amount > limit:
        return math.inf
    live = sorted((b, v) for b, v in buckets.items() if b >= current - BUCKETS)
    total = sum(v for _, v in live)
    excess = total + amount - limit
    if excess <= 0:
        return 0.0
    for bucket, value in live:
        excess -= value
        if excess <= 0:
            # ``bucket`` leaves the window when ``current`` reaches ``bucket + BUCKETS + 1``.
            return float(bucket + BUCKETS + 1 - current)
    return math.inf  # cannot happen: amount <= limit frees enough once every bucket left


def admit(
    windows: Mapping[str, Mapping[int, float]],
    needs: Sequence[Need],
    now: float,
    width: float,
) -> tuple[int, float]:
    """``(bucket, 0.0)`` when every need fits at ``now``, else ``(bucket, seconds to wait)``
    (``inf``: a need larger than its limit). Nothing is changed here."""
    current = math.floor(now / width)
    wait = 0.0
    for key, limit, amount in needs:
        buckets_wait = wait_for(windows.get(key, {}), current, amount, limit)
        if buckets_wait:
            seconds = (current + buckets_wait) * width - now
            wait = max(wait, seconds if buckets_wait != math.inf else math.inf)
    return current, wait
