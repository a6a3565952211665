"""What ``Router`` and ``AsyncRouter`` share: their arguments, one client per deployment,
and the routed call's bookkeeping."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from ..client import DEFAULT_TIMEOUT
from ..errors import ArgumentTypeError, InvalidArgumentError
from ..resilience import BreakerPolicy
from ..types import Timeout, TimeoutLike
from ._config import STRATEGIES, Deployment, check_aliases, check_fallbacks
from ._plan import Plan, RouterCore
from ._state import MemoryState, State

__all__ = ["DEFAULT_BREAKER", "RouterBase"]

DEFAULT_BREAKER = BreakerPolicy(failure_threshold=3, recovery_time=30.0)
"""A deployment cools down after 3 failures in a row, for 30 seconds."""


def _number(name: str, value: object, *, zero: bool = False) -> float:
    """A finite number of seconds, > 0 (>= 0 with ``zero``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentTypeError(
            f"{name} must be a number of seconds, got {type(value).__name__}",
            argument=name,
            expected="a number",
        )
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise InvalidArgumentError(
            f"{name} must be a finite number {'>=' if zero else '>'} 0, got {value!r}",
            argument=name,
            expected="a finite number",
        )
    return float(value)


class RouterBase:
    """Arguments (see ``Router``) and the parts that do no I/O."""

    def __init__(
        self,
        model_list: Mapping[str, Sequence[Deployment | Mapping[str, Any]]],
        *,
        strategy: str = "weighted",
        fallbacks: Mapping[str, Sequence[str]] | None = None,
        context_window_fallbacks: Mapping[str, Sequence[str]] | None = None,
        content_policy_fallbacks: Mapping[str, Sequence[str]] | None = None,
        state: State | None = None,
        breaker: BreakerPolicy | None = DEFAULT_BREAKER,
        on_limit: str = "wait",
        max_wait: float = 60.0,
        window: float = 60.0,
        retries: int = 0,
        timeout: TimeoutLike = DEFAULT_TIMEOUT,
        metrics: Any = None,
        providers: Mapping[str, Mapping[str, Any]] | None = None,
        on_attempt: Callable[..., None] | None = None,
        on_route: Callable[..., None] | None = None,
        respect_headers: bool = True,
    ) -> None:
        aliases = check_aliases(model_list)
        if strategy not in STRATEGIES:
            raise InvalidArgumentError(
                f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}",
                argument="strategy",
                expected=" | ".join(STRATEGIES),
            )
        if on_limit not in ("wait", "raise"):
            raise InvalidArgumentError(
                f"on_limit must be 'wait' or 'raise', got {on_limit!r}",
                argument="on_limit",
                expected="'wait' or 'raise'",
            )
        if state is not None and not isinstance(state, State):
            raise ArgumentTypeError(
                "state must be a fluent_ai.router.MemoryState or RedisState, got "
                f"{type(state).__name__}",
                argument="state",
                expected="MemoryState or RedisState",
            )
        if breaker is not None and not isinstance(breaker, BreakerPolicy):
            raise ArgumentTypeError(
                f"breaker must be a fluent_ai.BreakerPolicy or None, got {type(breaker).__name__}",
                argument="breaker",
                expected="BreakerPolicy",
            )
        for name, hook in (("on_attempt", on_attempt), ("on_route", on_route)):
            if hook is not None and not callable(hook):
                raise ArgumentTypeError(
                    f"{name} must be callable or None", argument=name, expected="a callable"
                )
        if metrics is None:
            from .. import metrics as default_metrics  # noqa: PLC0415

            metrics = default_metrics
        self._timeout = DEFAULT_TIMEOUT if timeout is DEFAULT_TIMEOUT else Timeout.of(timeout)
        if isinstance(retries, bool) or not isinstance(retries, int):
            raise ArgumentTypeError(
                f"retries must be an int, got {type(retries).__name__}",
                argument="retries",
                expected="an int >= 0",
            )
        if retries < 0:
            raise InvalidArgumentError(
                f"retries must be an int >= 0, got {retries}",
                argument="retries",
                expected="an int >= 0",
            )
        self._retries = retries
        self._providers = dict(providers or {})
        self._core = RouterCore(
            aliases,
            strategy=strategy,
            fallbacks=check_fallbacks("fallbacks", fallbacks, aliases),
            context_window_fallbacks=check_fallbacks(
                "context_window_fallbacks", context_window_fallbacks, aliases
            ),
            content_policy_fallbacks=check_fallbacks(
                "content_policy_fallbacks", content_policy_fallbacks, aliases
            ),
            state=state if state is not None else MemoryState(),
            breaker=breaker,
            on_limit=on_limit,
            max_wait=_number("max_wait", max_wait, zero=True),
            window=_number("window", window),
            metrics=metrics,
            on_attempt=on_attempt,
            on_route=on_route,
            respect_headers=bool(respect_headers),
        )
        self._make_clients()

    def _make_clients(self) -> None:
        """One client per deployment (``Router``: ``Client``; ``AsyncRouter``: ``AsyncClient``)."""
        raise NotImplementedError

    # Public views ---------------------------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._core.state

    @property
    def metrics(self) -> Any:
        return self._core.metrics

    @property
    def aliases(self) -> dict[str, list[Deployment]]:
        """Alias -> its deployments (names filled in)."""
        return {alias: list(ds) for alias, ds in self._core.aliases.items()}

    def circuit_state(self, deployment: str) -> str:
        """This process's breaker of ``deployment``: ``closed``, ``open`` or ``half_open``."""
        if deployment not in self._core.deployments:
            raise InvalidArgumentError(
                f"no deployment named {deployment!r}", argument="deployment", expected="a name"
            )
        return self._core.circuit_state(deployment)

    # Helpers of the drivers -----------------------------------------------------------------------

    def _client_settings(self, deployment: Deployment) -> dict[str, Any]:
        provider = deployment.provider
        merged = {**self._providers.get(provider, {}), **deployment.provider_settings()}
        providers = {**self._providers}
        if merged:
            providers[provider] = merged
        return {
            "timeout": self._timeout,
            "max_retries": self._retries,
            "metrics": self._core.metrics,
            "providers": providers or None,
            "breaker": None,  # the router keeps one breaker per deployment
        }

    def _plan(
        self,
        model: object,
        operation: str,
        tokens: int,
        timeout: TimeoutLike,
        *,
        learn: bool = False,
    ) -> Plan:
        if not isinstance(model, str):
            raise ArgumentTypeError(
                f"model must be a str alias, got {type(model).__name__}",
                argument="model",
                expected="an alias of model_list",
            )
        if model not in self._core.aliases:
            known = ", ".join(sorted(self._core.aliases))
            raise InvalidArgumentError(
                f"model {model!r} is not an alias of this router (aliases: {known})",
                argument="model",
                expected="an alias of model_list",
            )
        limit = self._timeout.total
        if timeout is not None and not isinstance(timeout, bool):
            limit = Timeout.of(timeout).total if not isinstance(timeout, Timeout) else timeout.total
        deadline = time.monotonic() + (limit if limit is not None else math.inf)
        return Plan(self._core, model, operation, tokens, deadline, learn=learn)

    def _expiry(self) -> float:
        """How long a call may stay counted in flight (a crashed process's calls expire)."""
        return self._timeout.total if self._timeout.total is not None else 3600.0

    @staticmethod
    def _call_id() -> str:
        return uuid.uuid4().hex

    def __repr__(self) -> str:
        core = self._core
        aliases = ", ".join(f"{a}: {len(ds)}" for a, ds in core.aliases.items())
        return f"<{type(self).__name__} {core.strategy} {{{aliases}}} state={core.state!r}>"
