"""A router over many deployments of each model, with failover, load balancing, token-aware
rate limits and state shared through Redis (docs/router.md)."""

from __future__ import annotations

from typing import Any

from ._async import AsyncRouter, AsyncRouterStream
from ._config import STRATEGIES, Deployment
from ._route import Route, RouteAttempt, route_of
from ._state import MemoryState, State
from ._sync import Router, RouterStream

__all__ = [
    "STRATEGIES",
    "AsyncRouter",
    "AsyncRouterStream",
    "Deployment",
    "MemoryState",
    "RedisState",
    "Route",
    "RouteAttempt",
    "Router",
    "RouterStream",
    "State",
    "route_of",
]


def __getattr__(name: str) -> Any:
    if name == "RedisState":  # the redis package is an optional extra
        from ._redis import RedisState  # noqa: PLC0415

        return RedisState
    raise AttributeError(f"module 'fluent_ai.router' has no attribute {name!r}")
