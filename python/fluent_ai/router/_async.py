"""``AsyncRouter``: the ``AsyncClient`` drop-in; the same rules as ``Router`` (``_sync.py``),
with the state's asyncio calls and ``anyio`` sleeps."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import anyio

from .._gate import gated_client
from ..client import AsyncClient
from ..errors import APIError, StreamInterrupted
from ..types import ChatResponse, EmbeddingResponse, Message, RerankResponse
from ._base import RouterBase
from ._config import Deployment
from ._plan import Plan, usage_tokens
from ._route import Route
from ._state import Admission
from ._sync import _attach, _Progress
from ._tokens import estimate_chat, estimate_texts

if TYPE_CHECKING:
    from .._http import httpx

__all__ = ["AsyncRouter", "AsyncRouterStream"]

T = TypeVar("T")


class AsyncRouter(RouterBase):
    """The asyncio (and trio, with the in-memory state) router: the arguments and methods of
    :class:`~fluent_ai.router.Router`, as coroutines, except :meth:`stream`, which returns an
    :class:`AsyncRouterStream` directly. ``RedisState`` needs asyncio."""

    _clients: dict[str, AsyncClient]

    def _make_clients(self) -> None:
        self._clients = {}
        for name, deployment in self._core.deployments.items():
            http = gated_client()
            http.event_hooks = {"response": [_hook(self._core.headers_seen, name)]}
            self._clients[name] = AsyncClient(http_client=http, **self._client_settings(deployment))

    def client(self, deployment: str) -> AsyncClient:
        return self._clients[deployment]

    async def chat(self, model: str, messages: Sequence[Message], **options: Any) -> ChatResponse:
        tokens = estimate_chat(messages, options.get("tools"), options.get("max_tokens"))
        plan = self._plan(
            model, "chat", tokens, options.get("timeout"), learn=options.get("max_tokens") is None
        )
        return await self._run(plan, lambda d, c: c.chat(d.model, messages, **options))

    async def embed(
        self, model: str, inputs: str | Sequence[str], **options: Any
    ) -> EmbeddingResponse:
        plan = self._plan(model, "embed", estimate_texts(inputs), options.get("timeout"))
        return await self._run(plan, lambda d, c: c.embed(d.model, inputs, **options))

    async def rerank(
        self, model: str, query: str, documents: Sequence[str], **options: Any
    ) -> RerankResponse:
        plan = self._plan(model, "rerank", estimate_texts(query, documents), options.get("timeout"))
        return await self._run(plan, lambda d, c: c.rerank(d.model, query, documents, **options))

    def stream(self, model: str, messages: Sequence[Message], **options: Any) -> AsyncRouterStream:
        tokens = estimate_chat(messages, options.get("tools"), options.get("max_tokens"))
        plan = self._plan(
            model, "stream", tokens, options.get("timeout"), learn=options.get("max_tokens") is None
        )
        return AsyncRouterStream(self, plan, messages, options)

    async def _acquire(self, plan: Plan) -> tuple[Deployment, Admission]:
        core = self._core
        state = core.state
        views = dict(zip(plan.names(), await state.aview(plan.names())))
        while True:
            deployment = plan.next(views)
            if deployment is None:
                await anyio.sleep(plan.round_over())
                views = dict(zip(plan.names(), await state.aview(plan.names())))
                continue
            assert deployment.name is not None
            admission = await state.aadmit(
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
                await state.arelease(
                    admission, core.corrections(admission, None, failed=True, refund_requests=True)
                )
                plan.breaker_refused(deployment)
                continue
            plan.begin(deployment)
            return deployment, admission

    async def _failed(
        self, plan: Plan, deployment: Deployment, admission: Admission, error: BaseException
    ) -> None:
        state = self._core.state
        refund = not isinstance(error, APIError)  # not the provider's: nothing was sent
        fixes = self._core.corrections(
            admission, None, failed=not isinstance(error, StreamInterrupted), refund_requests=refund
        )
        await state.arelease(admission, fixes)
        cool = plan.failed(error)
        if cool:
            assert deployment.name is not None
            await state.acool(deployment.name, cool)

    async def _run(self, plan: Plan, send: Callable[[Deployment, AsyncClient], Awaitable[T]]) -> T:
        while True:
            deployment, admission = await self._acquire(plan)
            assert deployment.name is not None
            try:
                result = await send(deployment, self._clients[deployment.name])
            except Exception as error:
                await self._failed(plan, deployment, admission, error)
                continue
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await self._core.state.arelease(admission, {})
                plan.abandoned(answered=False, outcome="cancelled")
                raise
            used = usage_tokens(result)
            await self._core.state.arelease(
                admission, self._core.corrections(admission, used, failed=False)
            )
            self._core.learn(deployment, plan, used)
            plan.succeeded(deployment)
            _attach(result, plan.route)
            return result

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
            await client.http_client.aclose()
        await self._core.state.aclose()

    async def __aenter__(self) -> AsyncRouter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _hook(
    seen: Callable[[str, Mapping[str, str]], None], name: str
) -> Callable[[httpx.Response], Awaitable[None]]:
    async def hook(response: httpx.Response) -> None:
        seen(name, response.headers)

    return hook


class AsyncRouterStream:
    """The async twin of :class:`~fluent_ai.router.RouterStream` (``async for``, ``async
    with``, :meth:`aclose`)."""

    def __init__(
        self, router: AsyncRouter, plan: Plan, messages: Sequence[Message], options: dict[str, Any]
    ) -> None:
        self._router = router
        self._plan = plan
        self._messages = messages
        self._options = options
        self._events: AsyncIterator[Any] | None = None
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

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._events is None:
            self._events = _events(
                self._router, self._plan, self._messages, self._options, self._progress
            )
        return self._events

    async def __anext__(self) -> Any:
        return await self.__aiter__().__anext__()

    async def __aenter__(self) -> AsyncRouterStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._events is None:
            self._events = _empty()
            return
        close = getattr(self._events, "aclose", None)
        if close is None:
            return
        try:
            await close()
        except RuntimeError:  # "asynchronous generator is already running": another task
            inner = self._progress.inner
            if inner is not None:
                await inner.aclose()

    async def collect(self) -> ChatResponse:
        async for _ in self:
            pass
        return self.response


async def _events(
    router: AsyncRouter,
    plan: Plan,
    messages: Sequence[Message],
    options: dict[str, Any],
    progress: _Progress,
) -> AsyncIterator[Any]:
    core = router._core
    while True:
        deployment, admission = await router._acquire(plan)
        assert deployment.name is not None
        inner = router._clients[deployment.name].stream(deployment.model, messages, **options)
        progress.inner = inner
        delivered = False
        released = False
        try:
            try:
                async for event in inner:
                    if not delivered:
                        delivered = True
                        plan.attempt.seconds = time.monotonic() - plan.started  # type: ignore[union-attr]
                    yield event
            except Exception as error:
                await inner.aclose()
                released = True
                await router._failed(plan, deployment, admission, error)
                continue
            try:
                response = inner.response
            except RuntimeError:  # closed by another task before its end
                return
            released = True
            await core.state.arelease(
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
            if not released:
                with anyio.CancelScope(shield=True):
                    await inner.aclose()
                    await core.state.arelease(admission, {})
                plan.abandoned(answered=delivered)


async def _empty() -> AsyncIterator[Any]:
    return
    yield  # an async generator that yields nothing
