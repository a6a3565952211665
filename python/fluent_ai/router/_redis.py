"""``RedisState``: the router's shared state in Redis (``pip install "fluent-ai[redis]"``).

Every operation is one atomic script or command with a short socket timeout. When Redis
cannot be reached (refused, timed out, loading, any Redis error), the process switches to its
own :class:`MemoryState` at once, logs that once, and tries Redis again every
``retry_interval`` seconds; when Redis answers again, the budgets and cooldowns counted
locally meanwhile are added to Redis (so the shared window counts them) and the process uses
Redis again. No request waits on Redis longer than ``timeout`` (connect, then reply).

Keys (``prefix`` defaults to ``fluent-ai:``; docs/router.md lists them):
``{prefix}budget:{scope}`` hash bucket -> units (TTL: the window plus two buckets);
``{prefix}cooldown:{deployment}`` string with a TTL; ``{prefix}inflight:{deployment}`` sorted
set call id -> expiry time (TTL: the longest call); ``{prefix}cache:{name}`` string with a TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ._redis_scripts import ADMIT, COOL, RELEASE, VIEW
from ._state import Admission, MemoryState, State, View
from ._windows import BUCKETS, Need

__all__ = ["RedisState"]

logger = logging.getLogger("fluent_ai.router")


def _redis() -> Any:
    try:
        import redis  # noqa: PLC0415  (an optional extra)
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError(
            'RedisState needs the redis package: pip install "fluent-ai[redis]"'
        ) from None
    return redis


class RedisState(State):
    """Router state shared through Redis at ``url`` (``redis://host:port/db``).

    ``timeout``: seconds to connect and to wait for each reply (default 0.25);
    ``retry_interval``: seconds between attempts to reach Redis again after a failure
    (default 1.0); ``fallback_share``: the share of each limit one process may use from its
    local state while Redis is unreachable (default 1.0: each process the whole limit);
    ``prefix``: the start of every key.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "fluent-ai:",
        timeout: float = 0.25,
        retry_interval: float = 1.0,
        fallback_share: float = 1.0,
    ) -> None:
        redis = _redis()
        from redis.backoff import NoBackoff  # noqa: PLC0415
        from redis.retry import Retry  # noqa: PLC0415

        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("url must be a redis://, rediss:// or unix:// URL")
        for name, value in (("timeout", timeout), ("retry_interval", retry_interval)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a number of seconds > 0")
        if not isinstance(fallback_share, (int, float)) or not 0 < fallback_share <= 1:
            raise ValueError("fallback_share must be a number in (0, 1]")
        self.url = url
        self.prefix = prefix
        self.timeout = float(timeout)
        self.retry_interval = float(retry_interval)
        self.fallback_share = float(fallback_share)
        self._options: dict[str, Any] = {
            "socket_timeout": self.timeout,
            "socket_connect_timeout": self.timeout,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 0,
        }
        self._client = redis.Redis.from_url(url, **self._options)
        self._scripts = {
            name: self._client.register_script(text)
            for name, text in (("admit", ADMIT), ("release", RELEASE), ("view", VIEW))
        }
        self._cool_script = self._client.register_script(COOL)
        self._async: dict[int, tuple[Any, dict[str, Any], Any]] = {}
        self.local = MemoryState()
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic; > now: use the local state
        self._down = False
        self.outages = 0  # how many times Redis was lost (for tests and metrics)

    def configure(self, window: float) -> None:
        super().configure(window)
        self.local.configure(window)

    # Keys ---------------------------------------------------------------------------------------

    def _budget(self, key: str) -> str:
        return f"{self.prefix}budget:{key}"

    def _cooldown(self, deployment: str) -> str:
        return f"{self.prefix}cooldown:{deployment}"

    def _flight(self, deployment: str) -> str:
        return f"{self.prefix}inflight:{deployment}"

    # Up or down ---------------------------------------------------------------------------------

    def _use_redis(self) -> bool:
        """Whether to try Redis now; while it is down, one caller per ``retry_interval`` tries
        it again (the others use the local state meanwhile)."""
        if not self._down:
            return True
        now = time.monotonic()
        with self._lock:
            if now < self._down_until:
                return False
            self._down_until = now + self.retry_interval
            return True

    def _failed(self, error: BaseException) -> None:
        # The idle pooled connections are likely dead too: dropped now, so that commands after
        # Redis returns do not each wait out a socket timeout on one (a partition sends no
        # FIN for redis-py's check at checkout to notice).
        with contextlib.suppress(Exception):
            self._client.connection_pool.disconnect(inuse_connections=False)
        with self._lock:
            self._down_until = time.monotonic() + self.retry_interval
            first = not self._down
            self._down = True
            if first:
                self.outages += 1
        if first:
            logger.warning(
                "Redis at %s is unreachable (%s: %s); this process uses its local state until "
                "it returns",
                _safe_url(self.url),
                type(error).__name__,
                error,
            )

    def _returned(self) -> tuple[dict[str, dict[int, float]], dict[str, float]] | None:
        """After an outage: the local budgets and cooldowns to merge (once)."""
        with self._lock:
            if not self._down:
                return None
            self._down = False
        logger.warning("Redis at %s is reachable again; merging local state", _safe_url(self.url))
        return self.local.drain()

    def _merge_commands(
        self, pipe: Any, windows: Mapping[str, Mapping[int, float]], cooldowns: Mapping[str, float]
    ) -> None:
        now = time.time()
        ttl = int((BUCKETS + 2) * self.width * 1000)
        for key, buckets in windows.items():
            for bucket, units in buckets.items():
                if units and bucket >= math.floor(now / self.width) - BUCKETS:
                    pipe.hincrby(self._budget(key), str(bucket), int(units))
            pipe.pexpire(self._budget(key), ttl)
        for deployment, until in cooldowns.items():
            left = int((until - now) * 1000)
            if left > 0:
                pipe.set(self._cooldown(deployment), "1", px=left)

    def _merge(self) -> None:
        drained = self._returned()
        if drained is None:
            return
        pipe = self._client.pipeline(transaction=False)
        self._merge_commands(pipe, *drained)
        try:
            pipe.execute()
        except Exception as error:  # lost again: keep counting locally
            self._put_back(drained)
            self._failed(error)

    def _put_back(self, drained: tuple[dict[str, dict[int, float]], dict[str, float]]) -> None:
        windows, cooldowns = drained
        with self.local._lock:
            for key, buckets in windows.items():
                window = self.local._windows.setdefault(key, {})
                for bucket, units in buckets.items():
                    window[bucket] = window.get(bucket, 0.0) + units
            for deployment, until in cooldowns.items():
                self.local._cooldowns[deployment] = max(
                    until, self.local._cooldowns.get(deployment, 0.0)
                )

    def _local_needs(self, needs: Sequence[Need]) -> list[Need]:
        share = self.fallback_share
        return [(key, max(1, int(limit * share)), amount) for key, limit, amount in needs]

    # Arguments and answers (shared by sync and async) -----------------------------------------

    def _admit_args(
        self, needs: Sequence[Need], deployment: str, call_id: str, expires_in: float
    ) -> tuple[list[str], list[Any]]:
        keys = [self._budget(key) for key, _, _ in needs] + [self._flight(deployment)]
        ttl = int((BUCKETS + 2) * self.width * 1000)
        args: list[Any] = [repr(self.width), BUCKETS, ttl, call_id, repr(float(expires_in)), ""]
        for _, limit, amount in needs:
            args += [int(amount), int(limit)]
        return keys, args

    @staticmethod
    def _admitted(
        reply: Any, needs: Sequence[Need], deployment: str, call_id: str
    ) -> Admission | float:
        code, value = int(reply[0]), float(reply[1])
        if code == 1:
            return Admission(int(value), needs, deployment, call_id, store="redis")
        return math.inf if code == -1 else value

    def _release_args(
        self, admission: Admission, corrections: Mapping[str, float]
    ) -> tuple[list[str], list[Any]]:
        keys = [self._flight(admission.deployment)]
        args: list[Any] = [admission.call_id, str(admission.bucket)]
        for key, delta in corrections.items():
            keys.append(self._budget(key))
            args.append(int(delta))
        return keys, args

    def _view_keys(self, deployments: Sequence[str]) -> list[str]:
        return [self._cooldown(d) for d in deployments] + [self._flight(d) for d in deployments]

    @staticmethod
    def _views(reply: Sequence[Any]) -> list[View]:
        return [
            View(max(0.0, int(reply[i]) / 1000.0), int(reply[i + 1]))
            for i in range(0, len(reply), 2)
        ]

    # Sync ---------------------------------------------------------------------------------------

    def view(self, deployments: Sequence[str]) -> list[View]:
        if self._use_redis():
            try:
                reply = self._scripts["view"](keys=self._view_keys(deployments))
            except Exception as error:
                self._failed(error)
            else:
                self._merge()
                return self._views(reply)
        return self.local.view(deployments)

    def admit(
        self, needs: Sequence[Need], deployment: str, call_id: str, expires_in: float
    ) -> Admission | float:
        if self._use_redis():
            keys, args = self._admit_args(needs, deployment, call_id, expires_in)
            try:
                reply = self._scripts["admit"](keys=keys, args=args)
            except Exception as error:
                self._failed(error)
            else:
                self._merge()
                return self._admitted(reply, needs, deployment, call_id)
        return self.local.admit(self._local_needs(needs), deployment, call_id, expires_in)

    def release(self, admission: Admission, corrections: Mapping[str, float]) -> None:
        if admission.store != "redis":
            self.local.release(admission, corrections)
            return
        if not self._use_redis():
            return  # Redis drops the call at its expiry; the correction is lost (documented)
        keys, args = self._release_args(admission, corrections)
        try:
            self._scripts["release"](keys=keys, args=args)
        except Exception as error:
            self._failed(error)

    def cool(self, deployment: str, seconds: float) -> None:
        self.local.cool(deployment, seconds)  # this process stops at once, whatever Redis does
        if self._use_redis():
            try:
                self._cool_script(keys=[self._cooldown(deployment)], args=[_ms(seconds)])
            except Exception as error:
                self._failed(error)

    def cache_get(self, name: str) -> str | None:
        if self._use_redis():
            try:
                value = self._client.get(f"{self.prefix}cache:{name}")
            except Exception as error:
                self._failed(error)
            else:
                return None if value is None else value.decode()
        return self.local.cache_get(name)

    def cache_set(self, name: str, value: str, ttl: float) -> None:
        self.local.cache_set(name, value, ttl)
        if self._use_redis():
            try:
                self._client.set(f"{self.prefix}cache:{name}", value, px=_ms(ttl))
            except Exception as error:
                self._failed(error)

    def view_local(self, deployments: Sequence[str]) -> list[View]:
        return self.local.view(deployments)

    # Async (redis.asyncio; one client per event loop) -------------------------------------------

    def _aclient(self) -> tuple[Any, dict[str, Any]]:
        loop = asyncio.get_running_loop()
        entry = self._async.get(id(loop))
        if entry is None or entry[2] is not loop:
            from redis import asyncio as aioredis  # noqa: PLC0415
            from redis.asyncio.retry import Retry  # noqa: PLC0415
            from redis.backoff import NoBackoff  # noqa: PLC0415

            options = {**self._options, "retry": Retry(NoBackoff(), 0)}
            client = aioredis.Redis.from_url(self.url, **options)
            scripts = {
                name: client.register_script(text)
                for name, text in (
                    ("admit", ADMIT),
                    ("release", RELEASE),
                    ("view", VIEW),
                    ("cool", COOL),
                )
            }
            entry = (client, scripts, loop)
            self._async[id(loop)] = entry
        return entry[0], entry[1]

    async def _acall(self, script: str, keys: list[str], args: list[Any]) -> Any:
        _, scripts = self._aclient()
        # The socket timeout bounds each read; wait_for also bounds a connect that hangs.
        return await asyncio.wait_for(
            scripts[script](keys=keys, args=args), timeout=self.timeout * 2
        )

    async def _amerge(self) -> None:
        drained = self._returned()
        if drained is None:
            return
        client, _ = self._aclient()
        pipe = client.pipeline(transaction=False)
        self._merge_commands(pipe, *drained)
        try:
            await asyncio.wait_for(pipe.execute(), timeout=self.timeout * 2)
        except Exception as error:
            self._put_back(drained)
            self._failed(error)

    async def aview(self, deployments: Sequence[str]) -> list[View]:
        if self._use_redis():
            try:
                reply = await self._acall("view", self._view_keys(deployments), [])
            except Exception as error:
                self._failed(error)
            else:
                await self._amerge()
                return self._views(reply)
        return self.local.view(deployments)

    async def aadmit(
        self, needs: Sequence[Need], deployment: str, call_id: str, expires_in: float
    ) -> Admission | float:
        if self._use_redis():
            keys, args = self._admit_args(needs, deployment, call_id, expires_in)
            try:
                reply = await self._acall("admit", keys, args)
            except Exception as error:
                self._failed(error)
            else:
                await self._amerge()
                return self._admitted(reply, needs, deployment, call_id)
        return self.local.admit(self._local_needs(needs), deployment, call_id, expires_in)

    async def arelease(self, admission: Admission, corrections: Mapping[str, float]) -> None:
        if admission.store != "redis":
            self.local.release(admission, corrections)
            return
        if not self._use_redis():
            return
        keys, args = self._release_args(admission, corrections)
        try:
            await self._acall("release", keys, args)
        except Exception as error:
            self._failed(error)

    async def acool(self, deployment: str, seconds: float) -> None:
        self.local.cool(deployment, seconds)
        if self._use_redis():
            try:
                await self._acall("cool", [self._cooldown(deployment)], [_ms(seconds)])
            except Exception as error:
                self._failed(error)

    # Closing ------------------------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    async def aclose(self) -> None:
        entry = self._async.pop(id(asyncio.get_running_loop()), None)
        if entry is not None:
            await entry[0].aclose()
        self._client.close()

    def __repr__(self) -> str:
        return f"<RedisState {_safe_url(self.url)} prefix={self.prefix!r}>"


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def _safe_url(url: str) -> str:
    """The URL without a password (``redis://:secret@host`` -> ``redis://***@host``)."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest
