"""``Router``: a ``Client`` drop-in (``chat``, ``stream``, ``embed``, ``rerank``) that sends
each call to one deployment of a model alias and fails over to the others."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from .._gate import gated_sync_client
from ..client import Client
from ..errors import APIError, StreamInterrupted
from ..types import ChatResponse, EmbeddingResponse, Message, RerankResponse
from ._base import RouterBase
from ._config import Deployment
from ._plan import Plan, usage_tokens
from ._route import Route
from ._state import Admission
from ._tokens import estimate_chat, estimate_texts

if TYPE_CHECKING:
    from .._http import httpx

__all__ = ["Router", "RouterStream"]

T = TypeVar("T")


class Router(RouterBase):
    """Routes calls over the deployments of each model alias.

    ``model_list``: alias -> list of :class:`Deployment` (or dicts of its fields).
    ``strategy``: ``weighted`` (random by ``weight``, default), ``round_robin``,
    ``least_in_flight``, ``lowest_latency`` or ``lowest_cost``. ``fallbacks``: alias -> aliases
    tried after all of its deployments failed; ``context_window_fallbacks`` /
    ``content_policy_fallbacks``: aliases tried on ``ContextWindowExceededError`` / a content
    policy refusal. ``state``: :class:`MemoryState` (default) or ``RedisState``. ``breaker``:
    the policy of each deployment's breaker (its cooldown). ``on_limit``: ``"wait"`` for a
    budget (up to ``max_wait`` seconds) or ``"raise"`` ``RateLimitError``. ``window``: the
    seconds the ``rpm``/``tpm`` budgets count over (60). ``retries``: retries on one deployment
    before failing over (0). ``timeout``, ``metrics``, ``providers``: as ``Client``'s.
    ``on_attempt(route, attempt)`` / ``on_route(route)``: hooks for traces.
    See docs/router.md.
    """

    _clients: dict[str, Client]

    def _make_clients(self) -> None:
        self._clients = {}
        for name, deployment in self._core.deployments.items():
            http = gated_sync_client()
            http.event_hooks = {"response": [partial(_headers_hook, self._core.headers_seen, name)]}
            self._clients[name] = Client(http_client=http, **self._client_settings(deployment))

    def client(self, deployment: str) -> Client:
        """The ``Client`` that serves ``deployment``."""
        return self._clients[deployment]

    # Calls ----------------------------------------------------------------------------------------

    def chat(self, model: str, messages: Sequence[Message], **options: Any) -> ChatResponse:
        """One whole answer from a deployment of alias ``model``; options as ``Client.chat``.
        The answer's ``route`` says which deployment answered and what was tried."""
        tokens = estimate_chat(messages, options.get("tools"), options.get("max_tokens"))
        plan = self._plan(
            model, "chat", tokens, options.get("timeout"), learn=options.get("max_tokens") is None
        )
        return self._run(plan, lambda d, c: c.chat(d.model, messages, **options))

    def embed(self, model: str, inputs: str | Sequence[str], **options: Any) -> EmbeddingResponse:
        plan = self._plan(model, "embed", estimate_texts(inputs), options.get("timeout"))
        return self._run(plan, lambda d, c: c.embed(d.model, inputs, **options))

    def rerank(
        self, model: str, query: str, documents: Sequence[str], **options: Any
    ) -> RerankResponse:
        plan = self._plan(model, "rerank", estimate_texts(query, documents), options.get("timeout"))
        return self._run(plan, lambda d, c: c.rerank(d.model, query, documents, **options))

    def stream(self, model: str, messages: Sequence[Message], **options: Any) -> RouterStream:
        """The answer as events, from one deployment; it fails over only while no event has
        reached the caller (after that a failure raises ``StreamInterrupted``: never a replay)."""
        tokens = estimate_chat(messages, options.get("tools"), options.get("max_tokens"))
        plan = self._plan(
            model, "stream", tokens, options.get("timeout"), learn=options.get("max_tokens") is None
        )
        return RouterStream(self, plan, messages, options)

    # Driving a plan -------------------------------------------------------------------------------

    def _acquire(self, plan: Plan) -> tuple[Deployment, Admission]:
        """The next deployment with its budgets taken (waiting for a budget when allowed)."""
        core = self._core
        state = core.state
        views = dict(zip(plan.names(), state.view(plan.names())))
        while True:
            deployment = plan.next(views)
            if deployment is None:
                time.sleep(plan.round_over())
                views = dict(zip(plan.names(), state.view(plan.names())))
                continue
            assert deployment.name is not None
            admission = state.admit(
                core.needs(deployment, plan),
                deployment.name,
                self._call_id(),
                self._expiry(),
            )
            if not isinstance(admission, Admission):
                plan.over_budget(deployment, admission)
                continue
            breaker = core.breaker(deployment.name)
            if breaker is not None and not breaker.allow():
                state.release(
                    admission, core.corrections(admission, None, failed=True, refund_requests=True)
                )
                plan.breaker_refused(deployment)
                continue
            plan.begin(deployment)
            return deployment, admission

    def _failed(
        self, plan: Plan, deployment: Deployment, admission: Admission, error: BaseException
    ) -> None:
        state = self._core.state
        # An error that is not the provider's (a bad argument) sent nothing: all given back.
        refund = not isinstance(error, APIError)
        state.release(
            admission,
            self._core.corrections(
                admission,
                None,
                failed=not isinstance(error, StreamInterrupted),
                refund_requests=refund,
            ),
        )
        cool = plan.failed(error)  # raises when final
        if cool:
            assert deployment.name is not None
            state.cool(deployment.name, cool)

    def _run(self, plan: Plan, send: Callable[[Deployment, Client], T]) -> T:
        while True:
            deployment, admission = self._acquire(plan)
            assert deployment.name is not None
            try:
                result = send(deployment, self._clients[deployment.name])
            except Exception as error:
                self._failed(plan, deployment, admission, error)
                continue
            except BaseException:
                self._core.state.release(admission, {})
                plan.abandoned(answered=False, outcome="cancelled")
                raise
            used = usage_tokens(result)
            self._core.state.release(
                admission, self._core.corrections(admission, used, failed=False)
            )
            self._core.learn(deployment, plan, used)
            plan.succeeded(deployment)
            _attach(result, plan.route)
            return result

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
            client.http_client.close()
        self._core.state.close()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _headers_hook(
    seen: Callable[[str, Mapping[str, str]], None], name: str, response: httpx.Response
) -> None:
    seen(name, response.headers)


def _attach(result: Any, route: Route) -> None:
    # The response classes are frozen dataclasses; the route rides along as an extra attribute.
    object.__setattr__(result, "route", route)


class _Progress:
    """What a routed stream's generator shares with the stream object: the deployment's stream
    being read and the final answer. The generator holds this, not the stream, so a stream the
    caller drops is freed (and its connection released) at once, without a reference cycle."""

    __slots__ = ("inner", "response")

    def __init__(self) -> None:
        self.inner: Any = None
        self.response: ChatResponse | None = None


class RouterStream:
    """A routed stream: iterate it (``for event in stream``), close it with ``with`` or
    :meth:`close`. Before the first event reaches the caller a failure moves the call to the
    next deployment; after it, the failure is raised (``StreamInterrupted``), never replayed.
    ``route`` is the call's route; ``response`` the whole answer once the stream ended. A
    stream dropped without closing releases its connection when its last reference goes;
    :meth:`close` from another thread ends the reading thread's loop (as ``ChatStream``)."""

    def __init__(
        self, router: Router, plan: Plan, messages: Sequence[Message], options: dict[str, Any]
    ) -> None:
        self._router = router
        self._plan = plan
        self._messages = messages
        self._options = options
        self._events: Iterator[Any] | None = None
        self._progress = _Progress()

    @property
    def route(self) -> Route:
        return self._plan.route

    @property
    def response(self) -> ChatResponse:
        response = self._progress.response
        if response is None:
            raise RuntimeError("the stream has not ended yet: read it to the end first")
        return response

    def __iter__(self) -> Iterator[Any]:
        if self._events is None:
            self._events = _events(
                self._router, self._plan, self._messages, self._options, self._progress
            )
        return self._events

    def __next__(self) -> Any:
        return next(iter(self))

    def __enter__(self) -> RouterStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._events is None:
            self._events = iter(())
            return
        close = getattr(self._events, "close", None)
        if close is None:
            return
        try:
            close()
        except ValueError:  # "generator already executing": another thread reads it
            inner = self._progress.inner
            if inner is not None:
                inner.close()  # ends that thread's read; its loop ends as after the last event

    def collect(self) -> ChatResponse:
        for _ in self:
            pass
        return self.response


def _events(
    router: Router,
    plan: Plan,
    messages: Sequence[Message],
    options: dict[str, Any],
    progress: _Progress,
) -> Iterator[Any]:
    core = router._core
    while True:
        deployment, admission = router._acquire(plan)
        assert deployment.name is not None
        inner = router._clients[deployment.name].stream(deployment.model, messages, **options)
        progress.inner = inner
        delivered = False
        released = False
        try:
            try:
                for event in inner:
                    if not delivered:
                        delivered = True
                        plan.attempt.seconds = time.monotonic() - plan.started  # type: ignore[union-attr]
                    yield event
            except Exception as error:
                inner.close()
                released = True
                router._failed(plan, deployment, admission, error)  # raises after delivery
                continue
            try:
                response = inner.response
            except RuntimeError:  # closed from another thread before its end
                return  # the finally clause records the abandoned attempt
            released = True
            core.state.release(
                admission,
                core.corrections(admission, usage_tokens(response), failed=False),
            )
            core.learn(deployment, plan, usage_tokens(response))
            plan.succeeded(deployment)
            _attach(response, plan.route)
            progress.response = response
            return
        finally:
            progress.inner = None
            if not released:  # the caller closed the stream, or a BaseException
                inner.close()
                core.state.release(admission, {})
                plan.abandoned(answered=delivered)
