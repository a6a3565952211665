"""A router over many deployments of each model, with failover, load balancing, token-aware
rate limits and state shared through Redis (docs/router.md)."""

from __future__ import annotations

from ._async import AsyncRouter, AsyncRouterStream
from ._config import STRATEGIES, Deployment
from ._redis import RedisState  # the redis package itself is imported when one is made
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
