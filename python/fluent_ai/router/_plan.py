"""The router's decisions without I/O: which deployment next, what a failure means, what the
budgets need and how they are corrected. ``Router`` and ``AsyncRouter`` drive these objects;
only sleeping, the state's calls and sending differ between them."""

from __future__ import annotations

import itertools
import json
import logging
import math
import random
import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from .._backend import core
from ..errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CircuitOpenError,
    ConnectionError,
    ContextWindowExceededError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamInterrupted,
    TimeoutError,
)
from ..resilience import BreakerPolicy
from ._config import Deployment
from ._hints import pause_from_headers
from ._route import Route, RouteAttempt
from ._state import Admission, State, View
from ._tokens import used_tokens
from ._windows import Need

__all__ = ["Plan", "RouterCore"]

logger = logging.getLogger("fluent_ai.router")

# Words of a provider's refusal on content grounds (OpenAI's content_policy_violation /
# content_filter, Azure's ResponsibleAIPolicyViolation, Anthropic's and Google's safety).
_POLICY = re.compile(
    r"content[ _-]?(policy|filter|management)|responsibleaipolicy|safety (system|filter)|"
    r"flagged|prohibited content",
    re.IGNORECASE,
)

# Errors that say this deployment (not the request) failed: another one may answer.
_DEPLOYMENT_ERRORS = (RateLimitError, AuthenticationError, PermissionDeniedError, NotFoundError)

Hook = Callable[..., None]


def is_content_policy(error: BaseException) -> bool:
    return isinstance(error, BadRequestError) and bool(_POLICY.search(str(error)))


class RouterCore:
    """The parts of a router every call shares (thread-safe)."""

    def __init__(
        self,
        aliases: dict[str, list[Deployment]],
        *,
        strategy: str,
        fallbacks: dict[str, list[str]],
        context_window_fallbacks: dict[str, list[str]],
        content_policy_fallbacks: dict[str, list[str]],
        state: State,
        breaker: BreakerPolicy | None,
        on_limit: str,
        max_wait: float,
        window: float,
        metrics: Any,
        on_attempt: Hook | None,
        on_route: Hook | None,
        respect_headers: bool,
    ) -> None:
        self.aliases = aliases
        self.deployments = {str(d.name): d for ds in aliases.values() for d in ds}
        self.strategy = strategy
        self.fallbacks = fallbacks
        self.context_window_fallbacks = context_window_fallbacks
        self.content_policy_fallbacks = content_policy_fallbacks
        self.state = state
        state.configure(window)
        self.policy = breaker
        self.on_limit = on_limit
        self.max_wait = max_wait
        self.metrics = metrics
        self.on_attempt = on_attempt
        self.on_route = on_route
        self.respect_headers = respect_headers
        self._lock = threading.Lock()
        self._breakers: dict[str, Any] = {}
        self._latency: dict[str, float] = {}
        self._pauses: dict[str, float] = {}
        self._last_tokens: dict[str, float] = {}
        self._outputs: dict[str, float] = {}
        self._costs: dict[str, float] = {}
        self._turns = {alias: itertools.count() for alias in aliases}
        self._rng = random.Random()

    # Breakers, pauses, latency --------------------------------------------------------------------

    def breaker(self, name: str) -> Any:
        if self.policy is None:
            return None
        breaker = self._breakers.get(name)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.get(name)
                if breaker is None:
                    policy = self.policy
                    breaker = core.CircuitBreaker(
                        policy.failure_threshold, policy.recovery_time, policy.half_open_max_calls
                    )
                    self._breakers[name] = breaker
        return breaker

    def circuit_state(self, name: str) -> str:
        breaker = self._breakers.get(name)
        return "closed" if breaker is None else str(breaker.state)

    def pause_left(self, name: str) -> float:
        until = self._pauses.get(name)
        return 0.0 if until is None else max(0.0, until - time.monotonic())

    def headers_seen(self, name: str, headers: Mapping[str, str]) -> None:
        """The response hook of a deployment's HTTP client."""
        if not self.respect_headers:
            return
        pause = pause_from_headers(headers, self._last_tokens.get(name, 1.0))
        if pause > 0:
            until = time.monotonic() + pause
            with self._lock:
                if until > self._pauses.get(name, 0.0):
                    self._pauses[name] = until
            self.metrics.inc("fluent_ai_router_header_pauses", deployment=name)

    def latency(self, name: str) -> float:
        return self._latency.get(name, 0.0)

    def _observe_latency(self, name: str, seconds: float) -> None:
        with self._lock:
            old = self._latency.get(name)
            self._latency[name] = seconds if old is None else 0.7 * old + 0.3 * seconds

    def cost(self, deployment: Deployment) -> float:
        """Input plus output price per million tokens from the catalog (through the state's
        cache, so processes share the lookups); ``inf`` when unknown."""
        name = deployment.model
        cached = self._costs.get(name)
        if cached is not None:
            return cached
        text = self.state.cache_get(f"catalog:price:{name}")
        if text is None:
            price = math.inf
            try:
                from .. import catalog  # noqa: PLC0415  (loaded only for this strategy)

                info = catalog.get(name)
                if info.input_price is not None and info.output_price is not None:
                    price = float(info.input_price) + float(info.output_price)
            except Exception:
                price = math.inf
            self.state.cache_set(f"catalog:price:{name}", json.dumps(price), 3600.0)
        else:
            price = float(json.loads(text))
        self._costs[name] = price
        return price

    # Choosing -------------------------------------------------------------------------------------

    def pick(
        self, alias: str, group: Sequence[Deployment], views: Mapping[str, View]
    ) -> Deployment:
        if len(group) == 1:
            return group[0]
        strategy = self.strategy
        if strategy == "round_robin":
            return group[next(self._turns[alias]) % len(group)]
        if strategy == "weighted":
            weights = [d.weight for d in group]
            if not any(weights):
                weights = [1.0] * len(group)
            return self._rng.choices(list(group), weights)[0]
        score: Callable[[Deployment], float]
        if strategy == "least_in_flight":

            def score(d: Deployment) -> float:
                view = views.get(d.name or "")
                return 0.0 if view is None else float(view.in_flight)

        elif strategy == "lowest_latency":

            def score(d: Deployment) -> float:
                return self.latency(d.name or "")

        else:  # lowest_cost
            score = self.cost
        best = min(score(d) for d in group)
        return self._rng.choice([d for d in group if score(d) == best])

    # Budgets --------------------------------------------------------------------------------------

    def needs(self, deployment: Deployment, plan: Plan) -> list[Need]:
        """The budgets a call draws on. Its tokens: the input estimate, plus, when the call
        sets no ``max_tokens``, the output this deployment's answers used lately."""
        name = str(deployment.name)
        tokens = plan.tokens + (round(self._outputs.get(name, 0.0)) if plan.learn else 0)
        needs: list[Need] = []
        scope = f"deployment:{name}"
        key = deployment.key_scope()
        for prefix, rpm, tpm in (
            (scope, deployment.rpm, deployment.tpm),
            (key, deployment.key_rpm, deployment.key_tpm),
        ):
            if rpm is not None:
                needs.append((f"{prefix}:rpm", rpm, 1))
            if tpm is not None:
                needs.append((f"{prefix}:tpm", tpm, tokens))
        self._last_tokens[name] = tokens
        return needs

    def learn(self, deployment: Deployment, plan: Plan, used: int | None) -> None:
        """After an answer: a moving average (weight 0.3) of the tokens beyond the input
        estimate, the output estimate of the next calls without ``max_tokens``."""
        if used is None or not plan.learn:
            return
        name = str(deployment.name)
        output = max(0.0, float(used - plan.tokens))
        with self._lock:
            old = self._outputs.get(name)
            self._outputs[name] = output if old is None else 0.7 * old + 0.3 * output

    @staticmethod
    def corrections(
        admission: Admission, used: int | None, *, failed: bool, refund_requests: bool = False
    ) -> dict[str, float]:
        """Per budget key, what to add to what was admitted: the real tokens minus the
        estimate when the provider reported them; a failed call's tokens given back; with
        ``refund_requests`` (nothing was sent) its request too."""
        fixes: dict[str, float] = {}
        for key, _, amount in admission.needs:
            if key.endswith(":tpm"):
                if used is not None:
                    if used != amount:
                        fixes[key] = used - amount
                elif failed and amount:
                    fixes[key] = -amount
            elif refund_requests:
                fixes[key] = -amount
        return fixes


class Plan:
    """One call's way through the deployments: stages (the alias, then its fallbacks), what was
    tried, skipped and waited for, and the route so far."""

    def __init__(
        self,
        core: RouterCore,
        alias: str,
        operation: str,
        tokens: int,
        deadline: float,
        *,
        learn: bool = False,
    ) -> None:
        self.core = core
        self.tokens = tokens
        self.learn = learn  # a chat without max_tokens: its output is estimated from history
        self.deadline = deadline  # monotonic time by which waits must end
        self.stages = [alias, *core.fallbacks.get(alias, ())]
        self.stage = 0
        self.tried: set[str] = set()
        self.skipped: set[str] = set()
        self.blocked: dict[str, float] = {}
        self.cooling: dict[str, float] = {}
        self.last_error: BaseException | None = None
        self.route = Route(alias, operation, core.strategy)
        self.attempt: RouteAttempt | None = None
        self.started = 0.0

    def names(self) -> list[str]:
        """Every deployment this call may still use (for one view of the state)."""
        names: list[str] = []
        for alias in self.stages[self.stage :]:
            names += [d.name for d in self.core.aliases[alias] if d.name not in self.tried]  # type: ignore[misc]
        return names

    def next(self, views: Mapping[str, View]) -> Deployment | None:
        """The deployment to try now, or ``None`` when this round has none left."""
        core = self.core
        while self.stage < len(self.stages):
            alias = self.stages[self.stage]
            candidates = []
            for deployment in core.aliases[alias]:
                name = deployment.name
                assert name is not None
                if name in self.tried or name in self.skipped:
                    continue
                view = views.get(name)
                if view is not None and view.cooldown > 0:
                    self._skip(name, "cooling", view.cooldown)
                    continue
                pause = core.pause_left(name)
                if pause > 0:
                    self._skip(name, "paused", pause)
                    continue
                candidates.append(deployment)
            if not candidates:
                self.stage += 1
                continue
            top = min(d.priority for d in candidates)
            return core.pick(alias, [d for d in candidates if d.priority == top], views)
        return None

    def _skip(self, name: str, reason: str, seconds: float) -> None:
        self.skipped.add(name)
        self.route.skipped[name] = reason
        (self.cooling if reason == "cooling" else self.blocked)[name] = seconds
        alias = self.route.alias
        self.core.metrics.inc(
            "fluent_ai_router_skipped", alias=alias, deployment=name, reason=reason
        )

    def over_budget(self, deployment: Deployment, wait: float) -> None:
        assert deployment.name is not None
        self._skip(deployment.name, "over_budget", wait)

    def breaker_refused(self, deployment: Deployment) -> None:
        assert deployment.name is not None
        self._skip(
            deployment.name, "cooling", self.core.policy.recovery_time if self.core.policy else 0.0
        )

    def round_over(self) -> float:
        """No deployment left in this round: the seconds to wait before the next round, or the
        final error raised."""
        core = self.core
        if self.blocked:
            wait = min(self.blocked.values())
            left = self.deadline - time.monotonic()
            if (
                core.on_limit == "wait"
                and wait != math.inf
                and self.route.waited + wait <= core.max_wait
                and wait < left
            ):
                self.stage = 0
                self.skipped.clear()
                self.blocked.clear()
                self.cooling.clear()
                self.route.skipped.clear()
                self.route.waited += wait
                core.metrics.observe(
                    "fluent_ai_router_rate_limit_wait_seconds", wait, alias=self.route.alias
                )
                return wait
            if self.last_error is None:
                retry = None if wait == math.inf else wait
                why = "larger than its limit" if wait == math.inf else "over its rate limit"
                self._final(
                    RateLimitError(
                        f"every deployment of {self.route.alias!r} is {why} "
                        f"(router budgets){'' if retry is None else f'; retry in {retry:.2f}s'}",
                        provider="router",
                        retry_after=retry,
                    )
                )
        if self.last_error is not None:
            self._final(self.last_error)
        wait = min(self.cooling.values(), default=0.0)
        self._final(
            CircuitOpenError(
                f"every deployment of {self.route.alias!r} is cooling down after failures; the "
                f"first one returns in {wait:.1f}s",
                provider="router",
                retry_after=wait,
            )
        )
        raise AssertionError("unreachable")  # pragma: no cover

    def _final(self, error: BaseException) -> None:
        self.finish(type(error).__name__)
        error.route = self.route  # type: ignore[attr-defined]
        raise error

    # Attempts -------------------------------------------------------------------------------------

    def begin(self, deployment: Deployment) -> None:
        assert deployment.name is not None
        self.tried.add(deployment.name)
        alias = next(a for a in self.stages[self.stage :] if deployment in self.core.aliases[a])
        self.attempt = RouteAttempt(alias, deployment.name, deployment.model)
        self.route.attempts.append(self.attempt)
        self.started = time.monotonic()

    def _end(self, outcome: str) -> RouteAttempt:
        attempt = self.attempt
        assert attempt is not None
        attempt.outcome = outcome
        if not attempt.seconds:  # a stream's attempt was timed at its first event
            attempt.seconds = time.monotonic() - self.started
        labels = {"alias": attempt.alias, "deployment": attempt.deployment}
        self.core.metrics.inc("fluent_ai_router_attempts", outcome=outcome, **labels)
        self.core.metrics.observe("fluent_ai_router_attempt_seconds", attempt.seconds, **labels)
        return attempt

    def succeeded(self, deployment: Deployment) -> None:
        attempt = self._end("ok")
        breaker = self.core.breaker(attempt.deployment)
        if breaker is not None:
            breaker.record_success()
        self.core._observe_latency(attempt.deployment, attempt.seconds)
        self.route.deployment = attempt.deployment
        self.route.model = deployment.model
        self._hook_attempt(attempt)
        self.finish("ok")

    def abandoned(self, *, answered: bool, outcome: str = "closed") -> None:
        """The caller left (closed a stream, was cancelled): the breaker still needs an
        outcome, or a half-open trial would never end."""
        attempt = self._end(outcome)
        breaker = self.core.breaker(attempt.deployment)
        if breaker is not None:
            if answered:
                breaker.record_success()
            elif breaker.state == "half_open":
                breaker.record_failure()
        if answered:
            self.route.deployment = attempt.deployment
            self.route.model = attempt.model
        self._hook_attempt(attempt)
        self.finish(outcome)

    def failed(self, error: BaseException) -> float:
        """Records a failed attempt; returns the cooldown to set on its deployment (0: none)
        and leaves the plan ready for the next one, or raises ``error`` when it is final."""
        attempt = self._end(type(error).__name__)
        attempt.status = getattr(error, "status_code", None)
        attempt.error = str(error)[:500]
        core = self.core
        breaker = core.breaker(attempt.deployment)
        cool = 0.0
        recovery = core.policy.recovery_time if core.policy is not None else 0.0
        final = False
        if isinstance(error, StreamInterrupted) or not isinstance(error, APIError):
            final = True  # never replayed; not a provider failure (a bad argument, a bug)
            if breaker is not None:
                if isinstance(error, (ServerError, ConnectionError, TimeoutError)):
                    breaker.record_failure()
                else:
                    breaker.record_success()
        elif isinstance(error, ContextWindowExceededError) or is_content_policy(error):
            if breaker is not None:
                breaker.record_success()  # the deployment answered
            kind = (
                "context_window"
                if isinstance(error, ContextWindowExceededError)
                else "content_policy"
            )
            table = (
                core.context_window_fallbacks
                if kind == "context_window"
                else core.content_policy_fallbacks
            )
            targets = [
                a for a in table.get(attempt.alias, ()) if a not in self.stages[: self.stage + 1]
            ]
            if targets:
                attempt.reason = kind
                self.stages = [*self.stages[: self.stage + 1], *targets]
                self.stage += 1
            else:
                final = True
        elif isinstance(error, _DEPLOYMENT_ERRORS):
            if breaker is not None:
                breaker.record_success()  # it answered: the breaker counts outages only
            retry_after = error.retry_after
            if isinstance(error, RateLimitError):
                cool = retry_after if retry_after else min(recovery, 5.0) or 1.0
            else:
                cool = recovery  # a wrong key or model: not worth trying again soon
            attempt.reason = "error"
        elif (
            error.status_code is None
            or error.status_code in (408, 409)
            or error.status_code >= 500
            or isinstance(error, CircuitOpenError)
        ):
            if breaker is not None:
                breaker.record_failure()
                if breaker.state == "open":
                    cool = recovery
            attempt.reason = "error"
        else:
            if breaker is not None:
                breaker.record_success()
            final = True  # the request itself is wrong: another deployment would say the same
        self._hook_attempt(attempt)
        if final:
            self._final(error)
        self.last_error = error
        core.metrics.inc(
            "fluent_ai_router_failovers", alias=self.route.alias, reason=attempt.reason or "error"
        )
        logger.info(
            "router %r: %s failed (%s); failing over",
            self.route.alias,
            attempt.deployment,
            attempt.outcome,
        )
        return cool

    # Hooks ----------------------------------------------------------------------------------------

    def _hook_attempt(self, attempt: RouteAttempt) -> None:
        hook = self.core.on_attempt
        if hook is not None:
            try:
                hook(self.route, attempt)
            except Exception:  # a telemetry hook must not break the call
                logger.exception("router on_attempt hook failed")

    def finish(self, outcome: str) -> None:
        core = self.core
        core.metrics.inc("fluent_ai_router_calls", alias=self.route.alias, outcome=outcome)
        if core.on_route is not None:
            try:
                core.on_route(self.route)
            except Exception:
                logger.exception("router on_route hook failed")


def usage_tokens(result: Any) -> int | None:
    return used_tokens(getattr(result, "usage", None))
