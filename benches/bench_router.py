"""What routing costs per call.

Groups:

- ``router: decision per call``: everything the router does around a call, without the call:
  a plan, one view of the state, the strategy's choice, the budgets' admission (rpm and tpm
  of the deployment and of its key), the breaker, the release with the usage correction, the
  route and metrics. With ``MemoryState`` and with ``RedisState`` (a real redis-server on
  127.0.0.1: three round trips per call, view, admit and release).
- ``router: chat over loopback``: ``Client.chat`` against ``Router.chat`` (memory state, 3
  deployments) on the same loopback provider; the difference is the overhead a user sees.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from fluent_ai import Client, Metrics
from fluent_ai.router import MemoryState, Router

from .harness import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from redis_server import RedisServer
from router_helpers import USER, Provider, deployment


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    made = Provider("p")
    yield made
    made.close()


def _router(provider: Provider, state: Any) -> Router:
    deployments = [
        deployment(provider, name=f"d{i}", rpm=10**9, tpm=10**12, key_rpm=10**9) for i in range(3)
    ]
    return Router({"m": deployments}, state=state, metrics=Metrics())


def _decide(router: Router) -> str:
    """One routed call's bookkeeping, with a made-up usage of 10 tokens in place of the call."""
    core = router._core
    plan = router._plan("m", "chat", 16, None)
    chosen, admission = router._acquire(plan)
    core.state.release(admission, core.corrections(admission, 10, failed=False))
    plan.succeeded(chosen)
    return str(plan.route.deployment)


@pytest.mark.parametrize("state", ["memory", "redis"])
def test_decision(
    benchmark: BenchmarkFixture, provider: Provider, state: str, tmp_path: Path
) -> None:
    benchmark.group = "router: decision per call"
    server = RedisServer(tmp_path) if state == "redis" else None
    try:
        if server is None:
            chosen_state: Any = MemoryState()
        else:
            from fluent_ai.router import RedisState  # noqa: PLC0415

            chosen_state = RedisState(server.url, timeout=1.0)
        router = _router(provider, chosen_state)
        assert run(benchmark, lambda: _decide(router)) in {"d0", "d1", "d2"}
        views = chosen_state.view(["d0", "d1", "d2"])
        assert [v.in_flight for v in views] == [0, 0, 0]  # every admission was released
        router.close()
    finally:
        if server is not None:
            server.close()


@pytest.mark.parametrize("peer", ["client", "router"])
def test_chat(benchmark: BenchmarkFixture, provider: Provider, peer: str) -> None:
    benchmark.group = "router: chat over loopback"
    if peer == "client":
        client = Client(
            providers={
                "p": {"base_url": provider.url, "api_key": "sk-test", "dialect": "openai-chat"}
            },
            metrics=Metrics(),
        )
        answer = run(benchmark, lambda: client.chat("p/m", USER))
        client.close()
    else:
        router = _router(provider, MemoryState())
        answer = run(benchmark, lambda: router.chat("m", USER))
        router.close()
    assert answer.text == "from p"
