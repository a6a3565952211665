"""Where a router keeps what its processes share: budgets, cooldowns, in-flight calls and a
small cache. :class:`MemoryState` (the default) keeps them in this process; ``RedisState``
(``_redis.py``) in Redis, with a :class:`MemoryState` to fall back on.

Every method is quick and never blocks on I/O here; the async router calls the ``a``-prefixed
twins, which Redis implements with its asyncio client.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._windows import BUCKETS, Need, admit

__all__ = ["Admission", "MemoryState", "State", "View"]


@dataclass
class Admission:
    """A call let through: where its units were counted, to correct or release them later."""

    bucket: int
    needs: Sequence[Need]
    deployment: str
    call_id: str
    store: str = "local"  # "redis" or "local": a release goes where the admission went
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """What the state says about one deployment now."""

    cooldown: float  # seconds left, 0 when not cooling down
    in_flight: int


class State:
    """The interface both states implement (documented in docs/router.md, "State")."""

    width: float = 1.0

    def configure(self, window: float) -> None:
        self.width = window / BUCKETS

    def view(self, deployments: Sequence[str]) -> list[View]:
        raise NotImplementedError

    def admit(
        self, needs: Sequence[Need], deployment: str, call_id: str, expires_in: float
    ) -> Admission | float:
        """Counts ``needs`` and the call in flight when all fit; else the seconds to wait
        (``inf``: a need is larger than its limit). All or nothing."""
        raise NotImplementedError

    def release(self, admission: Admission, corrections: Mapping[str, float]) -> None:
        """The call ended: it is no longer in flight; ``corrections`` (key -> units) fix the
        estimate of each budget with what was really used."""
        raise NotImplementedError

    def cool(self, deployment: str, seconds: float) -> None:
        """Nobody sends to ``deployment`` for ``seconds`` (a longer cooldown is kept)."""
        raise NotImplementedError

    def cache_get(self, name: str) -> str | None:
        raise NotImplementedError

    def cache_set(self, name: str, value: str, ttl: float) -> None:
        raise NotImplementedError

    async def aview(self, deployments: Sequence[str]) -> list[View]:
        return self.view(deployments)

    async def aadmit(
        self, needs: Sequence[Need], deployment: str, call_id: str, expires_in: float
    ) -> Admission | float:
        return self.admit(needs, deployment, call_id, expires_in)

    async def arelease(self, admission: Admission, corrections: Mapping[str, float]) -> None:
        self.release(admission, corrections)

    async def acool(self, deployment: str, seconds: float) -> None:
        self.cool(deployment, seconds)

    def close(self) -> None:
        """Releases connections (the in-memory state has none)."""

    async def aclose(self) -> None:
        self.close()


class MemoryState(State):
    """The state of one process (thread-safe). The clock is the wall clock, as in Redis, so
    the buckets of an outage can be merged into Redis when it returns."""

    def __init__(self, clock: Any = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, dict[int, float]] = {}
        self._cooldowns: dict[str, float] = {}
        self._in_flight: dict[str, dict[str, float]] = {}
        self._cache: dict[str, tuple[str, float]] = {}

    def view(self, deployments: Sequence[str]) -> list[View]:
        now = self._clock()
        with self._lock:
            return [
                View(
                    max(0.0, self._cooldowns.get(name, 0.0) - now),
                    self._live_calls(name, now),
                )
                for name in deployments
            ]

    def _live_calls(self, deployment: str, now: float) -> int:
        calls = self._in_flight.get(deployment)
        if not calls:
            return 0
        for call_id in [c for c, expiry in calls.items() if expiry <= now]:
            del calls[call_id]  # a call that outlived its deadline was lost
        return len(calls)

    def admit(
        self, needs: Sequence[Need], deployment: str, call_id: str, expires_in: float
    ) -> Admission | float:
        now = self._clock()
        with self._lock:
            bucket, wait = admit(self._windows, needs, now, self.width)
            if wait:
                return wait
            for key, _, amount in needs:
                window = self._windows.setdefault(key, {})
                window[bucket] = window.get(bucket, 0.0) + amount
                for old in [b for b in window if b < bucket - BUCKETS]:
                    del window[old]
            self._in_flight.setdefault(deployment, {})[call_id] = now + expires_in
        return Admission(bucket, needs, deployment, call_id)

    def release(self, admission: Admission, corrections: Mapping[str, float]) -> None:
        with self._lock:
            calls = self._in_flight.get(admission.deployment)
            if calls is not None:
                calls.pop(admission.call_id, None)
            for key, delta in corrections.items():
                window = self._windows.get(key)
                if window is not None and admission.bucket in window:
                    window[admission.bucket] = max(0.0, window[admission.bucket] + delta)

    def cool(self, deployment: str, seconds: float) -> None:
        until = self._clock() + seconds
        with self._lock:
            if until > self._cooldowns.get(deployment, -math.inf):
                self._cooldowns[deployment] = until

    def cache_get(self, name: str) -> str | None:
        with self._lock:
            entry = self._cache.get(name)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def cache_set(self, name: str, value: str, ttl: float) -> None:
        with self._lock:
            self._cache[name] = (value, self._clock() + ttl)

    def drain(self) -> tuple[dict[str, dict[int, float]], dict[str, float]]:
        """Takes out the budgets and cooldowns (for the Redis state to merge them when Redis
        returns); in-flight calls stay, their releases come here."""
        with self._lock:
            windows, self._windows = self._windows, {}
            cooldowns, self._cooldowns = self._cooldowns, {}
        return windows, cooldowns

    def used(self, key: str) -> float:
        """Units counted in ``key``'s current window (for tests and the docs' examples)."""
        bucket = math.floor(self._clock() / self.width)
        with self._lock:
            window = self._windows.get(key, {})
            return sum(v for b, v in window.items() if b >= bucket - BUCKETS)
