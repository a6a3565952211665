"""End to end: a streamed chat from a loopback server process, through each client.

Clients (:mod:`benches.e2e_clients`): fluent's ``Client`` and ``AsyncClient``, the raw HTTP
library floor (sync and async, same accumulation), the openai SDK (sync and async, with and
without its ``.stream()`` helper) and LiteLLM when it is installed. Bodies
(:mod:`benches.e2e_bodies`): text, and tool-heavy (40 % argument fragments of two parallel
calls); framings: one HTTP chunk per event, and a Content-Length body. Every run's text and
parsed arguments are checked.

pytest-benchmark times each stream in this process (wall time). The CPU per event of the
issue's targets is measured with a fresh process per client: ``python -m benches.e2e_cpu``
(its table is in the README). With ``--benchmark-disable`` (CI) each case streams a small
answer once, as a correctness test.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from . import e2e_bodies, e2e_clients, e2e_cpu
from .e2e_server import Server

EVENTS = 10_000
CI_EVENTS = 300


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server() as running:
        yield running


def _needs(name: str) -> None:
    module = e2e_clients.NEEDS.get(name)
    if module is not None and importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (the {name} peer is optional)")


@pytest.mark.parametrize("framing", e2e_bodies.FRAMINGS)
@pytest.mark.parametrize("body", e2e_bodies.BODIES)
@pytest.mark.parametrize("name", list(e2e_clients.CLIENTS))
def test_e2e(
    benchmark: BenchmarkFixture, server: Server, name: str, body: str, framing: str
) -> None:
    _needs(name)
    events = CI_EVENTS if benchmark.disabled else EVENTS
    benchmark.group = f"end to end: {body}, {framing}, {events} events"
    expected = e2e_bodies.answer(body, events)
    runner = e2e_clients.CLIENTS[name](server.base_url(body, events, framing))
    if runner.is_async:
        loop = asyncio.new_event_loop()
        try:
            result = benchmark(lambda: loop.run_until_complete(runner.once()))
            loop.run_until_complete(runner.close())
        finally:
            loop.close()
    else:
        try:
            result = benchmark(runner.once)
        finally:
            runner.close()
    e2e_cpu.check(name, result, expected)


@pytest.mark.parametrize("name", ["fluent", "fluent_async", "raw"])
def test_fresh_process_cpu(server: Server, name: str) -> None:
    """The measurement behind the README table runs (and checks its answers) in a child."""
    url = server.base_url("tools", CI_EVENTS, "chunked")
    cpu: Any = e2e_cpu.in_fresh_process(name, url, "tools", CI_EVENTS, 1)
    assert 0 < cpu < 0.01  # seconds per event: a wrong unit or an empty stream fails


def test_a_wrong_answer_fails() -> None:
    """The check a peer's result goes through is not a formality."""
    expected = e2e_bodies.answer("tools", CI_EVENTS)
    with pytest.raises(AssertionError, match="text"):
        e2e_cpu.check("x", (expected.text[:-1], expected.arguments), expected)
    wrong = [*expected.arguments[:1], {}]
    with pytest.raises(AssertionError, match="arguments"):
        e2e_cpu.check("x", (expected.text, wrong), expected)


def test_tool_body_shape() -> None:
    """40 % of the tool body's events are argument fragments, of two interleaved calls."""
    answer = e2e_bodies.answer("tools", 1000)
    calls = [
        call
        for data in answer.data[:-1]
        for choice in json.loads(data)["choices"]
        for call in choice["delta"].get("tool_calls", [])
        if "name" not in call["function"]
    ]
    assert len(calls) == 400
    assert [call["index"] for call in calls[:4]] == [0, 1, 0, 1]
    assert len(answer.arguments) == 2


def test_memory_script_runs(server: Server) -> None:
    """``python -m benches.e2e_memory`` (RSS per open async stream, 1,000 streams in the README)
    runs its measurement in a child, here with a few streams (all opened, all answered)."""
    from . import e2e_memory  # noqa: PLC0415  (only this test needs it)

    for name in e2e_memory.CLIENTS:
        per_stream = e2e_memory.in_fresh_process(name, server.hold_url(), 20)
        assert abs(per_stream) < 4 * 1024 * 1024  # bytes per stream: not a unit slip
