"""Runs one client scenario through ``Client`` or ``AsyncClient`` (the ``mode`` fixture), so
every behaviour is checked on both with the same assertions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from loopback import LoopbackServer

from fluent_ai import AsyncClient, Client, RetryPolicy, Timeout

__all__ = ["FAST", "Runner", "Streamed"]

#: Retries without real waiting, so the tests stay fast.
FAST = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.005)


@dataclass
class Streamed:
    """What one stream gave: its events (with the time each arrived), the response after the
    loop, or the exception that ended it."""

    events: list[Any] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    response: Any = None
    error: BaseException | None = None
    started: float = 0.0

    def of(self, name: str) -> list[Any]:
        return [e for e in self.events if type(e).__name__ == name]

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.of("TextDelta"))


class Runner:
    """A client of one kind with fixed options; each method makes one call."""

    def __init__(self, mode: str, **options: Any) -> None:
        self.mode = mode
        options.setdefault("retry", FAST)
        options.setdefault("timeout", Timeout(connect=2, total=10))
        self.options = options

    def client(self) -> Client:
        return Client(**self.options)

    def chat(self, model: str, messages: list[dict[str, Any]], **kw: Any) -> Any:
        if self.mode == "sync":
            with Client(**self.options) as client:
                return client.chat(model, messages, **kw)

        async def run() -> Any:
            async with AsyncClient(**self.options) as client:
                return await client.chat(model, messages, **kw)

        return asyncio.run(run())

    def call(self, method: str, *args: Any, **kw: Any) -> Any:
        """``embed``, ``rerank`` or ``list_models``."""
        if self.mode == "sync":
            with Client(**self.options) as client:
                return getattr(client, method)(*args, **kw)

        async def run() -> Any:
            async with AsyncClient(**self.options) as client:
                return await getattr(client, method)(*args, **kw)

        return asyncio.run(run())

    def stream(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        stop_after: int | None = None,
        **kw: Any,
    ) -> Streamed:
        """Reads the stream (``stop_after`` events, then closes it); never raises."""
        result = Streamed(started=time.monotonic())
        if self.mode == "sync":
            with Client(**self.options) as client:
                try:
                    with client.stream(model, messages, **kw) as stream:
                        for event in stream:
                            result.events.append(event)
                            result.times.append(time.monotonic())
                            if stop_after is not None and len(result.events) >= stop_after:
                                break
                        else:
                            result.response = stream.response
                except Exception as error:
                    result.error = error
            return result

        async def run() -> None:
            async with AsyncClient(**self.options) as client:
                try:
                    async with client.stream(model, messages, **kw) as stream:
                        async for event in stream:
                            result.events.append(event)
                            result.times.append(time.monotonic())
                            if stop_after is not None and len(result.events) >= stop_after:
                                break
                        else:
                            result.response = stream.response
                except Exception as error:
                    result.error = error

        asyncio.run(run())
        return result


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)
