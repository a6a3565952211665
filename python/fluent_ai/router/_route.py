"""What a routed call did: every deployment tried, in order, and the one that answered.
Routers put it on the answer (``response.route``, ``stream.route``) and on a final error
(``error.route``), and pass it to the ``on_attempt`` / ``on_route`` hooks (for traces)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Route", "RouteAttempt", "route_of"]


@dataclass
class RouteAttempt:
    """One deployment tried. ``outcome``: ``ok``, ``closed`` (the caller closed a stream) or
    the exception's class name; ``status`` the HTTP status when one came; ``seconds`` from
    sending to the answer (to the first event for a stream, to the failure otherwise);
    ``reason`` why the router moved on: ``error`` (the deployment failed), ``context_window``
    or ``content_policy`` (to those fallbacks), ``None`` when it did not."""

    alias: str
    deployment: str
    model: str
    outcome: str = "pending"
    status: int | None = None
    seconds: float = 0.0
    reason: str | None = None
    error: str | None = None  # the error's message (secrets already redacted by the client)


@dataclass
class Route:
    """The path of one call. ``deployment``/``model``: who answered (``None`` when nobody
    did); ``attempts``: every deployment tried, in order; ``skipped``: deployments passed over
    and why (``cooling`` = breaker cooldown, ``over_budget``, ``paused`` = the provider's
    rate-limit headers); ``waited``: seconds spent waiting for a budget."""

    alias: str
    operation: str
    strategy: str
    deployment: str | None = None
    model: str | None = None
    attempts: list[RouteAttempt] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    waited: float = 0.0

    @property
    def failovers(self) -> int:
        """Attempts that failed before the last one."""
        return max(0, len(self.attempts) - 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "operation": self.operation,
            "strategy": self.strategy,
            "deployment": self.deployment,
            "model": self.model,
            "attempts": [dict(vars(a)) for a in self.attempts],
            "skipped": dict(self.skipped),
            "waited": self.waited,
        }


def route_of(result: object) -> Route | None:
    """The route of a routed answer, stream or final error (``result.route``, typed for
    checkers that do not know the attribute the router adds), or ``None``."""
    route = getattr(result, "route", None)
    return route if isinstance(route, Route) else None
